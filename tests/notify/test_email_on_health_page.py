"""A mail server that refuses the admins' alerts shows on the dashboard's Health page, for a real `groupbot serve`."""

from __future__ import annotations

import re

import pytest
import requests

from tests.fakes.smtp_sink import SmtpSink
from tests.support.groupbot import query, wait_for
from tests.support.replies import message

ADMIN = "maria@firm.example"
URGENT_TEXT = "Mi esposo fue detenido por ICE esta mañana y no sabemos donde esta"


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


def signed_in(server) -> requests.Session:
    """A browser session signed in with the first login `serve` printed."""
    # Printed just after "serving on", which is when the server counts as started.
    password = wait_for(lambda: re.search(rf"admin login: {re.escape(ADMIN)} / (\S+)", server.log)).group(1)
    session = requests.Session()
    page = session.get(f"{server.url}/admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(f"{server.url}/admin/login", data={"email": ADMIN, "password": password, "csrf_token": token},
                 timeout=10).raise_for_status()
    return session


def health(session: requests.Session, server) -> str:
    page = session.get(f"{server.url}/admin/health", timeout=10)
    assert page.status_code == 200
    return page.text


def test_refused_admin_email_shows_on_the_health_page(tmp_path, base_env, groupbot_server, sink):
    env = base_env(tmp_path / "var", ADMIN_EMAILS=ADMIN, SMTP_URL=sink.url())
    server = groupbot_server(tmp_path, env)
    session = signed_in(server)
    assert "Set up: alerts go to 1 address; none has failed." in health(session, server)

    sink.refuse_next(100)
    assert server.post_delivery(message(URGENT_TEXT)).status_code == 200
    wait_for(lambda: query(env, "SELECT 1 FROM admin_emails WHERE last_error IS NOT NULL"), timeout=20)

    page = health(session, server)
    assert "Failing: 1 e-mail to the admins not delivered." in page
    assert "the SMTP server refused the e-mail (SMTPDataError: 451 4.3.0 try again later) (tried again later)" in page
    assert "groupbot test-email" in page
    assert "detenido" not in page  # the alert's subject names the question, never the member's words
    assert "Meta" not in page.split('id="h-email"')[1].split("</section>")[0]


def test_the_health_page_says_when_admin_email_is_not_set_up(tmp_path, base_env, groupbot_server):
    server = groupbot_server(tmp_path, base_env(tmp_path / "var", ADMIN_EMAILS=ADMIN))
    assert "Not set up: urgent questions and alerts are not e-mailed. Set ADMIN_EMAILS and SMTP_URL" in health(
        signed_in(server), server)


def test_check_now_logs_in_to_the_mail_server_and_shows_a_refused_login(tmp_path, base_env, groupbot_server):
    with SmtpSink(credentials=("alerts@firm.example", "right-password")) as sink:
        env = base_env(tmp_path / "var", ADMIN_EMAILS=ADMIN, SMTP_URL=sink.url("alerts%40firm.example", "wrong-pw"))
        server = groupbot_server(tmp_path, env)
        session = signed_in(server)
        token = re.search(r'name="csrf_token" value="([^"]+)"', health(session, server)).group(1)

        checked = session.post(f"{server.url}/admin/health/check", data={"csrf_token": token}, timeout=30)
        assert checked.status_code == 200
        page = health(session, server)

    section = page.split('id="h-email"')[1].split("</section>")[0]
    assert "the SMTP server refused the login (535)" in section and "Fix: check the host, port, user and password" in section
    assert "wrong-pw" not in page
