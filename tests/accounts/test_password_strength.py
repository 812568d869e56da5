"""Passwords that pass the simple rules but fall to common cracking patterns are refused, in one line."""

from __future__ import annotations

import pytest

from bot.accounts import admins as accounts
from tests.support.groupbot import run_cli

EMAIL = "ana@example-firm.test"


@pytest.mark.parametrize("password", [
    "Summer2024!!",  # both pass length, mix and the bundled list: only the pattern check catches them
    "Passwordpasswordpassword1",
    "Winter2025!!!",
    "Letmein2024!!",
    "Abogado2024!!",
    "Qwerty123456!",
    "Facebook2024!",
    "Example-firm2024",
])
def test_common_and_breached_style_passwords_are_refused(password):
    problem = accounts.password_problem(password, EMAIL)
    assert problem and ("too easy to guess" in problem or "too common" in problem)


@pytest.mark.parametrize("password", ["Mar-Azul 2024 casa", "Nueva clave 2025!", "tortuga nube lampara 7",
                                      "x" * 30 + "Q7#kLm2$vR9!pZ4@"])
def test_long_unrelated_words_and_random_passwords_are_accepted(password):
    assert accounts.password_problem(password, EMAIL) is None


def test_generated_first_admin_passwords_always_pass():
    for _ in range(50):
        password = accounts.generate_password("admin@localhost")
        assert accounts.password_problem(password, "admin@localhost") is None


def test_the_cli_refuses_a_guessable_password_in_one_line(tmp_path, base_env):
    env = base_env(tmp_path / "var")
    refused = run_cli("admin", "add", EMAIL, "--password-stdin", input="Summer2024!!\n", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr == ("groupbot: password refused: too easy to guess (a common pattern): "
                              "try three or four unrelated words\n")
    assert run_cli("admin", "list", env=env, cwd=tmp_path).stdout.startswith("no admins yet")
