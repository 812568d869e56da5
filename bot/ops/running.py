"""Whether a groupbot process is using the database: restore and reset-demo must have it to themselves."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.errors import Refused
from bot.outbox.leases import holder_is_gone
from bot.runtime.dispatcher import PUBLISHER_LEASE
from bot.store import Store, is_postgresql_url
from bot.store.base import DATABASE_ERRORS
from bot.store.snapshot import quick_check_problem

PROC = Path("/proc")


class GroupbotRunning(Refused):
    """A groupbot process still runs on this database."""


def refuse_while_running(database: Path | str, doing: str) -> None:
    """Raise GroupbotRunning when the worker holds its lease, or another process has the database open.

    On PostgreSQL (``database`` a URL), whose processes may run on other machines, only the lease can tell."""
    if not is_postgresql_url(database) and not Path(database).exists():
        return
    holder = _live_publisher(database)
    if holder:
        raise GroupbotRunning(f"cannot {doing} while groupbot runs (its worker {holder} holds the database); "
                              "stop every groupbot service first")
    if is_postgresql_url(database):
        return
    pids = processes_using(Path(database))
    if pids:
        raise GroupbotRunning(f"cannot {doing} while process {', '.join(map(str, pids))} has the database open; "
                              "stop every groupbot service first")


def _live_publisher(database: Path | str) -> str | None:
    store = Store(database)
    try:
        lease = store.leases.current(PUBLISHER_LEASE)
    except DATABASE_ERRORS:  # an empty or older database: no lease table, so no worker ever ran
        return None
    finally:
        store.close()
    if lease is None or lease.expires_at <= time.time() or holder_is_gone(lease.holder):
        return None
    return lease.holder


def damage_after_unclean_shutdown(database: Path) -> str | None:
    """What is wrong with the database when the last process to use it did not close it, or None.

    SQLite removes the write-ahead log when the last connection closes cleanly; one left behind
    with nobody holding the file means a crash, a kill -9 or a power cut, the moments a disk or
    a restore-by-rename can leave the file damaged. Only then is the file checked (a quick_check
    reads every page), so a clean start costs nothing.
    """
    log_file = database.with_name(database.name + "-wal")
    try:
        left_behind = log_file.stat().st_size > 0
    except FileNotFoundError:
        return None
    if not left_behind or processes_using(database):
        return None
    return quick_check_problem(database)


def processes_using(path: Path) -> list[int]:
    """Other processes of this machine with ``path`` (or its -wal) open, as far as /proc lets this user see."""
    if not PROC.is_dir():
        return []
    wanted = {str(path.resolve()), str(path.resolve()) + "-wal"}
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            targets = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:  # gone meanwhile, or another user's
            continue
        if targets & wanted:
            found.append(int(entry.name))
    return sorted(found)
