"""The real groupbot as a subprocess: its fixed secrets, running `groupbot ARGS`, `groupbot serve`, its database."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from bot.intake import signature
from tests.support.network_guard import guard_env

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PAGE_ID = "104000000000001"


def run_cli(*args: str, env: dict[str, str], cwd: Path, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `groupbot ARGS` in a subprocess and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=guard_env(env), cwd=cwd, input=input,
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
            env=guard_env(self.env), cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
        if self.process and self.process.stdout and not self.process.stdout.closed:
            # The process is gone, so its output ends: read it all, then close our end of the pipe.
            self._reader.join(timeout=15)
            # A child that outlived it (a worker) may still hold the pipe: closing under the
            # reader thread would then block forever, so leave it to that thread.
            if not self._reader.is_alive():
                self.process.stdout.close()
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


def db_path(env: dict[str, str]) -> Path:
    return Path(env["DATA_DIR"]) / "groupbot.db"


def query(env: dict[str, str], sql: str, params: tuple = ()) -> list[tuple]:
    """Read the server's database directly (read-only), as an operator would: its SQLite file, or its PostgreSQL
    database when DATABASE_URL names one (the statement written in SQLite's dialect, as groupbot's are)."""
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgresql://"):
        import psycopg

        from bot.store.dialect import postgres_statement

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET default_transaction_read_only = on")
            return [tuple(row) for row in conn.execute(postgres_statement(sql), params).fetchall()]
    with closing(sqlite3.connect(f"file:{db_path(env)}?mode=ro", uri=True)) as conn, conn:
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
