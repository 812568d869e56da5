"""Going live on the dry-run's data: `groupbot reset-demo` removes what dry-run made, keeps admins and secrets."""

from __future__ import annotations

from tests.support import payloads as p
from tests.support.groupbot import query, run_cli, wait_for


def test_reset_demo_removes_demo_posts_calls_questions_and_replies_but_keeps_admins_and_secrets(
        tmp_path, base_env, groupbot_server):
    env = base_env(tmp_path / "var")
    server = groupbot_server(tmp_path, env)
    assert server.post_delivery(p.message("How much is a consultation?")).status_code == 200
    wait_for(lambda: query(env, "SELECT count(*) FROM replies")[0][0] == 1, timeout=20)
    wait_for(lambda: query(env, "SELECT count(*) FROM graph_calls")[0][0] >= 2, timeout=20)

    refused = run_cli("reset-demo", "--yes", env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "stop every groupbot service first" in refused.stderr
    server.stop()
    secrets_before = (tmp_path / "var" / "secrets.json").read_text()
    admins_before = run_cli("admin", "list", env=env, cwd=tmp_path).stdout

    declined = run_cli("reset-demo", env=env, cwd=tmp_path, input="no\n")
    assert declined.returncode == 1
    assert "1 deliveries, 1 questions, 1 replies, 5 blog entries" in declined.stdout
    assert "Admins, the audit log and secrets are kept" in declined.stdout
    assert declined.stderr.strip() == "groupbot: nothing removed (answer yes, or pass --yes)"
    assert query(env, "SELECT count(*) FROM questions")[0][0] == 1

    confirmed = run_cli("reset-demo", env=env, cwd=tmp_path, input="yes\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert "removed 1 deliveries, 1 questions, 1 replies, 5 blog entries" in confirmed.stdout
    assert run_cli("list", "posts", env=env, cwd=tmp_path).stdout.strip() == "no posts yet"
    assert run_cli("list", "calls", env=env, cwd=tmp_path).stdout.strip().startswith("no ")
    assert run_cli("list", "questions", env=env, cwd=tmp_path).stdout.strip().startswith("no ")
    assert run_cli("admin", "list", env=env, cwd=tmp_path).stdout == admins_before
    assert (tmp_path / "var" / "secrets.json").read_text() == secrets_before
    assert query(env, "SELECT actor, action FROM audit_log WHERE action = 'reset_demo'") == [("command line",
                                                                                             "reset_demo")]

    # A script says --yes; a second reset finds nothing left. The next start works on the emptied database.
    again = run_cli("reset-demo", "--yes", env=env, cwd=tmp_path)
    assert again.returncode == 0 and "nothing but settings and admins" in again.stdout
    server = groupbot_server(tmp_path, env)
    assert server.post_delivery(p.message("hola, cual es su numero?")).status_code == 200
    wait_for(lambda: query(env, "SELECT id FROM questions") == [(1,)], timeout=20)
