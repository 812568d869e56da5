"""The `groupbot` command as a user runs it."""

import json

from tests.support.groupbot import run_cli, wait_for


def test_simulate_then_list_shows_the_question(server, workdir, server_env):
    sent = run_cli("simulate", "group-comment", "hola, cual es su numero?", "--url", f"{server.url}/webhooks/meta",
                   env=server_env, cwd=workdir)
    assert sent.returncode == 0 and sent.stdout.strip() == "200 EVENT_RECEIVED"

    def listed():
        out = run_cli("list", "questions", "--json", env=server_env, cwd=workdir)
        return [json.loads(line) for line in out.stdout.splitlines()]

    rows = wait_for(listed)
    assert len(rows) == 1
    row = rows[0]
    assert {"id", "source", "external_id", "author_id", "author_name", "text", "created_at", "status"} <= set(row)
    assert (row["source"], row["text"], row["author_name"]) == ("group_comment", "hola, cual es su numero?", "Demo Member")
    assert row["status"] in ("new", "suggested")  # the worker may already have suggested its reply


def test_simulate_each_kind_lands_with_its_source(server, workdir, server_env):
    for kind in ("comment", "group-comment", "message"):
        run_cli("simulate", kind, f"hello from {kind}", "--url", f"{server.url}/webhooks/meta", env=server_env, cwd=workdir)
    out = wait_for(lambda: (o := run_cli("list", "questions", env=server_env, cwd=workdir).stdout).count("hello from") == 3 and o)
    assert "page_comment" in out and "group_comment" in out and "messenger" in out


def test_simulate_without_a_server_explains_in_one_line(workdir, server_env):
    result = run_cli("simulate", "message", "hi", "--url", "http://127.0.0.1:9/webhooks/meta", env=server_env, cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.strip() == "groupbot: no server answers at http://127.0.0.1:9/webhooks/meta; start one with `groupbot serve`"


def test_simulate_with_the_wrong_secret_reports_the_refusal(server, workdir, server_env):
    env = dict(server_env, META_APP_SECRET="another-secret")
    result = run_cli("simulate", "message", "hi", "--url", f"{server.url}/webhooks/meta", env=env, cwd=workdir)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("groupbot: the server answered 403: bad signature; is DATA_DIR the same as the "
                                    "server's?")


def test_list_on_an_empty_database(workdir, server_env):
    result = run_cli("list", "questions", env=server_env, cwd=workdir)
    assert result.returncode == 0 and result.stdout.strip() == "no questions yet"


def test_bad_usage_exits_2(workdir, server_env):
    assert run_cli(env=server_env, cwd=workdir).returncode == 2
    assert run_cli("list", "nothing", env=server_env, cwd=workdir).returncode == 2
    assert run_cli("simulate", "tweet", "x", env=server_env, cwd=workdir).returncode == 2
