"""The SQLite engine: one file, one connection per thread, one writer at a time.

SQLite connections must not be shared across threads without a lock, and a lock would serialise the
readers that WAL lets run in parallel: each thread gets its own connection. Writes happen inside
``transaction()``, which takes the write lock up front (``BEGIN IMMEDIATE``) so two writers never
deadlock upgrading a read lock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The database holds members' messages: only groupbot's own user may read it, whatever the umask.
PRIVATE_UMASK = 0o077
BUSY_TIMEOUT_MS = 30000
# After a checkpoint, the WAL file is cut back to this size instead of keeping its largest.
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
# How often (in SQLite virtual-machine steps) a transaction with a deadline checks the time.
DEADLINE_CHECK_STEPS = 1000
log = logging.getLogger(__name__)


def private_folder(folder: Path) -> None:
    """Create ``folder`` readable by this user only (0700), or make an existing one so."""
    with _private_umask():
        folder.mkdir(parents=True, exist_ok=True)
    _chmod(folder, 0o700)


@contextmanager
def _private_umask() -> Iterator[None]:
    # The umask is per process: threads racing here can only leave it stricter, never looser.
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def _chmod(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except PermissionError:  # someone else's file: groupbot still works, but say so
        log.warning("cannot restrict %s to mode %o: not its owner", path, mode)


class SqliteDatabase:
    """Connections and transactions on one SQLite file. Safe to share across threads."""

    engine = "sqlite"

    def __init__(self, path: Path, *, synchronous: str = "FULL"):
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.path = path
        self._synchronous = synchronous
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        # Threads of one process queue here, in order, instead of in SQLite's busy
        # handler, which sleeps in steps of up to 100 ms; other processes still meet
        # the busy timeout.
        self._write_lock = threading.RLock()
        # The file first opened: when the path later names another file (deleted, restored from a
        # backup), writes here would go to a file nobody will ever open again.
        self._opened_file: tuple[int, int] | None = None

    def describe(self) -> str:
        """Where the data is, for messages."""
        return str(self.path)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        if self._opened_file is not None and not self.path.exists():
            # SQLite would create an empty file in its place, and answer from it as if nothing happened.
            raise sqlite3.OperationalError("the database file was deleted")
        # SQLite gives a new -wal and -shm the database file's mode, so fixing the file's mode
        # first covers those made later by any process; the umask covers the files made now.
        self._private_files()
        with _private_umask():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN ourselves, so the module never opens
            # a transaction behind our back.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                # Only possible before the first table: lets a purge give its space back (Retention.reclaim_space).
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT_BYTES}")
        self._private_files()
        if self._opened_file is None:
            stat = os.stat(self.path)
            self._opened_file = (stat.st_dev, stat.st_ino)
        # FULL (the default): every commit, so every 200 given to Meta, survives a power cut.
        # NORMAL: survives any crash of groupbot itself, not of the machine; much less CPU.
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _private_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            _chmod(self.path.with_name(self.path.name + suffix), 0o600)

    @contextmanager
    def transaction(self, *, serialised: bool = True) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction; roll back on any exception. (SQLite has one writer at a
        time, so every transaction is serialised.)"""
        conn = self.conn
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself failed (disk full): never leave the connection inside a transaction.
                _roll_back(conn)
                raise

    @contextmanager
    def transaction_within(self, seconds: float, *, serialised: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction that gives up after ``seconds`` (raising sqlite3.OperationalError) instead of waiting.

        For callers with someone waiting on the answer: the other writers of this process, another process's
        lock (a busy timeout) and the statements themselves (a progress check) all count against the time.
        The final flush to disk cannot be interrupted.
        """
        deadline = time.monotonic() + seconds
        conn = self.conn
        if not self._write_lock.acquire(timeout=max(seconds, 0.0)):
            raise sqlite3.OperationalError("database is locked (another writer in this process)")
        try:
            left_ms = max(int((deadline - time.monotonic()) * 1000), 0)
            conn.execute(f"PRAGMA busy_timeout={left_ms}")
            conn.set_progress_handler(lambda: time.monotonic() > deadline, DEADLINE_CHECK_STEPS)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.set_progress_handler(None, 0)  # once written, let the commit finish
                    conn.execute("COMMIT")
                except BaseException:
                    _roll_back(conn)
                    raise
            finally:
                conn.set_progress_handler(None, 0)
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            self._write_lock.release()

    @staticmethod
    def timed_out(exc: Exception) -> bool:
        """True when ``exc`` says a transaction gave up waiting (the lock, or its own time)."""
        return "locked" in str(exc) or "interrupted" in str(exc)

    def migration_statements(self, statement: str) -> list[str]:
        """A migration statement as this engine runs it (SQLite's dialect is the one migrations are written in)."""
        return [statement]

    def close(self) -> None:
        """Close every connection this store opened (call at shutdown)."""
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()
        self._opened_file = None

    def file_problem(self) -> str | None:
        """Why the database file on disk is not the one this store writes to (gone, replaced, read-only), or None."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return "the database file was deleted; writes would be lost at restart"
        except OSError as exc:
            return f"the database file cannot be examined: {exc.strerror}"
        if self._opened_file is not None and (stat.st_dev, stat.st_ino) != self._opened_file:
            return "the database file was replaced; writes would go to the old one (restart groupbot)"
        if not os.access(self.path, os.W_OK):
            return "the database file is read-only"
        return None

    @property
    def opened(self) -> bool:
        """True once a connection has been opened (and the file that is ours recorded)."""
        return self._opened_file is not None


def _roll_back(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.warning("could not roll back a failed transaction")
