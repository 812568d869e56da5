"""The PostgreSQL engine: psycopg 3 and its connection pool, with SQLite's guarantees.

Repositories write their SQL once, in SQLite's dialect (``bot.store.dialect`` rewrites it), and read
rows by position or by column name: ``Row`` gives them what ``sqlite3.Row`` does.

Statements outside a transaction borrow a pooled connection for that statement (autocommit, as
SQLite's connections run). A transaction keeps one pooled connection for the thread until it ends.

Every repository was written for SQLite, where a write transaction is the only writer
(``BEGIN IMMEDIATE``): it may read, decide, then write. A serialised transaction keeps that
promise on PostgreSQL with a transaction-level advisory lock, shared by every groupbot process on
every machine using the database. The few writes that are safe side by side and must not wait behind
the others (a webhook's raw body, an outbox claim made with ``FOR UPDATE SKIP LOCKED``) run in
transactions that are not serialised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from bot.store.dialect import postgres_migration, postgres_statement

try:
    import psycopg
    from psycopg.adapt import Dumper, Loader
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError:  # pragma: no cover - checked by PostgresDatabase
    psycopg = None
    Dumper = Loader = object  # type: ignore[assignment,misc]

# What a missing driver's message says to do (in the folder groupbot was installed from).
INSTALL_DRIVER = "pip install -e '.[postgresql]' (the postgresql extra: psycopg and its pool)"
# Held by every serialised transaction of every groupbot process using the database ("groupbot" in ASCII).
WRITER_LOCK_KEY = 0x67726F7570626F74
# How long a process waits for PostgreSQL to answer a new connection, or for a free pooled one, before saying why.
CONNECT_SECONDS = 10
# A pooled connection idle for longer is checked before it is lent (``_check_if_idle``).
CHECK_AFTER_IDLE_SECONDS = 1.0
log = logging.getLogger(__name__)


class DriverMissing(RuntimeError):
    """DATABASE_URL names PostgreSQL, but the driver is not installed."""


class Row:
    """One row, readable by position, by column name, unpacked, or as a dict (like ``sqlite3.Row``)."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, (Row, tuple)) else other)

    __hash__ = None  # type: ignore[assignment]

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values))!r})"


