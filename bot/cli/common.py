"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import re
import signal
import time
from collections.abc import Callable

from bot.config import Settings
from bot.errors import Refused
from bot.ops.running import damage_after_unclean_shutdown
from bot.store import Store, private_folder, store_for
from bot.store.postgres import DriverMissing

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class CommandFailed(Refused):
    """A failure the command explains in one line (exit code 1)."""


# C0, DEL, C1, and the bidi overrides and isolates that reorder what follows them: a member's name
# holding them could forge table rows, move the cursor or set the terminal's title.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def printable(text: object) -> str:
    """``text`` for a terminal line: each control character shown as a visible escape like ``\\x1b``."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), str(text))


def json_line(value: object) -> str:
    """``value`` as one line of JSON whose control characters are all \\u escapes, even those json leaves raw."""
    # json escapes C0 but not DEL, C1 (U+009B is CSI to some terminals) or the bidi controls.
    return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", json.dumps(value, ensure_ascii=False))


Handler = Callable[[Settings, argparse.Namespace], "int | None"]


def add_command(commands, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    """Add a subcommand whose ``handler(settings, args)`` runs it."""
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.set_defaults(handler=handler)
    return sub


def open_store(settings: Settings) -> Store:
    """The migrated database, or CommandFailed naming it (and `groupbot restore` when an SQLite file is damaged)."""
    if settings.database_path is not None:
        damage = damage_after_unclean_shutdown(settings.database_path)
        if damage:
            raise CommandFailed(f"the database at {settings.database_path} is damaged after an unclean shutdown"
                                f" ({damage}); put the newest backup back with `groupbot restore BACKUP_FILE`")
    try:
        store = store_for(settings)
    except DriverMissing as exc:
        raise CommandFailed(str(exc)) from None
    try:
        private_folder(settings.data_dir)
        store.migrate(time.time())
    except Exception as exc:  # a database error or OSError: the database is unusable
        store.close()
        raise CommandFailed(f"cannot open the database at {store.describe()}: {_one_line(exc)}") from None
    return store


def _one_line(exc: Exception) -> str:
    """A driver's error as one line (PostgreSQL's carry a DETAIL or HINT on lines of their own)."""
    return " ".join(str(exc).split())


def exit_on_sigterm() -> None:
    """Turn SIGTERM into the same clean shutdown as Ctrl-C (systemd and containers send TERM)."""

    def handler(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)
