"""Bytes and time per feed poll of a large WordPress feed served by the fake blog on 127.0.0.1.

Run from the repository root: `python benchmarks/feed_poll.py [--entries 200] [--polls 30]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes when run as a script

from bot.feed import fetch_feed, parse_feed  # noqa: E402
from tests.fakes.fake_blog import FakeBlog, FakePost, make_posts  # noqa: E402


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
    args = parser.parse_args()
    print(f"feed polling, {args.entries}-entry WordPress feed on 127.0.0.1, one keep-alive session\n")
    print_table(run(args.entries, args.polls))


if __name__ == "__main__":
    main()