def _row_factory(cursor: Any) -> Any:
    index = {column.name: n for n, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


class Result:
    """A statement's rows, read in full before its connection goes back to the pool."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Row]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class _BooleanAsInteger(Dumper):  # type: ignore[misc]
    """Flags are INTEGER 0/1 columns, as in SQLite: Python's booleans go as integers."""

    oid = 20  # int8

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _NumericAsNumber(Loader):  # type: ignore[misc]
    """sum() and avg() give numeric: read it as SQLite gives it, an int when whole, else a float."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else float(text)


def _run(conn: Any, sql: str, parameters: Any, many: bool = False) -> Result:
    with conn.cursor(row_factory=_row_factory) as cursor:
        if many:
            cursor.executemany(postgres_statement(sql), parameters)
            return Result([], cursor.rowcount)
        # Always with parameters, even none, so psycopg reads every statement the same way (``%%``).
        cursor.execute(postgres_statement(sql), parameters if parameters is not None else ())
        rows = cursor.fetchall() if cursor.description else []
        return Result(rows, cursor.rowcount)


class PostgresConnection:
    """What repositories call ``conn``: runs each statement in this thread's transaction, or on its own."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._database = database

    @property
    def in_transaction(self) -> bool:
        return self._database._held() is not None

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Result:
        held = self._database._held()
        if held is not None:
            return _run(held, sql, parameters)
        # A read is tried again on another connection when its own was cut; a write is not, as it may have
        # been applied before the connection broke.
        reads = sql.lstrip()[:6].upper() == "SELECT"
        with self._database._lent(first=lambda conn: _run(conn, sql, parameters), again=reads) as (_, result):
            return result

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Result:
        held = self._database._held()
        if held is not None:
            return _run(held, sql, rows, many=True)
        with self._database._transaction(serialised=False, seconds=None):
            return _run(self._database._held(), sql, rows, many=True)


class PostgresDatabase:
    """Connections and transactions on one PostgreSQL database. Safe to share across threads."""

    engine = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 8):
        if psycopg is None:
            raise DriverMissing(f"DATABASE_URL names PostgreSQL, but its driver is not installed: {INSTALL_DRIVER}")
        self.url = url
        self.path = None
        self._pool_size = pool_size
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._local = threading.local()
        # Threads of one process queue here for a serialised transaction, without holding a pooled connection.
        self._write_lock = threading.RLock()
        self._view = PostgresConnection(self)

    def describe(self) -> str:
        """The database, without its password, for messages."""
        try:
            parts = conninfo_to_dict(self.url)
        except psycopg.ProgrammingError:
            return "a PostgreSQL database (its URL does not parse)"
        host = parts.get("host", "localhost")
        port = f":{parts['port']}" if parts.get("port") else ""
        user = f"{parts['user']}@" if parts.get("user") else ""
        return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"

    @property
    def conn(self) -> PostgresConnection:
        return self._view

    @property
    def opened(self) -> bool:
        return self._pool is not None

    def _held(self) -> Any:
        return getattr(self._local, "held", None)

    @contextmanager
    def _lent(self, timeout: float | None = None, *, first: Callable[[Any], Any], again: bool) -> Iterator[Any]:
        """A pooled connection and what ``first(connection)`` gave, the connection returned to the pool after the
        block. With ``again``, a connection found cut by ``first`` (its server restarted, a failover) is dropped
        and ``first`` tried on the next, until one answers: the pool cannot tell a cut connection that was used
        a moment ago (``_check_if_idle``)."""
        pool = self._opened_pool()
        attempts = self._pool_size + 1 if again else 1
        for attempt in range(attempts):
            conn = pool.getconn(timeout=timeout)
            try:
                result = first(conn)
            except psycopg.OperationalError:
                pool.putconn(conn)  # a broken connection is closed, not lent again
                if conn.broken and attempt + 1 < attempts:
                    continue
                raise
            except BaseException:
                pool.putconn(conn)
                raise
            try:
                yield conn, result
            finally:
                pool.putconn(conn)
            return

    def _opened_pool(self) -> ConnectionPool:
        with self._pool_lock:
            if self._pool is None:
                # One plain connection first: when PostgreSQL cannot be reached, its error says why
                # (refused, password, no such database), where the pool would only time out.
                psycopg.connect(self.url, connect_timeout=CONNECT_SECONDS).close()
                self._pool = ConnectionPool(
                    self.url, min_size=1, max_size=self._pool_size, open=True, timeout=CONNECT_SECONDS,
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_SECONDS},
                    configure=_configure, check=_check_if_idle, reset=_note_use, name="groupbot")
            return self._pool

    @contextmanager
    def transaction(self, *, serialised: bool = True) -> Iterator[PostgresConnection]:
        """Run the block in one transaction; roll back on any exception. Serialised (the default): no other
        serialised transaction of any groupbot process runs meanwhile."""
        with self._transaction(serialised, None):
            yield self._view

    @contextmanager
    def transaction_within(self, seconds: float, *, serialised: bool = True) -> Iterator[PostgresConnection]:
        """A transaction that gives up after ``seconds`` (waiting for this process's other writers, a pooled
        connection, the writer lock, any row lock, or its own statements) instead of waiting."""
        with self._transaction(serialised, seconds):
            yield self._view

    @contextmanager
    def _transaction(self, serialised: bool, seconds: float | None) -> Iterator[None]:
        if self._held() is not None:
            raise psycopg.ProgrammingError("cannot start a transaction within a transaction")
        deadline = None if seconds is None else time.monotonic() + seconds
        lock = self._write_lock if serialised else nullcontext()
        if serialised and seconds is not None:
            if not self._write_lock.acquire(timeout=max(seconds, 0.0)):
                raise PoolTimeout("database is locked (another writer in this process)")
            lock = _Releasing(self._write_lock)
        wait = None if deadline is None else max(deadline - time.monotonic(), 0.001)
        # BEGIN is tried again on a cut connection: nothing of the transaction ran yet.
        with lock, self._lent(wait, first=lambda conn: conn.execute("BEGIN"), again=True) as (conn, _):
            self._local.held = conn
            try:
                if deadline is not None:
                    left_ms = max(int((deadline - time.monotonic()) * 1000), 1)
                    conn.execute(f"SET LOCAL lock_timeout = {left_ms}")
                    conn.execute(f"SET LOCAL statement_timeout = {left_ms}")
                if serialised:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY,))
                yield
                conn.execute("COMMIT")
            except BaseException:
                _roll_back(conn)
                raise
            finally:
                self._local.held = None

    @staticmethod
    def timed_out(exc: Exception) -> bool:
        """True when ``exc`` says a transaction gave up waiting."""
        return isinstance(exc, (PoolTimeout, psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled))

    @staticmethod
    def migration_statements(statement: str) -> list[str]:
        """A migration statement (written in SQLite's dialect) as PostgreSQL's."""
        return postgres_migration(statement)

    def close(self) -> None:
        """Close the pool (call at shutdown)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    @staticmethod
    def file_problem() -> str | None:
        """PostgreSQL keeps its own files: nothing here can go missing under groupbot."""
        return None


class _Releasing:
    """Releases a lock already acquired, at the end of a with block."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def _check_if_idle(conn: Any) -> None:
    """Before a pooled connection is lent: one that sat idle may have been cut (a server restart, a failover, a
    firewall's idle timeout), so it is checked with a round trip; one used within the last second is not, as
    every statement outside a transaction borrows a connection and a check each would double its trips."""
    if time.monotonic() - getattr(conn, "_groupbot_used", 0.0) > CHECK_AFTER_IDLE_SECONDS:
        ConnectionPool.check_connection(conn)


def _note_use(conn: Any) -> None:
    conn._groupbot_used = time.monotonic()


def _configure(conn: Any) -> None:
    conn.adapters.register_dumper(bool, _BooleanAsInteger)
    conn.adapters.register_loader("numeric", _NumericAsNumber)


def _roll_back(conn: Any) -> None:
    try:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        log.warning("could not roll back a failed transaction")
