"""`groupbot doctor` checks the FAQ file and logs in to the SMTP server, never printing the password."""

from __future__ import annotations

import pytest

from tests.fakes.smtp_sink import SmtpSink
from tests.support.groupbot import run_cli

PASSWORD = "Gr33n-Card%40Word"  # URL-encoded in SMTP_URL; the server sees Gr33n-Card@Word


@pytest.fixture
def sink():
    with SmtpSink(credentials=("alerts@firm.example", "Gr33n-Card@Word")) as server:
        yield server


def check_lines(result) -> list[str]:
    """The lines of the report about e-mail and the FAQ."""
    return [line.strip() for line in result.stdout.splitlines() if line.strip().split(" ")[0] in ("ok", "note", "PROBLEM")
            and ("email:" in line or "faq:" in line)]


def test_doctor_logs_in_to_the_smtp_server(tmp_path, base_env, sink):
    env = base_env(tmp_path / "var", SMTP_URL=sink.url("alerts%40firm.example", PASSWORD), ADMIN_EMAILS="maria@firm.example")

    result = run_cli("doctor", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stdout
    assert check_lines(result) == ["ok      faq: the bundled FAQ: 13 intents",
                                   f"ok      email: 127.0.0.1:{sink.port}: logged in as alerts@firm.example"]
    assert "Gr33n" not in result.stdout + result.stderr
    assert sink.mails == []  # a check, not an e-mail


def test_doctor_reports_a_refused_smtp_login_without_the_password(tmp_path, base_env, sink):
    env = base_env(tmp_path / "var", SMTP_URL=sink.url("alerts%40firm.example", "Wrong-Pa55word"),
                   ADMIN_EMAILS="maria@firm.example")

    result = run_cli("doctor", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert "PROBLEM email: the SMTP server refused the login (535)" in check_lines(result)
    assert "fix: check the host, port, user and password in SMTP_URL" in result.stdout
    assert "Wrong-Pa55word" not in result.stdout + result.stderr
    assert result.stdout.strip().endswith("1 problem(s)")


def test_doctor_reports_an_smtp_server_that_does_not_answer(tmp_path, base_env):
    env = base_env(tmp_path / "var", SMTP_URL="smtp://127.0.0.1:9", ADMIN_EMAILS="maria@firm.example")

    result = run_cli("doctor", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert "PROBLEM email: could not talk to 127.0.0.1:9 (ConnectionRefusedError)" in check_lines(result)


def test_doctor_reports_a_missing_faq_file_instead_of_no_problems(tmp_path, base_env):
    missing = tmp_path / "faq.toml"
    env = base_env(tmp_path / "var", FAQ_FILE=str(missing))

    result = run_cli("doctor", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert check_lines(result)[0] == (f"PROBLEM faq: FAQ_FILE names no file (got '{missing}'); leave it empty for the "
                                      "bundled FAQ")
    assert "no problems found" not in result.stdout


def test_doctor_reports_an_auto_approved_intent_the_faq_lacks(tmp_path, base_env):
    result = run_cli("doctor", env=base_env(tmp_path / "var", AUTO_APPROVE_INTENTS="hours"), cwd=tmp_path)

    assert result.returncode == 1
    assert check_lines(result)[0].startswith("PROBLEM faq: AUTO_APPROVE_INTENTS names intents the FAQ does not have: "
                                             "hours")
