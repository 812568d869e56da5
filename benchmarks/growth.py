"""How the dashboard, `groupbot list questions` and the worker's deadline pass keep up as questions pile up.

For each size, fills a fresh database (dry-run, temporary data folder) with that many questions and their replies,
--per-day of them a day up to now (mostly sent, some failed or expired, a backlog of 50 pending), one blog entry per
100 questions and one audit entry per 2 questions, written straight into the store in one transaction (fast; the
webhook path is timed by webhook_ingest.py). Then times, signed in through Flask's test client, each dashboard page, the All tab a few
pages deep (through its Older links), `groupbot list questions` (in this process: start-up not counted), the
worker's deadline pass with nothing overdue (as it runs every minute) and the statement a member's new Messenger
message runs inside the worker's write transaction. Prints the median of --repeat runs, in milliseconds.

    python benchmarks/growth.py [--sizes 1000,10000,100000] [--repeat 5] [--per-day 150]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.accounts import admins  # noqa: E402
from bot.cli import main as groupbot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.replies.windows import expire_overdue  # noqa: E402
from webhooks import create_app  # noqa: E402

EMAIL, PASSWORD = "office@example-firm.test", "correct horse battery staple 2026"
PENDING = 50
STATUSES = ("sent",) * 14 + ("failed", "expired", "rejected", "cancelled")
SOURCES = ("page_comment", "group_comment", "messenger")
CHANNELS = {"page_comment": "private_reply", "group_comment": "comment_reply", "messenger": "messenger"}
INTENTS = ("fees", "contact", "asylum", None)
PAGES = {
    "Queue: Pending": "/admin/",
    "Queue: Sent": "/admin/?show=sent",
    "Queue: Failed": "/admin/?show=failed",
    "Queue: All": "/admin/?show=all",
    "Posts": "/admin/posts",
    "Audit": "/admin/audit",
    "Stats": "/admin/stats",
    "Health": "/admin/health",
}
DEEP_PAGES = 5


def fill(store, questions: int, now: float, per_day: int) -> None:
    """``questions`` questions, ``per_day`` a day up to now, each with a reply; blog and audit entries alongside."""
    step = 86400 / per_day
    question_rows, reply_rows = [], []
    for n in range(questions):
        at = now - n * step
        source = SOURCES[n % 3]
        author = f"member-{n % (questions // 4 + 1)}"
        intent = INTENTS[n % 4]
        question_rows.append((n + 1, source, f"ext-{n}", author, "Ana", "¿Cuánto cuesta la consulta?", at, at, at,
                              intent, "es", int(n % 211 == 0), at, "suggested" if intent else "no_reply"))
        status = "pending" if n < PENDING else STATUSES[n % len(STATUSES)]
        reply_rows.append((n + 1, intent or "fees", "es", CHANNELS[source], author, "La consulta cuesta...", status,
                           at + 7 * 86400 if status == "pending" else at + 86400,
                           None if status == "pending" else "ana@example-firm.test",
                           None if status == "pending" else at + 300,
                           at + 600 if status == "sent" else None, at, at + 600))
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO questions (id, source, external_id, author_id, author_name, text, event_time, created_at,"
            " updated_at, intent, language, urgent, classified_at, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            question_rows)
        conn.executemany(
            "INSERT INTO replies (question_id, intent, language, channel, recipient, text, status, deadline,"
            " approved_by, approved_at, sent_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            reply_rows)
        conn.executemany(
            "INSERT INTO blog_entries (entry_key, link, title, first_seen_at, page_status) VALUES (?, ?, ?, ?, 'seen')",
            [(f"https://blog.example/{n}", f"https://blog.example/{n}/", f"Post {n}", now - n * step * 100)
             for n in range(max(questions // 100, 1))])
        conn.executemany(
            "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'ana@example-firm.test',"
            " 'approve_reply', ?, '')", [(now - n * step * 2, f"reply {n}") for n in range(questions // 2)])
    store.conn.execute("ANALYZE")


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``run`` over ``repeat`` runs, after one warm-up, in milliseconds."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def deep_link(client, path: str, pages: int) -> str:
    """The address ``pages`` Older links away from ``path``."""
    for _ in range(pages):
        found = re.search(r'<a href="([^"]+)">Older</a>', client.get(path).text)
        if not found:
            break
        path = html.unescape(found.group(1))
    return path


def measure(questions: int, repeat: int, per_day: int) -> dict[str, float]:
    """Every timing for one size, by row label."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(DATA_DIR=str(Path(folder) / "var"), LOG_LEVEL="WARNING")
        os.chdir(folder)  # no .env of the caller's
        settings = Settings.from_env(env_file=None)
        app = create_app(settings)
        store = app.extensions["groupbot"].store
        now = time.time()
        fill(store, questions, now, per_day)
        admins.add_admin(store, EMAIL, PASSWORD, actor="benchmark")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").text).group(1)
        client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        found: dict[str, float] = {}
        for label, path in PAGES.items():
            assert client.get(path).status_code == 200, path
            found[label] = median_ms(lambda: client.get(path), repeat)
        deep = deep_link(client, "/admin/?show=all", DEEP_PAGES)
        found[f"Queue: All, {DEEP_PAGES} pages in"] = median_ms(lambda: client.get(deep), repeat)
        with contextlib.redirect_stdout(io.StringIO()):
            found["groupbot list questions"] = median_ms(lambda: groupbot(["list", "questions"]), repeat)
        found["worker: deadline pass"] = median_ms(lambda: expire_overdue(store, time.time()), repeat)

        def new_message() -> None:
            try:
                with store.transaction():
                    store.replies.extend_messenger_deadlines("member-2", time.time() + 86400, time.time())
                    raise LookupError  # leave the data as it was for the next run
            except LookupError:
                pass

        found["worker: a new Messenger message"] = median_ms(new_message, repeat)
        store.close()
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="question counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (the median is shown)")
    parser.add_argument("--per-day", type=int, default=150, help="questions a day (the stats read the last 8 weeks)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    here = os.getcwd()
    results = {}
    for size in sizes:
        print(f"filling {size} questions...", file=sys.stderr)
        results[size] = measure(size, args.repeat, args.per_day)
        os.chdir(here)
    labels = list(results[sizes[0]])
    print(f"| {'ms (median of ' + str(args.repeat) + ')':<34} |" + "".join(f" {size:>8} |" for size in sizes))
    print(f"|{'-' * 36}|" + "".join(f"{'-' * 9}:|" for _ in sizes))
    for label in labels:
        print(f"| {label:<34} |" + "".join(f" {results[size][label]:>8.2f} |" for size in sizes))


if __name__ == "__main__":
    main()
