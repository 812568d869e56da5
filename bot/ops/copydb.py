"""Moving an installation between engines: every row of the database into another, empty one, then checked.

The target is migrated first, so both databases have the same tables; then every table of the source is copied,
columns by name, in one transaction on the target: a copy that fails leaves the target as empty as it was. The
counts the triggers keep are recomputed from the copied rows, PostgreSQL's identity sequences are moved past the
copied ids, and after the commit each table's rows are counted on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.errors import Refused
from bot.store import Store, copying, is_postgresql_url
from bot.store.base import DATABASE_ERRORS
from bot.store.copying import DERIVED, NOT_COPIED, Table

# Rows per INSERT batch: few round trips to a distant server, and a bounded memory for large bodies.
BATCH_ROWS = 500
SQLITE_PREFIX = "sqlite:///"


class CopyRefused(Refused):
    """The copy cannot be made, or failed and was undone; the message names the table at fault, never a password."""


@dataclass(frozen=True)
class TableCount:
    """One table's rows in the source and in the copy."""

    table: str
    source: int
    copied: int


@dataclass(frozen=True)
class CopyResult:
    """What was copied where, table by table."""

    source: str
    target: str
    counts: list[TableCount]

    @property
    def differences(self) -> list[TableCount]:
        """The tables whose copy does not hold as many rows as the source."""
        return [count for count in self.counts if count.source != count.copied]


def target_database(url: str) -> str | Path:
    """The database ``--to`` names: a ``postgresql://`` URL as it is, or the file of ``sqlite:///path`` (three
    slashes for a relative path, four for an absolute one, as in DATABASE_URL)."""
    if is_postgresql_url(url):
        if not url.split("://", 1)[1].strip("/"):
            raise CopyRefused("--to must name a PostgreSQL server and database, "
                              "e.g. postgresql://groupbot:PASSWORD@db.example:5432/groupbot")
        return url
    if url.startswith(SQLITE_PREFIX) and len(url) > len(SQLITE_PREFIX):
        return Path(url[len(SQLITE_PREFIX):])
    # Only the scheme is shown: the rest may hold a password.
    shown = url.split("://", 1)[0] + "://…" if "://" in url else "a bare path"
    raise CopyRefused(f"--to must be postgresql://user:password@host:5432/dbname or sqlite:///path/to/new.db "
                      f"(got {shown})")


def copy_database(source: Store, target: Store, *, now: float, batch_rows: int = BATCH_ROWS) -> CopyResult:
    """Copy every groupbot table of the migrated ``source`` into ``target`` (which must hold no data), then count
    both sides. Raises CopyRefused, with nothing copied, when the target is the source, holds data or lacks a
    table or column of the source."""
    if copying.identity(source) == copying.identity(target):
        raise CopyRefused(f"the target {target.describe()} is the database groupbot uses; name another one")
    _refuse_data(target)  # before migrating: a database of something else is left untouched
    try:
        target.migrate(now)
    except DATABASE_ERRORS as exc:
        raise CopyRefused(f"cannot create groupbot's tables in {target.describe()}: {_one_line(exc)}") from None
    _refuse_data(target)
    tables = [table for table in copying.tables(source) if table.name not in NOT_COPIED]
    _refuse_missing(tables, {table.name: table for table in copying.tables(target)}, target)
    copied = _copy(source, target, tables, batch_rows)
    counts = [TableCount(table.name, copying.count(source, table.name), copying.count(target, table.name))
              for table in copied]
    return CopyResult(source.describe(), target.describe(), counts)


def _refuse_data(target: Store) -> None:
    for table in copying.tables(target):
        if table.name in NOT_COPIED or table.name in DERIVED:  # migrations write these themselves
            continue
        rows = copying.count(target, table.name)
        if rows:
            raise CopyRefused(f"the target {target.describe()} already holds data ({rows} row{'s' if rows > 1 else ''} "
                              f"in {table.name}); "
                              "copy into an empty database")


def _refuse_missing(tables: list[Table], into: dict[str, Table], target: Store) -> None:
    for table in tables:
        if table.name not in into:
            raise CopyRefused(f"the target {target.describe()} has no table {table.name}: the source was written "
                              "by a newer groupbot; upgrade this one first")
        missing = [column for column in table.columns if column not in into[table.name].columns]
        if missing:
            raise CopyRefused(f"the target's table {table.name} has no column {missing[0]}: the source was written "
                              "by a newer groupbot; upgrade this one first")


def _copy(source: Store, target: Store, tables: list[Table], batch_rows: int) -> list[Table]:
    """Every row of ``tables`` in one transaction on the target; returns the tables, parents first."""
    current = ""
    try:
        with target.transaction() as conn:
            for table in tables:
                if table.name in DERIVED:
                    continue
                current = table.name
                for rows in copying.read_batches(source, table, batch_rows):
                    copying.insert_rows(conn, table, rows)
            current = ""
            # Copied questions and replies fired the triggers that count them, but a question copied as already
            # waiting never moved the waiting count: count everything again from the rows.
            copying.recompute_derived(conn)
            copying.advance_identities(target)
    except DATABASE_ERRORS as exc:
        where = f"table {current}" if current else "the counts"
        raise CopyRefused(f"copying {where} into {target.describe()} failed, so nothing was copied: "
                          f"{_one_line(exc)}") from None
    return tables


def _one_line(exc: Exception) -> str:
    """A driver's error as one line (PostgreSQL's carry a DETAIL or HINT on lines of their own)."""
    return " ".join(str(exc).split())
