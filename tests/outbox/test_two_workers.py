"""Two `groupbot worker` processes on one database (on PostgreSQL, as on two machines): the one holding the sender's
lease is killed with SIGKILL at the instant of a Page post or a reply, the other takes over, and Meta gets the post
or the reply exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.fakes.fake_blog import FakePost, make_posts
from tests.support.groupbot import query, run_cli, wait_for
from tests.support.publishing import graph_calls
from tests.support.replies import comment, message_requests, private_replies

SITE = "https://blog.example-immigration-firm.test"
LINK = f"{SITE}/2026/11/asylum-clinic/"


class Workers:
    """The worker processes a test starts, each logging to its own file; any still running are killed at the end."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *module_and_args: str) -> subprocess.Popen:
        log = self.cwd / f"worker-{len(self.started) + 1}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen([sys.executable, "-m", *module_and_args], env=self.env, cwd=self.cwd,
                                       stdout=output, stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def log(self, process: subprocess.Popen) -> str:
        return next(log for each, log in self.started if each is process).read_text(errors="replace")

    def start_sender(self, *module_and_args: str) -> subprocess.Popen:
        """Start a worker and wait until it holds the sender's lease."""
        process = self.start(*module_and_args)
        wait_for(lambda: lease_holder_pid(self.env) == process.pid or process.poll() is not None, timeout=30)
        assert process.poll() is None, self.log(process)
        return process

    def start_standby(self) -> subprocess.Popen:
        """Start a plain worker and wait until its loop runs (it cannot take the lease, which is held)."""
        process = self.start("bot.cli", "worker")
        wait_for(lambda: "worker started" in self.log(process) or process.poll() is not None, timeout=30)
        assert process.poll() is None, self.log(process)
        return process

    def stop(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(tmp_path):
    started: list[Workers] = []

    def make(env: dict[str, str]) -> Workers:
        started.append(Workers(env, tmp_path))
        return started[-1]

    yield make
    for each in started:
        each.stop()


def lease_holder_pid(env: dict[str, str]) -> int | None:
    """The pid of the process holding the sender's lease (holders read host:pid:token)."""
    rows = query(env, "SELECT holder FROM leases WHERE name = 'publisher'")
    return int(rows[0][0].split(":")[1]) if rows else None


def killed(process: subprocess.Popen, workers: Workers) -> bool:
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, workers.log(process)
    return True


@pytest.mark.parametrize("point, posts_at_the_kill", [("before_call", 0), ("after_call", 1)])
def test_the_sender_killed_at_a_page_post_is_replaced_by_the_other_worker_and_the_entry_is_posted_once(
        tmp_path, fake, blog, live_env, workers, point, posts_at_the_kill):
    env = live_env(tmp_path / "var", fake, blog)
    first = run_cli("poll", env=env, cwd=tmp_path)  # the blog's existing entries are not posted
    assert first.returncode == 0, first.stderr
    pool = workers(env)
    sender = pool.start_sender("tests.fakes.crash_worker", point, "worker")
    standby = pool.start_standby()

    blog.set_posts([FakePost("Free asylum clinic in Chula Vista", LINK, guid=f"{SITE}/?p=8001",
                             content_html="<p>Bring your documents; we review them with you.</p>",
                             published=datetime(2026, 11, 5, tzinfo=timezone.utc)), *make_posts(2)])
    asked = run_cli("poll", env=env, cwd=tmp_path)  # the running sender is asked to poll, and posts
    assert asked.returncode == 0 and "asked to poll" in asked.stdout, asked.stderr
    assert killed(sender, pool)
    assert len(fake.posts) == posts_at_the_kill

    wait_for(lambda: query(env, "SELECT page_post_id FROM blog_entries WHERE link = ?", (LINK,))[0][0], timeout=60)

    assert standby.poll() is None and lease_holder_pid(env) == standby.pid
    assert [post["link"] for post in fake.posts] == [LINK]
    assert len(graph_calls(fake, "POST", "/feed")) == 1
    listing = run_cli("list", "posts", "--json", env=env, cwd=tmp_path)
    row = json.loads(listing.stdout.splitlines()[0])
    assert (row["link"], row["page_status"], row["page_post_id"]) == (LINK, "posted", fake.posts[0]["id"])
    assert query(env, "SELECT status, attempts FROM outbox_jobs WHERE kind = 'page_post'") == [("sent", 2)]
    assert "interrupted mid-attempt" in pool.log(standby)


def test_the_sender_killed_as_a_reply_reaches_meta_is_replaced_by_the_other_worker_and_the_member_gets_one_reply(
        tmp_path, fake, live_env, groupbot_server, workers):
    env = live_env(tmp_path / "var", fake, None)
    web = groupbot_server(tmp_path, env, command="web")
    pool = workers(env)
    sender = pool.start_sender("tests.fakes.crash_reply_worker", "worker")
    standby = pool.start_standby()

    delivery = comment("hola, cual es su numero de telefono?", field="group_feed")
    assert web.post_delivery(delivery, secret=fake.app_secret).status_code == 200
    [(question_id, status)] = wait_for(lambda: query(env, "SELECT question_id, status FROM replies"), timeout=30)
    assert status == "pending"
    approved = run_cli("approve", str(question_id), env=env, cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert killed(sender, pool)
    assert len(private_replies(fake)) == 1

    wait_for(lambda: query(env, "SELECT status FROM replies") == [("sent",)], timeout=60)

    assert standby.poll() is None and lease_holder_pid(env) == standby.pid
    [sent] = private_replies(fake)
    assert sent["comment_id"] == delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    assert len(message_requests(fake)) == 2  # the other worker's try met Meta's "already replied"
    assert query(env, "SELECT status FROM outbox_jobs") == [("sent",)]
    listed = run_cli("list", "replies", "--json", env=env, cwd=tmp_path)
    assert json.loads(listed.stdout.splitlines()[0])["status"] == "sent"
