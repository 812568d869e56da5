"""Sign-in throttling a stranger cannot turn against the owner, and the first admin's e-mail, over HTTP."""

from __future__ import annotations

import re

import pytest
import requests

from bot.accounts import admins as accounts
from bot.accounts.admins import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_EMAIL_AND_ADDRESS, throttle_address
from bot.config import Settings
from tests.support.groupbot import GroupbotServer, wait_for
from webhooks import create_app

EMAIL = "ana@example-firm.test"
PASSWORD = "Mar-Azul 2024 casa"
STRANGER = "203.0.113.9"
OWNER = "192.0.2.10"


@pytest.fixture
def app(tmp_path, base_env):
    app = create_app(Settings.from_env(base_env(tmp_path / "var"), env_file=None))
    accounts.add_admin(app.extensions["groupbot"].store, EMAIL, PASSWORD, actor="test")
    return app


def attempt(app, address: str, password: str, email: str = EMAIL):
    """One sign-in from ``address`` in a browser of its own, as the login form posts it."""
    client = app.test_client()
    page = client.get("/admin/login", environ_base={"REMOTE_ADDR": address}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_a_stranger_guessing_the_owners_password_locks_only_themselves_out(app):
    for n in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS):
        assert attempt(app, STRANGER, f"Wrong-guess-{n}").status_code == 401
    refused = attempt(app, STRANGER, PASSWORD)
    assert refused.status_code == 429 and "Too many failed sign-ins. Wait 1" in refused.text
    owner = attempt(app, OWNER, PASSWORD)
    assert owner.status_code == 302 and owner.headers["Location"] == "/admin/"


def test_strangers_at_many_addresses_cannot_lock_the_owner_out(app):
    for n in range(40):
        assert attempt(app, f"198.51.100.{n}", "Wrong-guess-1").status_code == 401
    assert attempt(app, OWNER, PASSWORD).status_code == 302


def test_the_owner_who_mistypes_is_throttled_from_their_own_address_only(app):
    for n in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS):
        attempt(app, OWNER, f"Mistyped-{n}")
    assert attempt(app, OWNER, PASSWORD).status_code == 429
    assert attempt(app, "192.0.2.11", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_throttled_for_all_of_them(app):
    for n in range(MAX_FAILURES_PER_ADDRESS):
        attempt(app, STRANGER, "Wrong-guess-1", email=f"guess{n}@example-firm.test")
    assert attempt(app, STRANGER, PASSWORD).status_code == 429
    assert attempt(app, OWNER, PASSWORD).status_code == 302


def test_an_ipv6_host_cannot_rotate_addresses_inside_its_64(app):
    for n in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS):
        assert attempt(app, f"2001:db8:1:2::{n + 1:x}", f"Wrong-guess-{n}").status_code == 401
    assert attempt(app, "2001:db8:1:2:ffff::9", PASSWORD).status_code == 429
    assert attempt(app, "2001:db8:1:3::1", PASSWORD).status_code == 302


@pytest.mark.parametrize("address, key", [
    ("192.0.2.1", "192.0.2.1"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("unknown", "unknown"),
])
def test_failures_are_counted_per_ipv4_address_and_per_ipv6_64(address, key):
    assert throttle_address(address) == key


# -- the first admin -------------------------------------------------------------------

def first_login(server: GroupbotServer) -> tuple[str, str]:
    # Printed just after the "serving on" line that start() waits for.
    match = wait_for(lambda: re.search(r"admin login: (\S+) / (\S+) \(change it with `groupbot admin add (\S+)`\)",
                                       server.log))
    assert match.group(3) == match.group(1), server.log
    return match.group(1), match.group(2)


def sign_in_over_http(server: GroupbotServer, email: str, password: str) -> requests.Response:
    session = requests.Session()
    page = session.get(f"{server.url}/admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return session.post(f"{server.url}/admin/login", data={"email": email, "password": password, "csrf_token": token},
                        timeout=10, allow_redirects=False)


def test_the_first_admin_is_the_first_of_admin_emails(workdir, base_env):
    env = base_env(workdir / "var", ADMIN_EMAILS="Owner@Firm.example, partner@firm.example")
    server = GroupbotServer(workdir, env).start()
    try:
        email, password = first_login(server)
        assert email == "owner@firm.example"
        assert accounts.password_problem(password, email) is None
        signed_in = sign_in_over_http(server, email, password)
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/admin/"
        assert sign_in_over_http(server, "admin@localhost", password).status_code == 401
    finally:
        server.stop()


def test_without_admin_emails_the_first_admin_is_admin_at_localhost(server):
    email, password = first_login(server)
    assert email == "admin@localhost"
    assert sign_in_over_http(server, email, password).status_code == 302
