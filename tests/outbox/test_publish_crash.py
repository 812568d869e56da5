"""SIGKILL during a Page publish: the real `groupbot poll` is killed at each step, restarted, and the Page
ends up with exactly one post for the entry."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from tests.fakes.fake_blog import FakePost, make_posts
from tests.support.groupbot import query, run_cli, wait_for
from tests.support.publishing import graph_calls

SITE = "https://blog.example-immigration-firm.test"
LINK = f"{SITE}/2026/11/daca-renewals/"


@pytest.fixture
def env(tmp_path, fake, blog, live_env):
    """A live groupbot whose first poll is done; one new entry waits on the blog."""
    env = live_env(tmp_path / "var", fake, blog)
    first = run_cli("poll", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    blog.set_posts([FakePost("DACA renewals continue", LINK, guid=f"{SITE}/?p=7001",
                             content_html="<p>USCIS keeps accepting DACA renewal requests.</p>",
                             published=datetime(2026, 11, 4, tzinfo=timezone.utc)), *make_posts(2)])
    return env


def listed_post(env, cwd) -> dict:
    listing = run_cli("list", "posts", "--json", env=env, cwd=cwd)
    return json.loads(listing.stdout.splitlines()[0])


def assert_exactly_one_post(fake, env, cwd) -> None:
    assert [p["link"] for p in fake.posts] == [LINK]
    row = listed_post(env, cwd)
    assert (row["link"], row["page_status"], row["page_post_id"]) == (LINK, "posted", fake.posts[0]["id"])


@pytest.mark.parametrize("point, posts_after_crash", [("before_call", 0), ("after_call", 1)])
def test_killed_around_the_call_then_restarted_posts_exactly_once(env, fake, tmp_path, point, posts_after_crash):
    crashed = subprocess.run([sys.executable, "-m", "tests.fakes.crash_worker", point, "poll"], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert len(fake.posts) == posts_after_crash

    restarted = run_cli("poll", env=env, cwd=tmp_path)

    assert restarted.returncode == 0, restarted.stderr
    assert "interrupted mid-attempt" in restarted.stderr
    assert_exactly_one_post(fake, env, tmp_path)


def test_killed_while_the_call_is_in_flight_then_restarted_at_once_posts_exactly_once(env, fake, tmp_path):
    # Meta holds the answer back; the post lands after the sender is dead.
    fake.fault("timeout", method="POST", path="/feed", delay=0.8)
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "poll"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: graph_calls(fake, "POST", "/feed"), timeout=30)
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=10) == -signal.SIGKILL

    restarted = run_cli("poll", env=env, cwd=tmp_path)

    assert restarted.returncode == 0, restarted.stderr
    assert_exactly_one_post(fake, env, tmp_path)
    assert len(graph_calls(fake, "POST", "/feed")) == 1


def test_killed_worker_process_is_replaced_by_a_worker_that_finishes_the_post(env, fake, tmp_path):
    crashed = subprocess.run([sys.executable, "-m", "tests.fakes.crash_worker", "after_call", "poll"], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == -signal.SIGKILL

    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: query(env, "SELECT page_post_id FROM blog_entries WHERE link = ?", (LINK,))[0][0],
                 timeout=30)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert_exactly_one_post(fake, env, tmp_path)
