"""Storage: schema, migrations, and every SQL statement groupbot runs, on SQLite (the default) or PostgreSQL.

``Store`` owns the engine (``bot.store.sqlite`` or ``bot.store.postgres``: connections and transactions);
the statements live in one repository per subject (``store.questions``, ``store.jobs``, ...), each returning
frozen dataclasses, never rows. Every method that stamps a time takes ``now`` from its caller. Statements and
migrations are written once, in SQLite's dialect; ``bot.store.dialect`` turns them into PostgreSQL's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from bot.store.accounts import Accounts
from bot.store.audit import AuditLog
from bot.store.base import DATABASE_ERRORS, Connection
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
from bot.store.sqlite import SqliteDatabase, private_folder
from bot.store.state import KeyValues
from bot.store.takeovers import HumanTakeovers

__all__ = ["MIGRATIONS_DIR", "Delivery", "NewQuestion", "Store", "is_postgresql_url", "private_folder", "store_for"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# /healthz waits this long for the write lock: a lock held longer keeps deliveries waiting past Meta's deadline.
HEALTH_WRITE_SECONDS = 4.0
HEALTH_PROBE_KEY = "health_probe"
log = logging.getLogger(__name__)


def is_postgresql_url(database: object) -> bool:
    """True when ``database`` is a PostgreSQL URL rather than an SQLite file."""
    return isinstance(database, str) and database.startswith(("postgresql://", "postgres://"))


def store_for(settings: object) -> Store:
    """The (not yet migrated) store that a Settings names: SQLite's file, or the PostgreSQL URL, with the engine's
    settings."""
    database = getattr(settings, "database_path", None) or getattr(settings, "database_url")
    return Store(database, synchronous=getattr(settings, "sqlite_synchronous", "FULL"),
                 pool_size=getattr(settings, "database_pool_size", 8))


class Store:
    """The database: its engine's connections and transactions, with one repository per subject as attributes.

    ``database`` is an SQLite file's path or a ``postgresql://`` URL. Safe to share across threads.
    """

    def __init__(self, database: str | Path, *, synchronous: str = "FULL", pool_size: int = 8):
        if is_postgresql_url(database):
            from bot.store.postgres import PostgresDatabase

            self.db: SqliteDatabase | PostgresDatabase = PostgresDatabase(str(database), pool_size=pool_size)
        else:
            self.db = SqliteDatabase(Path(database), synchronous=synchronous)
        self.engine = self.db.engine
        # The SQLite file, or None on PostgreSQL (whose files are the server's).
        self.path: Path | None = self.db.path
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

    def describe(self) -> str:
        """Where the data is (a file, or a database without its password), for messages."""
        return self.db.describe()

    @property
    def conn(self) -> Connection:
        """This thread's connection (on PostgreSQL, its transaction's, or a pooled one per statement)."""
        return self.db.conn

    def transaction(self, *, serialised: bool = True):
        """Run the block in one write transaction; roll back on any exception.

        Serialised (the default): no other serialised transaction runs meanwhile, in any process, so the block
        may read, decide and write. Only statements safe side by side may pass ``serialised=False`` (it changes
        nothing on SQLite, where every write transaction is serialised).
        """
        return self.db.transaction(serialised=serialised)

    def transaction_within(self, seconds: float, *, serialised: bool = True):
        """A write transaction that gives up after ``seconds`` instead of waiting (see ``timed_out``)."""
        return self.db.transaction_within(seconds, serialised=serialised)

    def timed_out(self, exc: Exception) -> bool:
        """True when ``exc`` says a transaction gave up waiting, not that the database refused the write."""
        return self.db.timed_out(exc)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
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
        self.db.close()

    def migrate(self, now: float) -> list[str]:
        """Apply the migrations not applied yet, each once, in name order (stamped `now`); returns their names.

        One transaction, serialised: processes starting at once apply them once, the others wait and find
        them done (PostgreSQL's schema changes are transactional too)."""
        with self.transaction() as conn:
            for statement in self.db.migration_statements(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"):
                conn.execute(statement)
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            applied = []
            for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
                if path.name in done:
                    continue
                for statement in _statements(path.read_text()):
                    for translated in self.db.migration_statements(statement):
                        conn.execute(translated)
                conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (path.name, now))
                applied.append(path.name)
        return applied

    def file_problem(self) -> str | None:
        """Why the database file on disk is not the one this store writes to (gone, replaced, read-only), or None."""
        return self.db.file_problem()

    def health(self, now: float) -> str | None:
        """Why the database cannot take writes now, or None: the file is still ours and a one-row write commits."""
        if not self.db.opened and not self.ping():  # the first connection records the file that is ours
            return "the database does not answer"
        problem = self.file_problem()
        if problem:
            return problem
        if not self.ping():
            return "the database does not answer"
        try:
            with self.transaction_within(HEALTH_WRITE_SECONDS):
                self.state.set(HEALTH_PROBE_KEY, "ok", now)
        except DATABASE_ERRORS as exc:
            if self.timed_out(exc):
                return f"the database is locked by another writer for more than {HEALTH_WRITE_SECONDS:g} s"
            return f"the database refuses writes: {exc}"
        return None

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            self.conn.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
            return True
        except DATABASE_ERRORS:
            return False


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
