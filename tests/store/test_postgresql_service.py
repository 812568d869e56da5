"""The whole service on PostgreSQL, as the README starts it: `DATABASE_URL=postgresql://… groupbot serve`."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.groupbot import run_cli, wait_for

PASSWORD = "s3cret-not-for-logs"


def test_serve_runs_on_postgresql_end_to_end_and_never_shows_the_password(tmp_path, base_env, groupbot_server,
                                                                          database_engine):
    if database_engine != "postgresql":
        pytest.skip("the PostgreSQL run of this suite")
    env = base_env(tmp_path / "var")
    # The test server trusts local connections, so any password gets in: what matters is where it shows up.
    env["DATABASE_URL"] = env["DATABASE_URL"].replace("groupbot_test@", f"groupbot_test:{PASSWORD}@")
    server = groupbot_server(tmp_path, env)

    asked = run_cli("simulate", "comment", "Hola, cuanto cuesta la consulta?", "--url", server.url, env=env,
                    cwd=tmp_path)
    listed = wait_for(lambda: (lambda out: out if out.returncode == 0 and out.stdout.strip() else None)(
        run_cli("list", "questions", "--json", env=env, cwd=tmp_path)), timeout=30)
    doctor = run_cli("doctor", env=env, cwd=tmp_path)
    backup = run_cli("backup", str(tmp_path / "backups"), env=env, cwd=tmp_path)
    health = requests.get(f"{server.url}/healthz", timeout=5)
    server.stop()

    [question] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert question["text"] == "Hola, cuanto cuesta la consulta?" and question["intent"] == "consultation"
    assert health.status_code == 200
    assert "database: postgresql://groupbot_test@127.0.0.1:" in server.log
    assert "ok      database: postgresql://groupbot_test@127.0.0.1:" in doctor.stdout
    assert backup.returncode == 1 and "on PostgreSQL use pg_dump" in backup.stderr
    assert not (tmp_path / "var" / "groupbot.db").exists()  # nothing went to an SQLite file on the side
    shown = server.log + "".join(r.stdout + r.stderr for r in (asked, listed, doctor, backup))
    assert PASSWORD not in shown
