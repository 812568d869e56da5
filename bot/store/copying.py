"""SQL for copying a whole database into another, on either engine: its tables read from the schema, their rows
in batches, the counts kept by triggers recomputed, and PostgreSQL's identity sequences moved past the copied ids.

What a statement cannot share between the engines is the catalog (SQLite's pragmas, PostgreSQL's pg_catalog):
those few reads branch on ``store.engine``. The copy itself is written once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.store.base import Connection, Connections

# Migrations' own bookkeeping: each database keeps the history of its own migrations.
NOT_COPIED = ("schema_migrations",)
# Tables that triggers keep from other tables' rows: a copy recomputes them (``recompute_derived``).
DERIVED = ("queue_tab_counts", "front_desk_counts")
# The counts as migrations 0007 and 0010 first computed them, from the rows the triggers count.
RECOMPUTE_DERIVED_SQL = (
    "DELETE FROM queue_tab_counts",
    "INSERT INTO queue_tab_counts (tab, rows)"
    " SELECT 'pending', count(*) FROM replies WHERE status = 'pending'"
    " UNION ALL SELECT 'sent', count(*) FROM replies WHERE status = 'sent'"
    " UNION ALL SELECT 'failed', count(*) FROM replies WHERE status IN ('failed', 'expired', 'unconfirmed')"
    " UNION ALL SELECT 'all', count(*) FROM questions",
    "DELETE FROM front_desk_counts",
    "INSERT INTO front_desk_counts (name, rows) SELECT 'waiting', count(*) FROM questions WHERE waiting = 1",
)


@dataclass(frozen=True)
class Table:
    """One table: its columns in order, its primary key's column (None unless it has one column), the tables its
    foreign keys name."""

    name: str
    columns: tuple[str, ...]
    key: str | None
    parents: frozenset[str]


def tables(store: Connections) -> list[Table]:
    """Every table of the database but SQLite's own, parents before the tables whose foreign keys name them."""
    conn = store.conn
    if store.engine == "postgresql":
        names = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]
        found = [_postgres_table(conn, name) for name in names]
    else:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")]
        found = [_sqlite_table(conn, name) for name in names]
    return _parents_first(found)


def _sqlite_table(conn: Connection, name: str) -> Table:
    info = conn.execute("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", (name,)).fetchall()
    keys = [row[0] for row in info if row[1]]
    parents = {row[0] for row in conn.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))}
    return Table(name, tuple(row[0] for row in info), keys[0] if len(keys) == 1 else None, frozenset(parents))


def _postgres_table(conn: Connection, name: str) -> Table:
    columns = [row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ? ORDER BY ordinal_position", (name,))]
    keys = [row[0] for row in conn.execute(
        "SELECT u.column_name FROM information_schema.table_constraints c"
        " JOIN information_schema.key_column_usage u"
        " ON u.constraint_schema = c.constraint_schema AND u.constraint_name = c.constraint_name"
        " WHERE c.table_schema = current_schema() AND c.table_name = ? AND c.constraint_type = 'PRIMARY KEY'",
        (name,))]
    parents = {row[0] for row in conn.execute(
        "SELECT p.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname = ?", (name,))}
    return Table(name, tuple(columns), keys[0] if len(keys) == 1 else None, frozenset(parents))


def _parents_first(found: list[Table]) -> list[Table]:
    """``found`` ordered so that every table comes after the tables it refers to (by name where either may come)."""
    by_name = {table.name: table for table in found}
    ordered: list[Table] = []
    placed: set[str] = set()
    waiting = sorted(by_name)
    while waiting:
        ready = [name for name in waiting
                 if all(parent in placed or parent == name or parent not in by_name
                        for parent in by_name[name].parents)]
        if not ready:
            raise ValueError(f"the foreign keys of tables {', '.join(waiting)} form a cycle")
        for name in ready:
            ordered.append(by_name[name])
            placed.add(name)
        waiting = [name for name in waiting if name not in placed]
    return ordered


def count(store: Connections, table: str) -> int:
    """How many rows ``table`` holds."""
    return store.conn.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()[0]


def read_batches(store: Connections, table: Table, size: int) -> Iterator[list[Sequence[Any]]]:
    """The rows of ``table`` (its columns in order) in batches of up to ``size``, in primary key order; a table
    without a one-column key is read in one go."""
    columns = ", ".join(_quoted(column) for column in table.columns)
    if table.key is None:
        rows = store.conn.execute(f"SELECT {columns} FROM {_quoted(table.name)}").fetchall()
        if rows:
            yield [tuple(row) for row in rows]
        return
    key = _quoted(table.key)
    position = table.columns.index(table.key)
    first = f"SELECT {columns} FROM {_quoted(table.name)} ORDER BY {key} LIMIT {int(size)}"
    following = f"SELECT {columns} FROM {_quoted(table.name)} WHERE {key} > ? ORDER BY {key} LIMIT {int(size)}"
    rows = store.conn.execute(first).fetchall()
    while rows:
        yield [tuple(row) for row in rows]
        if len(rows) < size:
            return
        rows = store.conn.execute(following, (rows[-1][position],)).fetchall()


def insert_rows(conn: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (values of ``table.columns``, in order) into the table of the same name, columns by name."""
    columns = ", ".join(_quoted(column) for column in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    conn.executemany(f"INSERT INTO {_quoted(table.name)} ({columns}) VALUES ({marks})", rows)


def recompute_derived(conn: Connection) -> None:
    """Count again, from the rows now stored, what the triggers keep in queue_tab_counts and front_desk_counts."""
    for statement in RECOMPUTE_DERIVED_SQL:
        conn.execute(statement)


def advance_identities(store: Connections) -> None:
    """PostgreSQL: move each identity column's sequence past the largest id stored, so that new rows get the next
    ids instead of colliding with copied ones (SQLite takes the next rowid by itself). In the caller's transaction."""
    if store.engine != "postgresql":
        return
    conn = store.conn
    identities = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall()
    for table, column in identities:
        # No rows, no setval: the sequence then starts at 1 as it would have.
        conn.execute(f"SELECT setval(pg_get_serial_sequence(?, ?), max({_quoted(column)}))"
                     f" FROM {_quoted(table)} HAVING max({_quoted(column)}) IS NOT NULL", (table, column))


def identity(store: Connections) -> tuple[Any, ...]:
    """What tells one database from another whatever names it: the SQLite file (device and inode), or the
    PostgreSQL server (when it started) and the database in it."""
    if store.engine == "postgresql":
        row = store.conn.execute(
            "SELECT pg_postmaster_start_time()::text, d.oid, d.datname FROM pg_database d"
            " WHERE d.datname = current_database()").fetchone()
        return ("postgresql", *row)
    path = Path(getattr(store, "path"))
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return ("sqlite", str(path.resolve()))
    return ("sqlite", stat.st_dev, stat.st_ino)


def _quoted(name: str) -> str:
    """A table or column name quoted for either engine (``by`` and ``rows`` are key words to some)."""
    return '"' + name.replace('"', '""') + '"'
