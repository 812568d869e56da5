"""SQLite storage: schema, migrations, and every SQL statement groupbot runs.

``Store`` owns the connections; the statements live in one repository per subject
(``store.questions``, ``store.jobs``, ...), each returning frozen dataclasses, never rows.
Every method that stamps a time takes ``now`` from its caller. One connection per thread: SQLite
connections must not be shared across threads without a lock, and a lock would
serialise the readers that WAL lets run in parallel. Writes happen inside
``transaction()``, which takes the write lock up front (``BEGIN IMMEDIATE``) so two
writers never deadlock upgrading a read lock.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from bot.store.accounts import Accounts
from bot.store.audit import AuditLog
from bot.store.blog import Blog
from bot.store.dashboard import Dashboard
from bot.store.demo import DryRunData
from bot.store.echoes import PageEchoes
from bot.store.emails import AdminEmails
from bot.store.examples import LearnedExamples
from bot.store.graph_calls import GraphCalls
from bot.store.intake import Deliveries, Delivery, NewQuestion
from bot.store.leases import Leases
from bot.store.outbox import OutboxJobs
from bot.store.questions import Questions
from bot.store.replies import Replies
from bot.store.retention import Retention
from bot.store.state import KeyValues
from bot.store.takeovers import HumanTakeovers

__all__ = ["Delivery", "NewQuestion", "Store", "MIGRATIONS_DIR", "private_folder"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The database holds members' messages: only groupbot's own user may read it, whatever the umask.
PRIVATE_UMASK = 0o077
BUSY_TIMEOUT_MS = 30000
# After a checkpoint, the WAL file is cut back to this size instead of keeping its largest.
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
# /healthz waits this long for the write lock: a lock held longer keeps deliveries waiting past Meta's deadline.
HEALTH_WRITE_SECONDS = 4.0
HEALTH_PROBE_KEY = "health_probe"
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


class Store:
    """The database: connections and transactions, with one repository per subject as attributes.

    Safe to share across threads; each thread gets its own connection.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL"):
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.path = Path(path)
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
        self.deliveries = Deliveries(self)
        self.questions = Questions(self)
        self.replies = Replies(self)
        self.echoes = PageEchoes(self)
        self.takeovers = HumanTakeovers(self)
        self.dashboard = Dashboard(self)
        self.jobs = OutboxJobs(self)
        self.leases = Leases(self)
        self.state = KeyValues(self)
        self.blog = Blog(self)
        self.graph_calls = GraphCalls(self)
        self.accounts = Accounts(self)
        self.audit = AuditLog(self)
        self.emails = AdminEmails(self)
        self.examples = LearnedExamples(self)
        self.retention = Retention(self)
        self.dry_run_data = DryRunData(self)

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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction; roll back on any exception."""
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
    def transaction_within(self, seconds: float) -> Iterator[sqlite3.Connection]:
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

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, or the caller's when one is already open (so writes can be grouped)."""
        with (nullcontext(self.conn) if self.conn.in_transaction else self.transaction()) as conn:
            yield conn

    @contextmanager
    def savepoint(self, name: str) -> Iterator[None]:
        """Inside the caller's transaction: undo only the block's writes when it raises, then re-raise."""
        if not name.isidentifier():
            raise ValueError(f"not a savepoint name: {name!r}")
        conn = self.conn
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")

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

    def migrate(self, now: float) -> list[str]:
        """Apply the migrations not applied yet, each once, in name order (stamped `now`); returns their names."""
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            applied = []
            for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
                if path.name in done:
                    continue
                for statement in _statements(path.read_text()):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (path.name, now))
                applied.append(path.name)
        return applied

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

    def health(self, now: float) -> str | None:
        """Why the database cannot take writes now, or None: the file is still ours and a one-row write commits."""
        if self._opened_file is None and not self.ping():  # the first connection records the file that is ours
            return "the database does not answer"
        problem = self.file_problem()
        if problem:
            return problem
        if not self.ping():
            return "the database does not answer"
        try:
            with self.transaction_within(HEALTH_WRITE_SECONDS):
                self.state.set(HEALTH_PROBE_KEY, "ok", now)
        except sqlite3.Error as exc:
            if "locked" in str(exc) or "interrupted" in str(exc):
                return f"the database is locked by another writer for more than {HEALTH_WRITE_SECONDS:g} s"
            return f"the database refuses writes: {exc}"
        return None

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            self.conn.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
            return True
        except sqlite3.Error:
            return False


def _roll_back(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.warning("could not roll back a failed transaction")


def _statements(script: str) -> Iterator[str]:
    """Statements of a migration file; comments dropped (migrations keep ';' out of literals). A trigger's
    statements stay with it, up to the line holding only its END."""
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    statement = ""
    for part in code.split(";"):
        statement = f"{statement};{part}" if statement else part
        in_trigger = re.match(r"\s*CREATE\s+TRIGGER\b", statement, re.IGNORECASE)
        if in_trigger and not re.search(r"^\s*END\s*$", statement, re.IGNORECASE | re.MULTILINE):
            continue
        if statement.strip():
            yield statement.strip()
        statement = ""
    if statement.strip():
        yield statement.strip()
