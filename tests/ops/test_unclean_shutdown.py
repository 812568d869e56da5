"""After a power cut or a kill -9, groupbot checks its database before using it, and a damaged one stops it with
one line that says how to put a backup back."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import struct
from contextlib import closing
from pathlib import Path

import pytest

from tests.support import payloads as p
from tests.support.groupbot import db_path, run_cli, wait_for

WAL_HEADER_BYTES = 32
FRAME_HEADER_BYTES = 24


def listed_questions(workdir: Path, env: dict[str, str]) -> str:
    result = run_cli("list", "questions", "--json", env=env, cwd=workdir)
    assert result.returncode == 0, result.stderr
    return json.dumps([json.loads(line) for line in result.stdout.splitlines()], ensure_ascii=False)


def kill_everything(server) -> None:
    """SIGKILL `serve` and its worker child at once, as a power cut would: nobody closes the database."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    server.kill()


def pages_in_log(database: Path) -> tuple[int, set[int]]:
    """The page size, and the pages that the write-ahead log holds newer copies of."""
    data = database.with_name(database.name + "-wal").read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    pages, offset = set(), WAL_HEADER_BYTES
    while offset + FRAME_HEADER_BYTES + page_size <= len(data):
        pages.add(struct.unpack(">I", data[offset:offset + 4])[0])
        offset += FRAME_HEADER_BYTES + page_size
    return page_size, pages


def damage(database: Path) -> None:
    """Overwrite every page of the file that the log does not shadow, past the header page, as a failing disk
    or a backup renamed over a live file would."""
    page_size, shadowed = pages_in_log(database)
    pages = database.stat().st_size // page_size
    with database.open("r+b") as file:
        for number in range(2, pages + 1):
            if number not in shadowed:
                file.seek((number - 1) * page_size)
                file.write(b"\xa5" * page_size)


@pytest.fixture
def crashed(workdir, server_env, groupbot_server):
    """A data folder whose server took a question and was then killed with everything it ran."""
    server = groupbot_server(workdir, server_env)
    database = db_path(server_env)
    assert server.post_delivery(p.message("Where is your office?", sender="5550101")).status_code == 200
    wait_for(lambda: "Where is your office?" in listed_questions(workdir, server_env))
    # Fold the log into the file while the server runs, as SQLite does every thousand pages: the
    # schema and the first question now live only in the file, the next write only in the log.
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert server.post_delivery(p.message("¿Y a qué hora abren?", sender="5550101")).status_code == 200
    wait_for(lambda: "qué hora abren" in listed_questions(workdir, server_env))
    kill_everything(server)
    assert database.with_name(database.name + "-wal").stat().st_size > 0, "a kill leaves the log behind"
    return database


def test_a_sound_database_left_by_a_crash_is_checked_and_used(crashed, workdir, server_env, groupbot_server):
    server = groupbot_server(workdir, server_env)
    listed = listed_questions(workdir, server_env)
    assert "Where is your office?" in listed and "qué hora abren" in listed, "nothing taken before the crash is lost"
    assert "damaged" not in server.log


def test_a_damaged_database_stops_serve_with_one_line_naming_restore(crashed, workdir, server_env):
    damage(crashed)
    result = run_cli("serve", "--port", "0", env=server_env, cwd=workdir)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "damaged after an unclean shutdown" in lines[0]
    assert "groupbot restore" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_a_clean_stop_leaves_nothing_to_check(workdir, server_env, groupbot_server):
    server = groupbot_server(workdir, server_env)
    assert server.post_delivery(p.message("Hola, ¿dónde están?", sender="5550102")).status_code == 200
    assert server.stop() == 0
    database = db_path(server_env)
    assert not database.with_name(database.name + "-wal").exists(), "a clean stop folds the log into the file"
