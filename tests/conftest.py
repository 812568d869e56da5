"""Fixtures for every test: the network guard, a groupbot's environment and settings, the real server as a
subprocess, a real store, a real PostgreSQL, the fakes of Meta and the blog.

Plain helpers (payload builders, `run_cli`, `query`, `wait_for`, checks on the fakes) are in tests/support.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pytest

from bot.config import Settings
from bot.intake.deliveries import process_deliveries
from bot.meta.client import GraphClient
from bot.replies.windows import expire_overdue
from bot.runtime.assemble import assemble
from bot.runtime.dispatcher import Dispatcher
from bot.store import Store, store_for
from bot.store.replies import Reply
from tests.support import network_guard as guard
from tests.support.groupbot import APP_SECRET, PAGE_ID, REPO_ROOT, VERIFY_TOKEN, GroupbotServer
from tests.support.postgres import PostgresServer, PostgresUnavailable

if TYPE_CHECKING:
    from tests.fakes.fake_blog import FakeBlog
    from tests.fakes.fake_graph import FakeGraph

# -- no network outside 127.0.0.1 ------------------------------------------------------------------------


class NetworkGuard:
    """The refusals of the network guard, in this process and in the processes the tests started."""

    def __init__(self, report: Path) -> None:
        self.report = report
        self._read = 0

    def take(self) -> list[str]:
        """Refusals not taken yet (one line each); taking them means they fail no test."""
        with open(self.report, "rb") as report:
            report.seek(self._read)
            new = report.read()
            self._read += len(new)
        return new.decode("utf-8", "replace").splitlines()

    def fail_on_refusals(self, when: str) -> None:
        refused = self.take()
        if refused:
            pytest.fail(f"the network guard refused a connection {when} (tests may only reach loopback):\n"
                        + "\n".join(refused), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def network_guard_session(tmp_path_factory):
    """Refuse connections outside loopback in this process, and in every Python process the tests start."""
    report = tmp_path_factory.mktemp("network-guard") / "refused.log"
    report.touch()
    refusals = NetworkGuard(report)
    guard.install(report)
    guarded = guard.guard_env(dict(os.environ), report)
    with pytest.MonkeyPatch.context() as env:
        for name in (guard.ENABLE_VAR, guard.REPORT_VAR, "PYTHONPATH"):
            env.setenv(name, guarded[name])  # for processes started with this process's environment
        yield refusals
    guard.uninstall()
    refusals.fail_on_refusals("after the last test (a server shared by several tests?)")


@pytest.fixture(autouse=True)
def network_guard(network_guard_session: NetworkGuard):
    """Fail the test if anything it ran, here or in a subprocess, connected (or tried to) outside loopback."""
    network_guard_session.fail_on_refusals("before this test (in a shared fixture?)")
    yield network_guard_session
    network_guard_session.fail_on_refusals("during this test")


# -- a groupbot's environment and settings ------------------------------------------------------------------


# The suites that run on both engines: each of their tests runs once on SQLite and once on PostgreSQL.
DUAL_ENGINE_SUITES = ("store", "intake", "outbox", "replies")


class _Databases:
    """The databases of the test running now: SQLite files in each groupbot's data folder, or, on a PostgreSQL
    run, one fresh PostgreSQL database per data folder (so two groupbots of one test stay apart, as on SQLite)."""

    def __init__(self) -> None:
        self.server: PostgresServer | None = None
        self.made: dict[Path, str] = {}

    def env_for(self, data_dir: Path) -> dict[str, str]:
        if self.server is None:
            return {}
        key = data_dir.resolve()
        if key not in self.made:
            self.made[key] = self.server.create_database()
        return {"DATABASE_URL": self.made[key]}

    def end(self) -> None:
        if self.server is not None:
            for url in self.made.values():
                self.server.drop_database(url)
        self.server, self.made = None, {}


_databases = _Databases()


def pytest_generate_tests(metafunc):
    if "database_engine" in metafunc.fixturenames and metafunc.definition.path.parent.name in DUAL_ENGINE_SUITES:
        metafunc.parametrize("database_engine", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def database_engine(request):
    """The engine this test's groupbots use: "sqlite", or on the PostgreSQL run of the dual-engine suites
    "postgresql" (DATABASE_URL then names a fresh database per data folder)."""
    engine = getattr(request, "param", "sqlite")
    if engine == "postgresql":
        marker = request.node.get_closest_marker("sqlite_only")
        if marker:
            pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'tests SQLite itself'}")
        _databases.server = request.getfixturevalue("postgresql_server")
    try:
        yield engine
    finally:
        _databases.end()


def _base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("META_", "BLOG_", "DATABASE_", "DRY_RUN"))}
    env.update(_databases.env_for(data_dir))
    env.update(
        DATA_DIR=str(data_dir),
        META_APP_SECRET=APP_SECRET,
        META_VERIFY_TOKEN=VERIFY_TOKEN,
        META_PAGE_ID=PAGE_ID,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        # A worker training the answer model would load every server test's CPU; tests of training turn it on.
        MODEL_TRAINING="0",
    )
    env.update(extra)
    return guard.guard_env(env)


def _live_env(data_dir: Path, fake: FakeGraph, blog: FakeBlog | None, **extra: str) -> dict[str, str]:
    env = _base_env(data_dir, DRY_RUN="0", META_PAGE_ACCESS_TOKEN=fake.token, META_PAGE_ID=fake.page_id,
                    META_APP_SECRET=fake.app_secret, META_APP_ID=fake.app_id, META_GRAPH_URL=fake.url,
                    META_GRAPH_TIMEOUT_SECONDS="1", PYTHONPATH=str(REPO_ROOT))
    if blog is not None:
        env["BLOG_FEED_URL"] = blog.feed_url
    env.update(extra)
    return env


def _live_settings(data_dir: Path, fake: FakeGraph, blog: FakeBlog | None, **extra: str) -> Settings:
    return Settings.from_env(_live_env(data_dir, fake, blog, **extra), env_file=None)


def _graph_for(settings: Settings, *, token: str | None = None) -> GraphClient:
    return GraphClient(base_url=settings.graph_url, version=settings.graph_version, page_id=settings.page_id,
                       page_token=token or settings.page_token, app_secret=settings.app_secret,
                       app_id=settings.app_id, timeout=0.5, sleep=lambda seconds: None)


def _publisher_for(settings: Settings, store: Store) -> Dispatcher:
    return assemble(settings, store, graph=_graph_for(settings), feed_timeout=0.5).dispatcher


@pytest.fixture(scope="session")
def base_env(network_guard_session) -> Callable[..., dict[str, str]]:
    """base_env(data_dir, **extra): a clean environment for a groupbot process: dry-run, fixed secrets, data in
    ``data_dir``."""
    return _base_env


@pytest.fixture(scope="session")
def live_env(network_guard_session) -> Callable[..., dict[str, str]]:
    """live_env(data_dir, fake, blog, **extra): environment for a live (not dry-run) groupbot talking to the fakes."""
    return _live_env


@pytest.fixture(scope="session")
def live_settings(network_guard_session) -> Callable[..., Settings]:
    """live_settings(data_dir, fake, blog, **extra): settings of a live groupbot talking to the fakes, ignoring the
    real environment."""
    return _live_settings


@pytest.fixture(scope="session")
def graph_for() -> Callable[..., GraphClient]:
    """graph_for(settings, token=None): a GraphClient for the fake that never really sleeps between its inline
    retries."""
    return _graph_for


@pytest.fixture(scope="session")
def publisher_for() -> Callable[[Settings, Store], Dispatcher]:
    """publisher_for(settings, store): the assembled dispatcher of these settings, whose feed polls time out fast."""
    return _publisher_for


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Dry-run settings with data in tmp_path, ignoring the real environment."""
    return Settings.from_env(_base_env(tmp_path / "var"), env_file=None)


