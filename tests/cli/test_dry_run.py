"""Dry-run: with no settings at all, the demo feed is polled and the Page posts are recorded, not sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bot.blog.entries import list_posts
from bot.config import Settings
from bot.meta.connect import build_graph
from bot.meta.recording import RecordingGraph
from bot.runtime.assemble import assemble
from bot.store import store_for
from tests.support.groupbot import run_cli

DEMO_LINKS = ["https://blog.example-immigration-firm.test/2026/10/06/cambios-reglas-de-asilo/",
              "https://blog.example-immigration-firm.test/2026/10/13/united-states-mexico-bilateral-action/"]


def bare_env(data_dir, **extra) -> dict[str, str]:
    """The environment of someone trying groupbot with no settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("META_", "BLOG_", "DATABASE_", "DRY_RUN", "BACKFILL", "PAGE_POST"))}
    return {**env, "DATA_DIR": str(data_dir), **extra}


def test_backfill_in_dry_run_shows_the_page_posts_it_would_have_made(tmp_path):
    env = bare_env(tmp_path / "var", BACKFILL="2")

    polled = run_cli("poll", env=env, cwd=tmp_path)
    calls = run_cli("list", "calls", "--json", env=env, cwd=tmp_path)
    lines = run_cli("list", "calls", env=env, cwd=tmp_path)

    assert polled.returncode == 0, polled.stderr
    recorded = [json.loads(line) for line in calls.stdout.splitlines()]
    assert [(c["method"], c["path"]) for c in recorded] == [("POST", "100000000000001/feed")] * 2
    assert [c["params"]["link"] for c in reversed(recorded)] == DEMO_LINKS
    assert "dry-run: would POST /100000000000001/feed (call 1" in polled.stderr
    assert "Bilateral Action" not in polled.stderr  # the log names calls, never their text
    assert "POST /100000000000001/feed  message=<" in lines.stdout


def test_an_interrupted_dry_run_post_is_adopted_not_recorded_twice(tmp_path):
    settings = Settings.from_env(bare_env(tmp_path / "var", BACKFILL="1"), env_file=None)
    store = store_for(settings)
    store.migrate(time.time())
    publisher = assemble(settings, store).dispatcher
    assert isinstance(publisher.graph, RecordingGraph) and isinstance(build_graph(settings, store), RecordingGraph)
    publisher.poll_now(time.time())
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    job = store.jobs.claim_due(time.time(), f"{publisher.lease.holder.split(':')[0]}:{gone.pid}:x", 300)
    publisher.graph.publish_post(job.payload["message"], job.payload["link"])  # the dead process's call

    publisher.outbox.process_due(time.time() + 60)

    assert len(store.graph_calls.recent(method="POST")) == 1
    assert list_posts(store)[0]["page_status"] == "posted"
    store.close()


def test_poll_from_cron_exits_1_with_one_line_when_the_feed_is_broken(tmp_path):
    broken = tmp_path / "feed.xml"
    broken.write_text("not a feed\n")
    env = bare_env(tmp_path / "var", BLOG_FEED_URL=str(broken))

    polled = run_cli("poll", env=env, cwd=tmp_path)

    assert polled.returncode == 1
    assert polled.stderr.splitlines()[-1] == "groupbot: the blog feed is broken: not a feed: syntax error at line 2"
