"""Admin accounts: password rules, throttled sign-in, sessions, the audit log, `groupbot admin`."""

from __future__ import annotations

import argparse

import pytest

from bot.accounts import admins as accounts
from bot.accounts.admins import (
    FAILURE_WINDOW_SECONDS,
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_EMAIL_AND_ADDRESS,
    SESSION_SECONDS,
    AccountError,
)
from bot.cli.admin import cmd_add
from bot.cli.common import CommandFailed
from tests.support.groupbot import run_cli

EMAIL = "ana@example-firm.test"
PASSWORD = "Mar-Azul 2024 casa"
T0 = 1_800_000_000.0


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Short1!", "too short"),
        ("onlylowercaseletters", "too simple"),
        ("123456789012345", "too simple"),
        ("ana-1234-secure", "email address"),
        ("ana@example-firm.test", "email address"),
        ("P@ssw0rd2024!", "too common"),
        ("Contraseña2024", "too common"),
        ("Qwertyuiop123", "too common"),
        ("1234567890!@", "predictable"),
        ("aaaaaaaaaaa1", "predictable"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, reason):
    assert reason in accounts.password_problem(password, EMAIL)


@pytest.mark.parametrize("password", [PASSWORD, "Tr0ub4dor&3xy", "correct horse battery", "84!#29@&71$%"])
def test_strong_passwords_are_accepted(password):
    assert accounts.password_problem(password, EMAIL) is None


def test_sign_in_with_the_right_password_opens_a_session(store):
    accounts.add_admin(store, "Ana@Example-Firm.test ", PASSWORD, actor="test")
    result = accounts.sign_in(store, "ANA@example-firm.test", PASSWORD, "192.0.2.1", now=T0)
    assert result.admin.email == EMAIL
    assert accounts.session_admin(store, result.token, now=T0 + 60) == result.admin


@pytest.mark.parametrize(
    "email, password", [(EMAIL, "Wrong-password-1"), ("nobody@example-firm.test", PASSWORD), ("", "")]
)
def test_wrong_email_or_password_look_the_same(store, email, password):
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    result = accounts.sign_in(store, email, password, "192.0.2.1", now=T0)
    assert (result.admin, result.token, result.throttled) == (None, None, False)


def test_an_account_is_locked_for_the_guessing_address_then_unlocks(store):
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    for attempt in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS):
        guess = accounts.sign_in(store, EMAIL, f"Wrong-guess-{attempt}", "198.51.100.7", now=T0 + attempt)
        assert not guess.throttled
    locked = accounts.sign_in(store, EMAIL, PASSWORD, "198.51.100.7", now=T0 + 10)
    assert locked.throttled and locked.token is None
    assert 0 < locked.retry_after <= FAILURE_WINDOW_SECONDS
    later = accounts.sign_in(store, EMAIL, PASSWORD, "198.51.100.7", now=T0 + FAILURE_WINDOW_SECONDS + 5)
    assert later.token


def test_one_address_guessing_many_accounts_is_throttled(store):
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        accounts.sign_in(store, f"guess{attempt}@example-firm.test", "Wrong-password-1", "203.0.113.9", now=T0)
    assert accounts.sign_in(store, EMAIL, PASSWORD, "203.0.113.9", now=T0 + 1).throttled
    assert accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1", now=T0 + 1).token


def test_a_successful_sign_in_clears_the_account_failures(store):
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    for attempt in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS - 1):
        accounts.sign_in(store, EMAIL, "Wrong-password-1", "192.0.2.1", now=T0)
    assert accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1", now=T0).token
    for attempt in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS - 1):
        accounts.sign_in(store, EMAIL, "Wrong-password-1", "192.0.2.1", now=T0)
    assert accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1", now=T0).token


def test_sessions_expire_and_end_on_sign_out(store):
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    first = accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1", now=T0).token
    assert accounts.session_admin(store, first, now=T0 + SESSION_SECONDS + 1) is None
    second = accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1").token
    accounts.end_session(store, second)
    assert accounts.session_admin(store, second) is None
    assert accounts.session_admin(store, "made-up-token") is None


