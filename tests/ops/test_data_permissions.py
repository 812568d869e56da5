"""Member messages on disk: DATA_DIR is 0700, the database and its -wal/-shm 0600, whatever the umask."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import Settings
from tests.support import payloads as p
from tests.support.groupbot import GroupbotServer, query, run_cli, wait_for
from webhooks import create_app

PERMISSIVE = [0o022, 0o002, 0o000]


@contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private(data_dir: Path, *, wal: bool = True) -> None:
    assert mode(data_dir) == 0o700
    names = ["groupbot.db"] + (["groupbot.db-wal", "groupbot.db-shm"] if wal else [])
    for name in names:
        assert mode(data_dir / name) == 0o600, name
    for path in data_dir.iterdir():
        assert mode(path) & 0o077 == 0, path.name


@pytest.mark.parametrize("mask", PERMISSIVE)
def test_a_new_install_keeps_its_data_private_under_any_umask(workdir, mask, base_env):
    env = base_env(workdir / "var")
    for name in ("META_APP_SECRET", "META_VERIFY_TOKEN"):
        env.pop(name)  # generated, so secrets.json is written too
    with umask(mask):  # the server inherits it
        server = GroupbotServer(workdir, env).start()
    try:
        secrets = json.loads((workdir / "var" / "secrets.json").read_text())
        signed = GroupbotServer(workdir, env)
        signed.url = server.url
        assert signed.post_delivery(p.feed(p.comment_value("private question")),
                                    secret=secrets["META_APP_SECRET"]).status_code == 200
        wait_for(lambda: query(env, "SELECT count(*) FROM questions")[0][0] == 1)
        assert_private(workdir / "var")
        assert mode(workdir / "var" / "secrets.json") == 0o600
    finally:
        server.stop()


def test_files_left_readable_by_an_older_version_are_made_private_at_start(workdir, base_env):
    data_dir = workdir / "var"
    with umask(0o022):
        data_dir.mkdir(mode=0o755)
        with sqlite3.connect(data_dir / "groupbot.db") as conn:
            conn.execute("CREATE TABLE leftover (x)")
        os.chmod(data_dir / "groupbot.db", 0o644)
        (data_dir / "groupbot.db-wal").write_bytes(b"")
        os.chmod(data_dir / "groupbot.db-wal", 0o664)
        result = run_cli("list", "questions", env=base_env(data_dir), cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert mode(data_dir) == 0o700
    assert_private(data_dir, wal=False)  # the -wal is gone after the last connection closed


def test_the_wsgi_app_alone_makes_the_same_files_private(tmp_path, base_env):
    data_dir = tmp_path / "var"
    with umask(0o002):
        app = create_app(Settings.from_env(base_env(data_dir), env_file=None))
        store = app.extensions["groupbot"].store
        store.accounts.record_sign_in_failure("x@example.test", "192.0.2.1", 1_800_000_000.0)
        try:
            assert_private(data_dir)
        finally:
            store.close()


def test_generated_secrets_are_written_whole_and_private(tmp_path, base_env):
    data_dir = tmp_path / "var"
    env = {k: v for k, v in base_env(data_dir).items() if k not in ("META_APP_SECRET", "META_VERIFY_TOKEN")}
    with umask(0o000):
        first = Settings.from_env(env, env_file=None)
    path = data_dir / "secrets.json"
    assert mode(path) == 0o600 and mode(data_dir) == 0o700
    assert [entry.name for entry in data_dir.iterdir()] == ["secrets.json"]  # no temporary file left
    assert json.loads(path.read_text())["META_APP_SECRET"] == first.app_secret
    assert Settings.from_env(env, env_file=None).secret_key == first.secret_key  # kept, not regenerated
