"""``groupbot backup``, ``restore`` and ``reset-demo``: keeping the database safe, and going live."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bot.cli.common import CommandFailed, add_command, open_store
from bot.config import Settings
from bot.ops.backup import read_passphrase_file, restore_backup, take_backup
from bot.ops.demo import demo_summary, reset_demo

ACTOR = "command line"


def register(commands) -> None:
    backup = add_command(commands, "backup", cmd_backup,
                         "copy the database safely while groupbot runs (into a file, or a folder)")
    backup.add_argument("path", metavar="PATH", help="a new file, or a folder to name the backup in")
    backup.add_argument("--encrypt", action="store_true",
                        help="encrypt with the passphrase in GROUPBOT_BACKUP_PASSPHRASE or --passphrase-file")
    backup.add_argument("--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE")
    backup.add_argument("--keep", type=int, metavar="N", help="keep only the newest N backups in the folder PATH")
    restore = add_command(commands, "restore", cmd_restore,
                          "replace the database with a backup (groupbot must be stopped; the old one is kept)")
    restore.add_argument("path", type=Path, metavar="PATH", help="a file made by `groupbot backup`")
    restore.add_argument("--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE")
    reset = add_command(commands, "reset-demo", cmd_reset_demo,
                        "before going live: remove what dry-run made, keeping admins and secrets")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation (for scripts)")


def _refuse_on_postgresql(settings: Settings, command: str) -> None:
    if settings.database_path is None:
        tool = "pg_dump" if command == "backup" else "pg_restore"
        raise CommandFailed(f"`groupbot {command}` copies SQLite's file; on PostgreSQL use {tool} "
                            "(docs/deployment.md, \"PostgreSQL\")")


def _passphrase(settings: Settings, args: argparse.Namespace) -> str | None:
    if args.passphrase_file is not None:
        return read_passphrase_file(args.passphrase_file)
    return settings.backup_passphrase or None


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Write a consistent copy of the database; rotate the folder with --keep."""
    passphrase = _passphrase(settings, args) if args.encrypt else None
    if args.encrypt and not passphrase:
        raise CommandFailed("--encrypt needs a passphrase: set GROUPBOT_BACKUP_PASSPHRASE or pass --passphrase-file")
    if args.passphrase_file is not None and not args.encrypt:
        raise CommandFailed("--passphrase-file is for --encrypt; add --encrypt, or leave it out")
    _refuse_on_postgresql(settings, "backup")
    result = take_backup(settings.database_path, args.path, passphrase=passphrase, keep=args.keep)
    print(f"backup written to {result.path}" + (" (encrypted)" if result.encrypted else ""))
    if result.removed:
        print(f"removed {len(result.removed)} older backup(s), keeping the newest {args.keep}")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Check a backup, then put it in place of the database."""
    _refuse_on_postgresql(settings, "restore")
    result = restore_backup(args.path, settings.database_path, passphrase=_passphrase(settings, args))
    held = ", ".join(f"{count} {table}" for table, count in result.counts.items())
    print(f"restored {args.path} into {settings.database_path}: {held}")
    if result.previous:
        print(f"the database it replaced is kept as {result.previous}")
    print("start groupbot again; pending migrations run at start")
    return 0


def cmd_reset_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Remove demo posts, recorded calls and simulated questions and replies, after a confirmation."""
    store = open_store(settings)
    try:
        summary = demo_summary(store)
        if not args.yes:
            print(f"This removes {summary}, and every other delivery, question and reply: in a live "
                  "installation, members' messages. Admins, the audit log and secrets are kept.")
            print("Type yes to go on: ", end="", flush=True)
            if sys.stdin.readline().strip().lower() != "yes":
                raise CommandFailed("nothing removed (answer yes, or pass --yes)")
        reset_demo(store, actor=ACTOR, now=time.time())
    finally:
        store.close()
    print(f"removed {summary}; admins and secrets kept")
    return 0
