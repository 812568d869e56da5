"""`groupbot token exchange` against the fake Graph API: short-lived user token -> long-lived -> Page token."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fakes.fake_graph import LONG_LIVED_USER_TOKEN
from tests.support.groupbot import run_cli
from tests.support.network_guard import guard_env

# Runs `groupbot token exchange` on a pseudo-terminal, as an admin would, types argv[1] at the prompt, and prints
# the whole terminal transcript. A fresh process forks, so no test-process thread is copied into the child.
AT_A_TERMINAL = """
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "bot.cli", "token", "exchange"])
seen = b""
while b"(not shown): " not in seen:
    seen += os.read(fd, 1024)
os.write(fd, sys.argv[1].encode() + b"\\n")
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:  # EIO: the child closed the terminal
        break
    if not chunk:
        break
    seen += chunk
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


@pytest.fixture
def env(tmp_path, fake, base_env):
    """An installation before it has a Page token (dry-run), with the app's id and secret set, as the doc says."""
    return base_env(tmp_path / "var", META_GRAPH_URL=fake.url, META_APP_ID=fake.app_id,
                    META_APP_SECRET=fake.app_secret, META_PAGE_ID=fake.page_id, LOG_LEVEL="DEBUG")


def exchange(env, cwd, token):
    return run_cli("token", "exchange", env=env, cwd=cwd, input=f"{token}\n")


def secrets_of(fake):
    return (fake.user_token, LONG_LIVED_USER_TOKEN, fake.token, fake.app_secret, "fake-other-page-token")


def test_prints_the_page_token_once_and_logs_no_secret(env, fake, tmp_path):
    done = exchange(env, tmp_path, fake.user_token)

    assert done.returncode == 0, done.stderr
    assert f"META_PAGE_ACCESS_TOKEN={fake.token}\n" in done.stdout
    assert done.stdout.count(fake.token) == 1
    assert "Demo Immigration Law Firm (104000000000001)" in done.stdout
    assert "fake-other-page-token" not in done.stdout
    for secret in secrets_of(fake):  # LOG_LEVEL=DEBUG: urllib3 prints every URL it requests
        assert secret not in done.stderr
    assert "client_secret=[redacted]" in done.stderr
    calls = [(r["path"], r["query"].get("grant_type")) for r in fake.requests]
    assert calls == [("/oauth/access_token", "fb_exchange_token"), ("/me/accounts", None)]


