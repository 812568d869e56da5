"""Shared fixtures: the real groupbot server as a subprocess, signed deliveries, a real store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from bot.config import Settings
from bot.intake import signature
from bot.store import Store

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PAGE_ID = "104000000000001"


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a groupbot process: dry-run, fixed secrets, data in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("META_", "BLOG_", "DATABASE_", "DRY_RUN"))}
    env.update(
        DATA_DIR=str(data_dir),
        META_APP_SECRET=APP_SECRET,
        META_VERIFY_TOKEN=VERIFY_TOKEN,
        META_PAGE_ID=PAGE_ID,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], cwd: Path, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `groupbot ARGS` in a subprocess and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, input=input,
        capture_output=True, text=True, timeout=timeout,
    )


class GroupbotServer:
    """`groupbot serve` running for real on 127.0.0.1, with its output captured."""

    def __init__(self, workdir: Path, env: dict[str, str], command: str = "serve"):
        self.workdir = workdir
        self.env = env
        self.command = command
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []
        self.url = ""

    def start(self, timeout: float = 20.0) -> "GroupbotServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", self.command, "--port", "0"],
            env=self.env, cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        ready = threading.Event()
        self._reader = threading.Thread(target=self._pump, args=(ready,), daemon=True)
        self._reader.start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("groupbot did not start:\n" + self.log)
        return self

    def _pump(self, ready: threading.Event) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            self.output.append(line)
            if "groupbot serving on " in line:
                self.url = line.split("serving on ")[1].split()[0]
                ready.set()
        ready.set()

    @property
    def log(self) -> str:
        return "".join(self.output)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=5)
        return self.process.returncode if self.process else None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def post_delivery(self, payload: Any = None, *, body: bytes | None = None, secret: str = APP_SECRET,
                      headers: dict[str, str] | None = None) -> requests.Response:
        """POST a delivery signed like Meta signs it (raw bytes, escaped unicode)."""
        if body is None:
            body = json.dumps(payload).encode()
        sent = {"Content-Type": "application/json", signature.HEADER: signature.sign(body, secret)}
        sent.update(headers or {})
        return requests.post(f"{self.url}/webhooks/meta", data=body, headers=sent, timeout=10)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def server_env(workdir: Path) -> dict[str, str]:
    return base_env(workdir / "var")


@pytest.fixture
def server(workdir: Path, server_env: dict[str, str]):
    """A running `groupbot serve` (dry-run) in a fresh data folder."""
    srv = GroupbotServer(workdir, server_env).start()
    yield srv
    srv.stop()


def db_path(env: dict[str, str]) -> Path:
    return Path(env["DATA_DIR"]) / "groupbot.db"


def query(env: dict[str, str], sql: str, params: tuple = ()) -> list[tuple]:
    """Read the server's database directly (read-only), as an operator would."""
    with sqlite3.connect(f"file:{db_path(env)}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Dry-run settings with data in tmp_path, ignoring the real environment."""
    return Settings.from_env(base_env(tmp_path / "var"), env_file=None)


@pytest.fixture
def store(settings: Settings):
    """A migrated SQLite store in tmp_path."""
    db = Store(settings.database_path)
    db.migrate(time.time())
    yield db
    db.close()


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