def test_changing_a_password_or_removing_an_admin_ends_their_sessions(store):
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    accounts.add_admin(store, "luis@example-firm.test", PASSWORD, actor="test")
    token = accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1").token
    assert accounts.add_admin(store, EMAIL, "Nueva clave 2025!", actor="test") is False
    assert accounts.session_admin(store, token) is None
    assert not accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1").token
    token = accounts.sign_in(store, "luis@example-firm.test", PASSWORD, "192.0.2.1").token
    accounts.remove_admin(store, "luis@example-firm.test", actor="test")
    assert accounts.session_admin(store, token) is None
    with pytest.raises(AccountError, match="last admin"):
        accounts.remove_admin(store, EMAIL, actor="test")
    with pytest.raises(AccountError, match="no admin"):
        accounts.remove_admin(store, "luis@example-firm.test", actor="test")


def test_the_first_admin_is_created_once_with_a_working_password(store):
    email, password = accounts.ensure_first_admin(store)
    assert email == "admin@localhost"
    assert accounts.password_problem(password, email) is None
    assert accounts.ensure_first_admin(store) is None
    assert accounts.sign_in(store, email, password, "127.0.0.1").token
    assert [row.email for row in store.accounts.list_admins()] == ["admin@localhost"]


def test_audit_lists_newest_first_and_follows_the_callers_transaction(store):
    accounts.audit(store, "ana@example-firm.test", "approve", 17, "reply to comment 17", now=T0)
    accounts.audit(store, "luis@example-firm.test", "reject", 18, now=T0 + 5)
    with pytest.raises(RuntimeError), store.transaction():
        accounts.audit(store, "ana@example-firm.test", "approve", 19)
        raise RuntimeError("the approval failed")
    entries = store.audit.newest()
    assert [(e.actor, e.action, e.subject) for e in entries] == [
        ("luis@example-firm.test", "reject", "18"),
        ("ana@example-firm.test", "approve", "17"),
    ]


def test_sign_in_and_sign_out_are_audited_without_the_password(store):
    accounts.add_admin(store, EMAIL, PASSWORD, actor="command line")
    token = accounts.sign_in(store, EMAIL, PASSWORD, "192.0.2.1").token
    accounts.end_session(store, token)
    entries = store.audit.newest()
    assert [e.action for e in entries] == ["sign_out", "sign_in", "admin_added"]
    assert entries[1].detail == "from 192.0.2.1"
    assert all(PASSWORD not in str(e) for e in entries)


# -- groupbot admin ------------------------------------------------------------


def test_admin_commands_add_list_and_remove(tmp_path, base_env):
    env = base_env(tmp_path / "var")
    added = run_cli("admin", "add", EMAIL, "--password-stdin", input=PASSWORD + "\n", env=env, cwd=tmp_path)
    assert (added.returncode, added.stdout.strip()) == (0, f"admin {EMAIL} added")
    run_cli("admin", "add", "luis@example-firm.test", "--password-stdin", input=PASSWORD + "\n", env=env, cwd=tmp_path)
    listed = run_cli("admin", "list", env=env, cwd=tmp_path)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [EMAIL, "luis@example-firm.test"]
    removed = run_cli("admin", "remove", "luis@example-firm.test", env=env, cwd=tmp_path)
    assert removed.returncode == 0
    last = run_cli("admin", "remove", EMAIL, env=env, cwd=tmp_path)
    assert last.returncode == 1 and "last admin" in last.stderr


def test_a_weak_password_is_refused_in_one_line(tmp_path, base_env):
    env = base_env(tmp_path / "var")
    refused = run_cli("admin", "add", EMAIL, "--password-stdin", input="password\n", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "groupbot: password refused: too short: use at least 12 characters"


def test_typed_passwords_must_match(settings, store, monkeypatch):
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    with pytest.raises(CommandFailed, match="passwords differ"):
        cmd_add(settings, argparse.Namespace(email=EMAIL, password_stdin=False))
    assert store.accounts.count_admins() == 0
