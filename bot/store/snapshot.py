"""Whole-database copies: an online snapshot through SQLite's backup API, its checks, and what it holds."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
# What a restore reports, and what a test compares: the rows an office would miss.
COUNTED_TABLES = ("deliveries", "questions", "replies", "admins")


def copy_database(source: Path, target: Path) -> None:
    """Copy the database at ``source`` into a new single file ``target``, consistently, while others write."""
    # One step (pages=-1): the copy is one read transaction, so it is a snapshot; WAL lets writers go on.
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
        # A backup is one file to carry: no -wal or -shm beside it.
        dst.execute("PRAGMA journal_mode=DELETE")


def integrity_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a sound groupbot database, or None when it is."""
    try:
        with path.open("rb") as file:
            if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return "not an SQLite database"
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                return "integrity check failed: " + "; ".join(verdict[:3])
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except (OSError, sqlite3.Error) as exc:
        return f"unreadable ({exc})"
    if not {"schema_migrations", *COUNTED_TABLES} <= tables:
        return "not a groupbot database"
    return None


def quick_check_problem(path: Path) -> str | None:
    """What `PRAGMA quick_check` finds wrong in the database at ``path`` (its write-ahead log replayed), or None."""
    try:
        # A read-write connection: opening it replays what the log holds, as groupbot's own will.
        with closing(sqlite3.connect(path, timeout=30)) as conn:
            verdict = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.Error as exc:
        return str(exc)
    return None if verdict == ["ok"] else "; ".join(verdict[:3])


def row_counts(path: Path) -> dict[str, int]:
    """How many deliveries, questions, replies and admins the database at ``path`` holds."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED_TABLES}


def checkpoint_and_close(path: Path) -> bool:
    """Fold the write-ahead log into the database file; False when another connection kept it from finishing."""
    try:
        with closing(sqlite3.connect(path, timeout=5)) as conn:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            # Leaving WAL needs the only connection: it also proves nobody else has the file open.
            conn.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError:
        return False
    return not busy
