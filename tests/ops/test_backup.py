"""Backups an office can trust: taken while groupbot runs, encrypted with a passphrase, rotated, and restored."""

from __future__ import annotations

import sqlite3
import stat
import threading
from contextlib import closing
from pathlib import Path

import pytest
import requests

from tests.support import payloads as p
from tests.support.groupbot import query, run_cli, wait_for

DELIVERIES = 40
COUNTED = ("deliveries", "questions", "replies", "admins")
PASSPHRASE = "correct horse battery staple, en español también"


def counts(database: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_line_error(result) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def stopped(tmp_path, base_env, groupbot_server):
    """A data folder that a dry-run server filled (demo posts, two answered messages), then stopped."""
    env = base_env(tmp_path / "var")
    server = groupbot_server(tmp_path, env)
    for text in ("How much is a consultation?", "hola, cual es su numero?"):
        assert server.post_delivery(p.message(text)).status_code == 200
    wait_for(lambda: query(env, "SELECT count(*) FROM replies")[0][0] == 2, timeout=20)
    server.stop()
    return env


def test_a_backup_taken_while_deliveries_arrive_restores_with_nothing_lost(tmp_path, base_env, groupbot_server):
    env = base_env(tmp_path / "var")
    server = groupbot_server(tmp_path, env)
    acknowledged: list[int] = []

    def deliver() -> None:
        for n in range(DELIVERIES):
            if server.post_delivery(p.message(f"How much is a consultation? ({n})")).status_code == 200:
                acknowledged.append(n)

    sender = threading.Thread(target=deliver)
    sender.start()
    wait_for(lambda: len(acknowledged) >= 10, timeout=30)
    acknowledged_before = len(acknowledged)
    taken = run_cli("backup", f"{tmp_path / 'backups'}/", env=env, cwd=tmp_path)
    sender.join(timeout=60)
    assert taken.returncode == 0, taken.stderr
    assert len(acknowledged) == DELIVERIES
    [backup] = (tmp_path / "backups").iterdir()
    assert mode(backup) == 0o600 and mode(tmp_path / "backups") == 0o700

    in_backup = counts(backup)
    # Every delivery acknowledged to Meta before the backup began is in it, and none is half-written.
    assert in_backup["deliveries"] >= acknowledged_before
    with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [row[0] for row in conn.execute("SELECT id FROM deliveries ORDER BY id")]
    assert ids == list(range(1, in_backup["deliveries"] + 1))

    refused = run_cli("restore", str(backup), env=env, cwd=tmp_path)
    assert "stop every groupbot service first" in one_line_error(refused)
    wait_for(lambda: query(env, "SELECT count(*) FROM questions")[0][0] == DELIVERIES, timeout=30)
    server.stop()

    restored = run_cli("restore", str(backup), env=env, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    database = tmp_path / "var" / "groupbot.db"
    assert counts(database) == in_backup
    [previous] = (tmp_path / "var").glob("groupbot.db.before-restore-*")
    assert counts(previous)["deliveries"] == DELIVERIES
    assert mode(database) == 0o600 and mode(previous) == 0o600

    # Started again on the restored data, the worker turns every delivery in the backup into a question.
    groupbot_server(tmp_path, env)
    wait_for(lambda: query(env, "SELECT count(*) FROM questions")[0][0] == in_backup["deliveries"], timeout=30)
    listed = run_cli("list", "questions", "--limit", "100", env=env, cwd=tmp_path)
    assert listed.stdout.count("How much is a consultation?") == in_backup["deliveries"]


def test_an_encrypted_backup_is_unreadable_without_its_passphrase_and_restores_with_it(tmp_path, stopped):
    env = {**stopped, "GROUPBOT_BACKUP_PASSPHRASE": PASSPHRASE}
    expected = counts(tmp_path / "var" / "groupbot.db")
    taken = run_cli("backup", "--encrypt", str(tmp_path / "night.db.enc"), env=env, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    assert "(encrypted)" in taken.stdout
    sealed = tmp_path / "night.db.enc"
    assert mode(sealed) == 0o600
    content = sealed.read_bytes()
    assert b"SQLite format 3" not in content and b"consultation" not in content
    assert not list(tmp_path.rglob(".groupbot-*")), "a plain copy was left behind"
    with closing(sqlite3.connect(sealed)) as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT count(*) FROM questions").fetchone()

    without = run_cli("restore", str(sealed), env=stopped, cwd=tmp_path)
    assert "is encrypted: set GROUPBOT_BACKUP_PASSPHRASE" in one_line_error(without)

    run_cli("reset-demo", "--yes", env=stopped, cwd=tmp_path)
    assert counts(tmp_path / "var" / "groupbot.db")["questions"] == 0
    restored = run_cli("restore", str(sealed), env=env, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert counts(tmp_path / "var" / "groupbot.db") == expected
    listed = run_cli("list", "questions", env=stopped, cwd=tmp_path)
    assert "hola, cual es su numero?" in listed.stdout


def test_a_wrong_passphrase_is_one_clear_line_and_changes_nothing(tmp_path, stopped):
    key_file = tmp_path / "backup-passphrase"
    key_file.write_text(PASSPHRASE + "\n")
    taken = run_cli("backup", "--encrypt", "--passphrase-file", str(key_file), str(tmp_path / "b.enc"),
                    env=stopped, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    database = tmp_path / "var" / "groupbot.db"
    before = database.read_bytes()

    wrong = run_cli("restore", str(tmp_path / "b.enc"), env={**stopped, "GROUPBOT_BACKUP_PASSPHRASE": "not it"},
                    cwd=tmp_path)
    assert one_line_error(wrong) == f"groupbot: cannot decrypt {tmp_path / 'b.enc'}: wrong passphrase, or the file " \
                                    "was damaged"
    assert database.read_bytes() == before
    assert not list((tmp_path / "var").glob("groupbot.db.before-restore-*"))

    right = run_cli("restore", "--passphrase-file", str(key_file), str(tmp_path / "b.enc"), env=stopped, cwd=tmp_path)
    assert right.returncode == 0, right.stderr


def test_encrypting_without_a_passphrase_is_refused(tmp_path, stopped):
    refused = run_cli("backup", "--encrypt", str(tmp_path / "b.enc"), env=stopped, cwd=tmp_path)
    assert "--encrypt needs a passphrase" in one_line_error(refused)
    assert not (tmp_path / "b.enc").exists()


def test_keep_rotates_the_folder_down_to_the_newest_n_and_leaves_other_files_alone(tmp_path, stopped):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("the office's own file")
    written = []
    for _ in range(4):
        result = run_cli("backup", str(folder), "--keep", "2", env=stopped, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        written.append(result.stdout.split("backup written to ")[1].split()[0])
    kept = sorted(path.name for path in folder.iterdir() if path.name != "notes.txt")
    assert kept == sorted(Path(name).name for name in written[-2:])
    assert (folder / "notes.txt").read_text() == "the office's own file"
    assert "removed 1 older backup(s), keeping the newest 2" in result.stdout
    none_kept = run_cli("backup", str(folder), "--keep", "0", env=stopped, cwd=tmp_path)
    assert one_line_error(none_kept) == "groupbot: --keep must be at least 1"
    assert len(list(folder.iterdir())) == 3


def test_a_damaged_backup_is_refused_before_anything_is_replaced(tmp_path, stopped):
    assert run_cli("backup", str(tmp_path / "good.db"), env=stopped, cwd=tmp_path).returncode == 0
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes((tmp_path / "good.db").read_bytes()[:8192])
    database = tmp_path / "var" / "groupbot.db"
    before = database.read_bytes()

    refused = run_cli("restore", str(damaged), env=stopped, cwd=tmp_path)
    assert "cannot be restored" in one_line_error(refused) and "nothing was changed" in refused.stderr
    not_ours = tmp_path / "photo.jpg"
    not_ours.write_bytes(b"\xff\xd8\xff\xe0 not a database")
    assert "is not a groupbot backup" in one_line_error(run_cli("restore", str(not_ours), env=stopped, cwd=tmp_path))
    assert database.read_bytes() == before
    assert sorted(path.name for path in (tmp_path / "var").iterdir()) == ["groupbot.db", "secrets.json"]


def test_restore_is_refused_while_a_web_process_alone_has_the_database_open(tmp_path, stopped, groupbot_server):
    assert run_cli("backup", str(tmp_path / "good.db"), env=stopped, cwd=tmp_path).returncode == 0
    web = groupbot_server(tmp_path, stopped, command="web")
    assert requests.get(f"{web.url}/healthz", timeout=10).status_code == 200
    refused = run_cli("restore", str(tmp_path / "good.db"), env=stopped, cwd=tmp_path)
    assert one_line_error(refused).endswith("has the database open; stop every groupbot service first")
    assert str(web.process.pid) in refused.stderr
    assert not list((tmp_path / "var").glob("groupbot.db.before-restore-*"))
