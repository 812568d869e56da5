"""The command line explains itself in one line: a busy port, a refused signature, the wrong --url."""

from __future__ import annotations

import json

import pytest

from tests.support.groupbot import run_cli, wait_for


@pytest.mark.parametrize("command", ["serve", "web"])
def test_a_busy_port_is_one_clear_line_not_a_traceback(server, workdir, server_env, command):
    port = server.url.rsplit(":", 1)[1]

    second = run_cli(command, "--port", port, env=server_env, cwd=workdir, timeout=30)

    assert second.returncode == 1
    assert second.stderr.strip().splitlines() == [
        f"groupbot: cannot listen on 127.0.0.1:{port}: the port is already in use (another groupbot?); stop it, "
        "or choose another port with --port"]
    assert "Traceback" not in second.stderr + second.stdout


def test_simulate_accepts_the_servers_base_url(server, workdir, server_env):
    for url in (server.url, server.url + "/"):
        sent = run_cli("simulate", "message", "How much is a consultation?", "--url", url, env=server_env, cwd=workdir)
        assert (sent.returncode, sent.stdout.strip()) == (0, "200 EVENT_RECEIVED"), sent.stderr

    def texts():
        listed = run_cli("list", "questions", "--json", env=server_env, cwd=workdir).stdout.splitlines()
        return [json.loads(line)["text"] for line in listed]

    # The worker turns each stored delivery into a question shortly after the 200.
    assert wait_for(lambda: len(texts()) == 2 and texts()) == ["How much is a consultation?"] * 2


def test_simulate_never_dumps_a_web_page(server, workdir, server_env):
    result = run_cli("simulate", "message", "hi", "--url", f"{server.url}/admin/login", env=server_env, cwd=workdir)

    assert result.returncode == 1 and result.stdout == ""
    assert "<" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("groupbot: the server answered 400: (an HTML page, not the webhook's answer: is ")
    assert "/webhooks/meta?" in result.stderr


def test_simulate_from_another_folder_says_which_secrets_it_signed_with(tmp_path, groupbot_server, base_env):
    # A newcomer's setup: no secrets in the environment, DATA_DIR left at its default `var` in the server's folder.
    env = {k: v for k, v in base_env(tmp_path / "unused").items()
           if k not in ("DATA_DIR", "META_APP_SECRET", "META_VERIFY_TOKEN")}
    home, elsewhere = tmp_path / "office", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    server = groupbot_server(home, env)

    refused = run_cli("simulate", "message", "hi", "--url", server.url, env=env, cwd=elsewhere)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "groupbot: the server answered 403: bad signature; is DATA_DIR the same as the server's? Unless "
        f"META_APP_SECRET is set, this command signs with the app secret in {elsewhere / 'var' / 'secrets.json'}: "
        "run it from the server's folder, or give it the server's DATA_DIR"]

    pointed = run_cli("simulate", "message", "hi", "--url", server.url, env=dict(env, DATA_DIR=str(home / "var")),
                      cwd=elsewhere)
    assert pointed.stdout.strip() == "200 EVENT_RECEIVED"
    at_home = run_cli("simulate", "message", "hi", "--url", server.url, env=env, cwd=home)
    assert at_home.stdout.strip() == "200 EVENT_RECEIVED"
