"""Bytes and time per feed poll of a large WordPress feed served by the fake blog on 127.0.0.1, and the
time from a signed blog ping to the Page post's Graph call through the real `groupbot serve`.

Run from the repository root: `python benchmarks/feed_poll.py [--entries 200] [--polls 30] [--pings 20]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes when run as a script

from bot.blog.feed import fetch_feed, parse_feed  # noqa: E402
from bot.intake import signature
from tests.fakes.fake_blog import FakeBlog, FakePost, make_posts  # noqa: E402
from tests.fakes.fake_graph import FakeGraph  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
PING_SECRET = "benchmark-blog-secret"


def measure(name: str, polls: int, poll, blog: FakeBlog) -> dict:
    """Run `poll` (returning bytes read and entries) `polls` times; returns a table row."""
    timings, read, entries = [], 0, 0
    sent_before = blog.bytes_sent
    for n in range(polls):
        started = time.perf_counter()
        bytes_read, entries = poll(n)
        timings.append((time.perf_counter() - started) * 1000)
        read += bytes_read
    timings.sort()
    return {"scenario": name, "polls": polls, "read/poll": read // polls,
            "sent/poll": (blog.bytes_sent - sent_before) // polls, "median ms": statistics.median(timings),
            "p95 ms": timings[max(0, round(len(timings) * 0.95) - 1)], "entries": entries}


def run(entry_count: int, polls: int) -> list[dict]:
    """Measure a first poll, unchanged (304) polls, changed polls and parsing alone."""
    posts = make_posts(entry_count)
    with FakeBlog() as blog, requests.Session() as session:
        feed = blog.set_posts(posts)
        validators: dict = {}

        def poll(n: int) -> tuple[int, int]:
            result = fetch_feed(blog.feed_url, session=session, **validators)
            if result.status == "error":
                raise SystemExit(f"poll failed: {result.error}")
            if result.status == "ok":
                validators.update(etag=result.etag, last_modified=result.last_modified)
            return result.bytes_read, len(result.entries)

        def publish_then_poll(n: int) -> tuple[int, int]:
            newest = FakePost(f"Breaking update {n}", f"https://blog.example-immigration-firm.test/breaking-{n}/",
                              guid=f"https://blog.example-immigration-firm.test/?p={90000 + n}",
                              content_html="<p>New post.</p>")
            blog.set_posts([newest] + posts[: entry_count - 1])
            return poll(n)

        return [
            measure("first poll (200)", 1, poll, blog),
            measure("unchanged (304)", polls, poll, blog),
            measure("changed (200)", max(1, polls // 3), publish_then_poll, blog),
            measure("parse only", max(1, polls // 3), lambda n: (len(feed), len(parse_feed(feed)[0])), blog),
        ]


def ping_to_graph_call(pings: int, entry_count: int) -> dict:
    """Median and p95 ms from sending a signed ping to the fake Graph API receiving POST /{page}/feed."""
    posts = make_posts(entry_count)
    with FakeBlog() as blog, FakeGraph() as graph, tempfile.TemporaryDirectory() as data_dir:
        blog.set_posts(posts)
        server, url = _start_server(data_dir, blog, graph)
        try:
            _wait(lambda: _first_poll_done(Path(data_dir) / "groupbot.db"), "the first poll")
            latencies = [_one_ping(url, blog, graph, posts, n) for n in range(pings)]
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    return {"scenario": "ping -> Graph POST /feed", "pings": pings, "median ms": statistics.median(latencies),
            "p95 ms": latencies[max(0, round(len(latencies) * 0.95) - 1)], "max ms": latencies[-1]}


def _start_server(data_dir: str, blog: FakeBlog, graph: FakeGraph) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("META_", "BLOG_", "DATABASE_", "DRY_RUN"))}
    env.update(DATA_DIR=data_dir, DRY_RUN="0", META_PAGE_ID=graph.page_id, META_PAGE_ACCESS_TOKEN=graph.token,
               META_APP_SECRET=graph.app_secret, META_APP_ID=graph.app_id, META_VERIFY_TOKEN="benchmark",
               META_GRAPH_URL=graph.url, BLOG_FEED_URL=blog.feed_url, BLOG_WEBHOOK_SECRET=PING_SECRET,
               POLL_INTERVAL_SECONDS="3600", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], env=env, cwd=data_dir,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in server.stdout:
        if "groupbot serving on " in line:
            return server, line.split("serving on ")[1].split()[0]
    raise SystemExit("groupbot serve did not start")


def _one_ping(url: str, blog: FakeBlog, graph: FakeGraph, posts: list[FakePost], n: int) -> float:
    """Publish one entry on the blog, ping, and time until the fake Graph API receives the Page post."""
    newest = FakePost(f"Ping test {n}", f"https://blog.example-immigration-firm.test/ping-{n}/",
                      guid=f"https://blog.example-immigration-firm.test/?p={80000 + n}",
                      content_html="<p>New post.</p>",
                      published=datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(minutes=n))
    blog.set_posts([newest] + posts[:-1])
    body = json.dumps({"post_id": 80000 + n}).encode()
    seen = len(graph.posts)
    sent_at = time.time()
    answer = requests.post(f"{url}/webhooks/blog", data=body, timeout=10,
                           headers={signature.HEADER: signature.sign(body, PING_SECRET)})
    if answer.status_code != 202:
        raise SystemExit(f"ping refused: HTTP {answer.status_code} {answer.text}")
    _wait(lambda: len(graph.posts) > seen, f"the Page post of ping {n}")
    received = [r["time"] for r in graph.requests if r["method"] == "POST" and r["path"].endswith("/feed")][-1]
    return (received - sent_at) * 1000


def _first_poll_done(db: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT initialized FROM feed_state").fetchone() == (1,)
    except sqlite3.Error:
        return False


def _wait(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.002)


def print_table(rows: list[dict]) -> None:
    """Print the rows as an aligned text table."""
    columns = list(rows[0])
    cells = [[f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--polls", type=int, default=30)
    parser.add_argument("--pings", type=int, default=20, help="blog pings to time through the real server (0: skip)")
    args = parser.parse_args()
    print(f"feed polling, {args.entries}-entry WordPress feed on 127.0.0.1, one keep-alive session\n")
    print_table(run(args.entries, args.polls))
    if args.pings > 0:
        print(f"\nblog ping to Graph call: `groupbot serve` on 127.0.0.1, fake blog and fake Graph API, "
              f"{args.entries}-entry feed\n")
        print_table([ping_to_graph_call(args.pings, args.entries)])


if __name__ == "__main__":
    main()
