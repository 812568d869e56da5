"""`groupbot doctor` and `groupbot subscribe` against the fake Graph API, and the worker's subscription watch."""

from __future__ import annotations

import logging
import time

import pytest

from bot.meta.subscription import WEBHOOK_FIELDS
from bot.store import store_for
from tests.support.groupbot import run_cli
from tests.support.publishing import graph_calls


@pytest.fixture
def env(tmp_path, fake, blog, live_env):
    return live_env(tmp_path / "var", fake, blog)


def doctor(env, cwd):
    return run_cli("doctor", env=env, cwd=cwd)


def test_subscribe_then_doctor_finds_no_problem_and_shows_no_secret(env, fake, tmp_path):
    subscribed = run_cli("subscribe", env=env, cwd=tmp_path)
    checked = doctor(env, tmp_path)

    assert subscribed.returncode == 0, subscribed.stderr
    assert set(WEBHOOK_FIELDS) <= set(fake.subscribed_fields)
    assert checked.returncode == 0, checked.stdout
    assert "no problems found" in checked.stdout
    assert "token: valid page token with the needed scopes" in checked.stdout
    assert "page_token: set" in checked.stdout
    for secret in (fake.token, fake.app_secret):
        assert secret not in checked.stdout + checked.stderr


@pytest.mark.parametrize("break_it, expected", [
    (lambda fake, blog: fake.drop_subscription(), "PROBLEM webhooks: the Page is not subscribed to feed"),
    (lambda fake, blog: fake.expire_token(), "PROBLEM token"),
    (lambda fake, blog: blog.set_fault("html"), "PROBLEM feed"),
], ids=["dropped-subscription", "expired-token", "broken-feed"])
def test_doctor_names_each_problem_with_its_fix_and_exits_1(env, fake, blog, tmp_path, break_it, expected):
    run_cli("subscribe", env=env, cwd=tmp_path)
    break_it(fake, blog)

    checked = doctor(env, tmp_path)

    assert checked.returncode == 1
    assert expected in checked.stdout
    problem_lines = checked.stdout.splitlines()
    at = next(i for i, line in enumerate(problem_lines) if expected in line)
    assert problem_lines[at + 1].strip().startswith("fix: ")


def test_doctor_in_dry_run_says_what_it_would_check_and_calls_nobody(tmp_path, base_env):
    checked = doctor(base_env(tmp_path / "var"), tmp_path)

    assert checked.returncode == 0, checked.stdout
    assert "dry-run: would check the token and its scopes (GET /debug_token)" in checked.stdout


def test_the_worker_restores_a_dropped_subscription_and_says_so(tmp_path, fake, blog, caplog, live_settings,
                                                                 publisher_for):
    settings = live_settings(tmp_path / "var", fake, blog)
    store = store_for(settings)
    store.migrate(time.time())
    publisher = publisher_for(settings, store)
    publisher.check_subscription(time.time())
    fake.drop_subscription()

    with caplog.at_level(logging.WARNING):
        publisher.check_subscription(time.time())

    assert set(WEBHOOK_FIELDS) <= set(fake.subscribed_fields)
    assert "Meta had dropped the Page's webhook subscription" in caplog.text
    assert "admin alert: Page webhooks restored" in caplog.text
    assert len(graph_calls(fake, "POST", "/subscribed_apps")) == 2  # the first check added messaging_postbacks
    store.close()
