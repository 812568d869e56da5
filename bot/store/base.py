"""What every repository shares: the store whose connection and transactions it uses."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

try:  # the PostgreSQL driver is an optional extra
    import psycopg
except ImportError:  # pragma: no cover - only without the extra
    psycopg = None

T = TypeVar("T")
# Which side of a sort key a page of a list lies: "after" it (the older rows of a newest-first list), or "before".
Side = Literal["after", "before"]


# What a failing statement raises, on either engine.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,) + ((psycopg.Error,) if psycopg else ())


class Rows(Protocol):
    """What a statement returns: its rows (each readable by position and by column name) and its row count."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """One connection as repositories use it: SQLite's own, or the PostgreSQL engine's translating wrapper."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Rows: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Rows: ...


class Connections(Protocol):
    """What a repository needs of the store (described here, so no repository imports the store back)."""

    engine: str

    @property
    def conn(self) -> Connection:
        """This thread's connection."""

    def transaction(self, *, serialised: bool = True) -> AbstractContextManager[Connection]:
        """One write transaction."""

    def transaction_within(self, seconds: float, *, serialised: bool = True) -> AbstractContextManager[Connection]:
        """One write transaction that gives up after `seconds`."""

    def writing(self) -> AbstractContextManager[Connection]:
        """A write transaction, or the caller's when one is open."""


class Repository:
    """One subject's statements, run on the store's per-thread connection."""

    def __init__(self, store: Connections) -> None:
        self._store = store

    @property
    def conn(self) -> Connection:
        """This thread's connection."""
        return self._store.conn


def iso(epoch: float | None) -> str | None:
    """An epoch time as the ISO 8601 UTC text that JSON listings show."""
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass(frozen=True)
class Cursor:
    """Where a page of a list starts: the sort key of a row already shown, and on which side of it to read."""

    side: Side
    key: tuple[float, ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the cursors of the pages around it (None where there is none)."""

    rows: list[T]
    newer: Cursor | None
    older: Cursor | None


def keyset_clauses(keys: Sequence[str], descending: bool, side: Side | None) -> tuple[str, str]:
    """The condition and ORDER BY of one page of a list sorted by ``keys`` (all one direction), read from the
    cursor bound as :k0, :k1... (the condition is "1 = 1" for the first page). Rows read "before" a cursor come
    in reverse order; ``keyset_page`` turns them back. Each page reads only its rows from an index on ``keys``."""
    forward = ">" if not descending else "<"
    ahead = side != "before"
    operator = forward if ahead else {"<": ">", ">": "<"}[forward]
    condition = "1 = 1" if side is None else (
        f"({', '.join(keys)}) {operator} ({', '.join(f':k{n}' for n in range(len(keys)))})")
    direction = "DESC" if descending == ahead else "ASC"
    return condition, ", ".join(f"{key} {direction}" for key in keys)


def cursor_params(cursor: Cursor | None) -> dict[str, float]:
    """The :k0, :k1... parameters of ``keyset_clauses`` for ``cursor``."""
    return {f"k{n}": value for n, value in enumerate(cursor.key)} if cursor else {}


def keyset_page(fetched: list[tuple[tuple[float, ...], T]], limit: int, cursor: Cursor | None) -> Page[T]:
    """A page from up to ``limit + 1`` (sort key, row) pairs read by ``keyset_clauses`` for ``cursor``."""
    more = len(fetched) > limit
    fetched = fetched[:limit]
    if cursor is not None and cursor.side == "before":
        fetched.reverse()
        newer_exists, older_exists = more, True
    else:
        newer_exists, older_exists = cursor is not None, more
    rows = [row for _, row in fetched]
    if not fetched:  # past either end (rows deleted meanwhile): a way back
        if cursor is None:
            return Page(rows, None, None)
        flipped = Cursor("before" if cursor.side == "after" else "after", cursor.key)
        return Page(rows, flipped if flipped.side == "before" else None, flipped if flipped.side == "after" else None)
    return Page(rows, Cursor("before", fetched[0][0]) if newer_exists else None,
                Cursor("after", fetched[-1][0]) if older_exists else None)