def test_at_a_terminal_the_typed_token_is_not_echoed(env, fake, tmp_path):
    env["LOG_LEVEL"] = "INFO"

    done = subprocess.run([sys.executable, "-c", AT_A_TERMINAL, fake.user_token], env=guard_env(env), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Short-lived user token from the Graph API Explorer (not shown): " in done.stdout
    assert fake.user_token not in done.stdout
    assert f"META_PAGE_ACCESS_TOKEN={fake.token}" in done.stdout


def test_the_printed_token_is_one_doctor_accepts(env, fake, blog, tmp_path, live_env):
    done = exchange(env, tmp_path, fake.user_token)
    token = done.stdout.split("META_PAGE_ACCESS_TOKEN=", 1)[1].split()[0]

    checked = run_cli("doctor", env=live_env(tmp_path / "var", fake, blog, META_PAGE_ACCESS_TOKEN=token), cwd=tmp_path)

    assert "token: valid page token with the needed scopes, no expiry" in checked.stdout


def test_never_takes_the_token_as_an_argument(env, fake, tmp_path):
    refused = run_cli("token", "exchange", fake.user_token, env=env, cwd=tmp_path, input="")

    assert refused.returncode == 2
    assert fake.requests == []


def test_lists_the_pages_when_no_page_id_is_set(env, fake, tmp_path):
    del env["META_PAGE_ID"]

    done = exchange(env, tmp_path, fake.user_token)

    assert done.returncode == 0, done.stderr
    assert "  104000000000001  Demo Immigration Law Firm\n  104000000000002  Firm Events\n" in done.stdout
    assert "META_PAGE_ID" in done.stdout
    assert fake.token not in done.stdout and "fake-other-page-token" not in done.stdout


def test_a_page_id_the_user_does_not_manage_lists_the_pages_and_fails(env, fake, tmp_path):
    env["META_PAGE_ID"] = "104000000000999"

    refused = exchange(env, tmp_path, fake.user_token)

    assert refused.returncode == 1
    assert "104000000000002  Firm Events" in refused.stdout
    assert refused.stderr.strip().splitlines()[-1].startswith(
        "groupbot: META_PAGE_ID 104000000000999 is not among the Pages this user manages")
    assert fake.token not in refused.stdout + refused.stderr


def test_finds_the_page_beyond_the_first_hundred(env, fake, tmp_path):
    pages = [{"id": str(105000000000000 + n), "name": f"Page {n}", "access_token": f"token-{n}", "tasks": []}
             for n in range(150)]
    fake.set_managed_pages(pages)
    env["META_PAGE_ID"] = pages[140]["id"]

    done = exchange(env, tmp_path, fake.user_token)

    assert done.returncode == 0, done.stderr
    assert "META_PAGE_ACCESS_TOKEN=token-140\n" in done.stdout
    assert [r["query"].get("after") for r in fake.requests if r["path"] == "/me/accounts"] == [None, "100"]


def test_warns_when_the_admin_lacks_tasks_on_the_page(env, fake, tmp_path):
    fake.set_managed_pages([{"id": fake.page_id, "name": "Firm", "access_token": fake.token,
                             "tasks": ["ANALYZE", "CREATE_CONTENT"]}])

    done = exchange(env, tmp_path, fake.user_token)

    assert done.returncode == 0, done.stderr
    assert "note: on this Page you lack the tasks MODERATE, MESSAGING" in done.stdout


@pytest.mark.parametrize("arrange, token, expected", [
    (lambda fake, env: fake.expire_user_token(), None,
     "groupbot: the short-lived token has expired: Error validating access token: Session has expired on "),
    (lambda fake, env: None, "EAAGm0PX4ZCpsBAnot-a-real-token",
     "groupbot: Meta refused the short-lived token: Invalid OAuth access token - Cannot parse access token "
     "(code 190, http 400"),
    (lambda fake, env: env.update(META_APP_SECRET="not-the-app-secret"), None,
     "groupbot: Meta refused the app's credentials: Error validating client secret. (code 1, http 400"),
    (lambda fake, env: env.update(META_APP_ID="123"), None,
     "groupbot: Meta refused the app's credentials: Error validating application. Invalid application ID. "
     "(code 101, http 400"),
    (lambda fake, env: fake.set_managed_pages([]), None, "groupbot: Meta lists no Page for this user: "),
    (lambda fake, env: env.pop("META_APP_ID"), None, "groupbot: META_APP_ID is not set: "),
    (lambda fake, env: None, "two words", "groupbot: that is not one token: "),
    (lambda fake, env: None, "", "groupbot: no token given: "),
], ids=["expired", "malformed", "wrong-secret", "wrong-app-id", "no-pages", "no-app-id", "not-a-token", "empty"])
def test_errors_are_one_line_with_the_fix_and_exit_1(env, fake, tmp_path, arrange, token, expected):
    env["LOG_LEVEL"] = "INFO"
    arrange(fake, env)

    refused = exchange(env, tmp_path, fake.user_token if token is None else token)

    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith(expected), refused.stderr
    for secret in secrets_of(fake):
        assert secret not in refused.stdout + refused.stderr


def test_an_unreachable_graph_is_one_line(env, fake, tmp_path):
    env["META_GRAPH_URL"] = "http://127.0.0.1:9"
    env["LOG_LEVEL"] = "INFO"

    refused = exchange(env, tmp_path, fake.user_token)

    assert refused.returncode == 1
    assert refused.stderr == ("groupbot: could not reach Meta at http://127.0.0.1:9 (ConnectionError): check "
                              "META_GRAPH_URL and the network, then try again\n")
