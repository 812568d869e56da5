"""`groupbot test-email` sends a real message through SMTP_URL and says plainly whether the server took it."""

from __future__ import annotations

import pytest

from tests.fakes.smtp_sink import SmtpSink
from tests.support.groupbot import run_cli


@pytest.fixture
def sink():
    with SmtpSink(credentials=("alerts@firm.example", "s3cret:pw")) as server:
        yield server


@pytest.fixture
def env(tmp_path, base_env, sink):
    return base_env(tmp_path / "var", SMTP_URL=sink.url("alerts%40firm.example", "s3cret%3Apw"),
                    ADMIN_EMAILS="maria@firm.example, jose@firm.example", SMTP_FROM="groupbot@firm.example")


def test_the_test_email_reaches_the_admins(tmp_path, env, sink):
    result = run_cli("test-email", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"the SMTP server at 127.0.0.1:{sink.port} accepted the test e-mail for "
                                     "maria@firm.example, jose@firm.example; check that it arrives (and not in spam)")
    [mail] = sink.mails
    assert mail.recipients == ["maria@firm.example", "jose@firm.example"]
    assert (mail.sender, mail.login, mail.subject) == ("groupbot@firm.example", "alerts@firm.example",
                                                       "groupbot test e-mail")
    assert "groupbot test-email" in mail.body


def test_the_test_email_goes_to_another_address_with_to(tmp_path, env, sink):
    result = run_cli("test-email", "--to", "it@firm.example", env=env, cwd=tmp_path)

    assert result.returncode == 0
    assert [mail.recipients for mail in sink.mails] == [["it@firm.example"]]


def test_a_refused_test_email_is_one_line_and_exit_1(tmp_path, env, sink):
    sink.refuse_next(1)

    result = run_cli("test-email", env=env, cwd=tmp_path)

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.strip().splitlines() == [
        "groupbot: the test e-mail was not sent: the SMTP server refused the e-mail "
        "(SMTPDataError: 451 4.3.0 try again later)"]
    assert sink.mails == []


def test_a_wrong_password_is_named_without_the_password(tmp_path, env, sink):
    env["SMTP_URL"] = sink.url("alerts%40firm.example", "not-the-pw")

    result = run_cli("test-email", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip() == "groupbot: the test e-mail was not sent: the SMTP server refused the login (535)"
    assert "not-the-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize("extra, message", [
    ({"SMTP_URL": ""}, "groupbot: SMTP_URL is not set; set it (e.g. smtp+starttls://user:password@smtp.example.com:587)"),
    ({"ADMIN_EMAILS": ""}, "groupbot: nobody to send to: set ADMIN_EMAILS, or pass --to ADDRESS"),
])
def test_without_a_server_or_a_recipient_it_says_what_to_set(tmp_path, env, extra, message):
    result = run_cli("test-email", env={**env, **extra}, cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (1, message)
