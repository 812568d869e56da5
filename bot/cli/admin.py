"""``groupbot admin add|list|remove``: the dashboard's accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
import time

from bot.accounts import admins as accounts
from bot.cli.common import CommandFailed, add_command, open_store, printable
from bot.config import Settings

ACTOR = "command line"


def register(commands) -> None:
    admin = add_command(commands, "admin", _usage, "manage dashboard accounts")
    actions = admin.add_subparsers(title="actions", metavar="ACTION")
    add = add_command(actions, "add", cmd_add, "create an admin, or set an existing admin's password")
    add.add_argument("email")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add_command(actions, "list", cmd_list, "show the admins")
    remove = add_command(actions, "remove", cmd_remove, "delete an admin and end their sessions")
    remove.add_argument("email")
    admin.set_defaults(print_help=admin.print_help)


def _usage(settings: Settings, args: argparse.Namespace) -> int:
    args.print_help(sys.stderr)
    return 2


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    """Create an admin (or change a password) after the strength check."""
    email = accounts.normalize_email(args.email)
    password = _read_password(email, from_stdin=args.password_stdin)
    store = open_store(settings)
    try:
        created = accounts.add_admin(store, email, password, actor=ACTOR)
    finally:
        store.close()
    print(f"admin {email} added" if created else f"password of {email} changed; its sessions were signed out")
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    """Print one admin per line with when they last signed in."""
    store = open_store(settings)
    try:
        admins = store.accounts.list_admins()
    finally:
        store.close()
    for row in admins:
        last = _day(row.last_sign_in) if row.last_sign_in else "never"
        print(f"{printable(row.email)}  added {_day(row.created_at)}  last sign-in {last}")
    if not admins:
        print("no admins yet; add one with `groupbot admin add EMAIL`")
    return 0


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    """Delete an admin; refuses the last one."""
    store = open_store(settings)
    try:
        accounts.remove_admin(store, args.email, actor=ACTOR)
    finally:
        store.close()
    print(f"admin {accounts.normalize_email(args.email)} removed")
    return 0


def _read_password(email: str, *, from_stdin: bool) -> str:
    """The new password, from stdin's first line or typed twice; CommandFailed otherwise."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandFailed("no password on stdin")
        return password
    try:
        password = getpass.getpass(f"Password for {email}: ")
        again = getpass.getpass("Repeat the password: ")
    except (EOFError, KeyboardInterrupt):
        raise CommandFailed("no password given") from None
    if password != again:
        raise CommandFailed("the two passwords differ; nothing changed")
    return password


def _day(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