@pytest.fixture
def store(settings: Settings):
    """A migrated store of these settings (SQLite in tmp_path, or this test's PostgreSQL database)."""
    db = store_for(settings)
    db.migrate(time.time())
    yield db
    db.close()


# -- a real PostgreSQL ------------------------------------------------------------------------------------------


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgresql_server(network_guard_session):
    """The session's PostgreSQL, started (or attached to) at its first use: GROUPBOT_TEST_POSTGRESQL_URL's server,
    else a throwaway cluster on 127.0.0.1. Without one the test is skipped, and in CI it fails."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as missing:
        reason = str(missing)
    else:
        yield server
        server.stop()
        return
    if _in_ci():
        pytest.fail(f"{reason} (in CI the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgresql_url(postgresql_server: PostgresServer):
    """The URL of a fresh, empty PostgreSQL database for this test only, dropped after it."""
    url = postgresql_server.create_database()
    yield url
    postgresql_server.drop_database(url)


# -- the real server ------------------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def server_env(workdir: Path) -> dict[str, str]:
    return _base_env(workdir / "var")


@pytest.fixture
def server(workdir: Path, server_env: dict[str, str]):
    """A running `groupbot serve` (dry-run) in a fresh data folder."""
    srv = GroupbotServer(workdir, server_env).start()
    yield srv
    srv.stop()


@pytest.fixture
def groupbot_server():
    """groupbot_server(workdir, env, command="serve"): start `groupbot COMMAND` for real; it is stopped after the
    test if the test did not stop it."""
    started: list[GroupbotServer] = []

    def start(workdir: Path, env: dict[str, str], command: str = "serve") -> GroupbotServer:
        server = GroupbotServer(workdir, env, command=command)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


# -- the reply pipeline stepped by hand ------------------------------------------------------------------------


class Desk:
    """One live groupbot's reply pipeline on a real database, stepped by hand: intake, judging, sending."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.now = time.time()
        # The senders read the same time as the step, so Meta's windows are judged at the step's `now`.
        self.runtime = assemble(settings, store, graph=_graph_for(settings), feed_timeout=0.5, clock=lambda: self.now)
        self.publisher = self.runtime.dispatcher
        self.judge = self.runtime.suggester

    def deliver(self, *payloads: dict) -> None:
        """Commit deliveries as the webhook does."""
        self.store.deliveries.insert([(json.dumps(p).encode(), time.time()) for p in payloads])

    def step(self, now: float | None = None) -> None:
        """One worker pass over the reply pipeline: parse, judge, expire, send what is due."""
        now = self.now = time.time() if now is None else now
        process_deliveries(self.store, now=now)
        self.judge.run(now)
        expire_overdue(self.store, now)
        self.publisher.outbox.process_due(now)

    def only_reply(self) -> Reply:
        [reply] = self.store.replies.triaged()
        return reply


@pytest.fixture
def make_desk():
    """make_desk(tmp_path, fake, **extra): a Desk of a live groupbot (settings from ``extra``) talking to ``fake``;
    its store is closed after the test."""
    desks: list[Desk] = []

    def make(tmp_path: Path, fake: FakeGraph, **extra: str) -> Desk:
        settings = _live_settings(tmp_path / "var", fake, None, **extra)
        store = store_for(settings)
        store.migrate(time.time())
        desks.append(Desk(settings, store))
        return desks[-1]

    yield make
    for desk in desks:
        desk.store.close()


# -- the fakes ----------------------------------------------------------------------------------------------------


@pytest.fixture
def fake():
    """A fake Graph API on 127.0.0.1, in this process."""
    from tests.fakes.fake_graph import FakeGraph

    with FakeGraph() as graph:
        yield graph


@pytest.fixture
def blog():
    """A fake blog on 127.0.0.1 whose feed holds two posts."""
    from tests.fakes.fake_blog import FakeBlog, make_posts

    with FakeBlog() as server:
        server.set_posts(make_posts(2))
        yield server
