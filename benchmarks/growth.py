"""How the dashboard, `groupbot list questions`, the worker and the retention purge keep up as questions pile up.

For each size, fills a fresh database (dry-run, temporary data folder) with that many questions and their replies,
--per-day of them a day up to now (mostly sent, some failed or expired, a backlog of 50 pending), the raw delivery
each came in and its handled event, one blog entry per 100 questions and one audit entry per 2 questions. This
history is written straight into the store in one transaction, not through the webhook: at the webhook's steady
50 deliveries a second, 100,000 questions would take over half an hour per run. Then times, signed in through
Flask's test client, each dashboard page, the All tab a few pages deep (through its Older links), the worker's
deadline pass with nothing overdue (as it runs every minute), the statement a member's new Messenger message runs
inside the worker's write transaction, and `groupbot list questions` (in this process, once the benchmark's own
connection is closed: start-up not counted). Prints the median of --repeat runs, in milliseconds.

Then, unless --no-steady, the steady-traffic phase on that filled data folder: starts a real `groupbot serve`
(dry-run, 127.0.0.1) and sends signed, unique deliveries through its webhook at a steady --rate a second for
--steady-seconds (Messenger messages from a few dozen members, Page and Group comments; English and Spanish; some,
like "gracias", need no reply), paced on the monotonic clock by several keep-alive client threads so one slow answer
does not hold back the schedule. It records each POST's ack latency, waits until every acknowledged delivery's
question is judged (its `classified_at`, written by the worker's pass that judged it), and prints per size the
delivery -> judged time (median, p95, max, from the send's wall clock to `classified_at`, both on this machine),
the webhook's p50 and p99, how many were acked and judged, and the RSS of serve's web and worker processes at the
end. After serve stops it times the retention purge with a retention that blanks about the oldest 10 % (with the
reclaiming of the freed pages), and prints the database file's size before and after. The load average of the
machine is printed with each row: the load generator shares the cores with the server, so figures are rough.

    python benchmarks/growth.py [--sizes 1000,10000,100000] [--repeat 5] [--per-day 150]
                                [--rate 50] [--steady-seconds 30] [--clients 8] [--no-steady]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import io
import itertools
import json
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.accounts import admins  # noqa: E402
from bot.cli import main as groupbot  # noqa: E402
from bot.cli.simulation import build_delivery  # noqa: E402
from bot.config import DRY_RUN_PAGE_ID, Settings  # noqa: E402
from bot.intake import signature  # noqa: E402
from bot.ops.retention import purge_old_text  # noqa: E402
from bot.replies.windows import expire_overdue  # noqa: E402
from bot.store import Store  # noqa: E402
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
    """``questions`` questions, ``per_day`` a day up to now, each with a reply and the raw delivery it came in (as
    the webhook stores it, with its handled event); blog and audit entries alongside."""
    step = 86400 / per_day
    question_rows, reply_rows = [], []
    bodies = {source: json.dumps(build_delivery(kind, "¿Cuánto cuesta la consulta?", page_id=DRY_RUN_PAGE_ID,
                                                name="Ana")).encode()
              for source, kind in zip(SOURCES, ("comment", "group-comment", "message"))}
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
            "INSERT INTO deliveries (id, received_at, body, status, events, skipped, parsed_at)"
            " VALUES (?, ?, ?, 'parsed', 1, 0, ?)",
            [(row[0], row[7], bodies[row[1]], row[7]) for row in question_rows])
        conn.executemany("INSERT INTO events (dedupe_key, delivery_id, kind, handled_at) VALUES (?, ?, ?, ?)",
                         [(f"{row[1]}:{row[2]}", row[0], "CommentEvent", row[7]) for row in question_rows])
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


# Deliveries of the steady phase: what members of an immigration firm's Page write, in both languages.
ASKING = (
    "¿Cuánto cuesta la consulta?",
    "cual es su numero de telefono? quiero hacer una cita",
    "How much do you charge for a consultation?",
    "Hola, mi esposo tiene una audiencia en la corte de inmigración el mes que viene, ¿pueden ayudarnos?",
    "Do you help with asylum cases? I came in 2023",
    "¿Dónde están ubicadas sus oficinas en San Diego?",
    "what are your office hours on saturday?",
    "Necesito renovar mi DACA, ¿cuánto cobran?",
    "Can you help me with my green card through my US citizen daughter?",
    "Me negaron la visa, ¿qué puedo hacer?",
)
NO_REPLY = ("Gracias!", "Amén 🙏", "👍", "thank you so much", "Muy buena información, bendiciones")
# Messenger messages, Page comments and Group comments, in this proportion.
KINDS = ("message",) * 5 + ("comment",) * 3 + ("group-comment",) * 2
MESSENGER_MEMBERS = 40
SECRET = "benchmark-secret"
JUDGE_TIMEOUT_SECONDS = 300.0
PURGE_SHARE = 0.1


@dataclass
class Sent:
    """One delivery of the steady phase: its question's external id, when it was sent, how long its ack took."""

    external_id: str
    sent_at: float  # wall clock, as the worker's classified_at
    ack_seconds: float
    status: int


def steady_delivery(n: int, rng: random.Random) -> tuple[bytes, str]:
    """The ``n``-th delivery of the steady phase and the external id of the question it makes."""
    kind = KINDS[n % len(KINDS)]
    text = rng.choice(NO_REPLY if n % 6 == 5 else ASKING)
    delivery = build_delivery(kind, text, page_id=DRY_RUN_PAGE_ID, name=f"Miembro {n % 97}")
    if kind == "message":
        item = delivery["entry"][0]["messaging"][0]
        # A few dozen members who write again and again, as in a real inbox.
        item["sender"]["id"] = f"9{n % MESSENGER_MEMBERS:014d}"
        external_id = item["message"]["mid"]
    elif kind == "comment":
        external_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    else:
        external_id = delivery[0]["entry"][0]["messaging"][0]["comment_id"]
    return json.dumps(delivery).encode(), external_id


def send_steady(port: int, rate: float, seconds: float, clients: int) -> list[Sent]:
    """POST ``rate`` deliveries a second for ``seconds``, each at its slot on the monotonic clock."""
    total = int(rate * seconds)
    slots = itertools.count()
    taking = threading.Lock()
    sent: list[Sent] = []
    start = time.monotonic() + 0.5

    def client() -> None:
        rng = random.Random()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with taking:
                n = next(slots)
            if n >= total:
                break
            body, external_id = steady_delivery(n, rng)
            headers = {"Content-Type": "application/json", signature.HEADER: signature.sign(body, SECRET)}
            # A free client takes the next slot: a slow answer delays only its own thread.
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            sent_at, began = time.time(), time.perf_counter()
            try:
                conn.request("POST", "/webhooks/meta", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            sent.append(Sent(external_id, sent_at, time.perf_counter() - began, status))
        conn.close()

    threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


def judged_times(db: Path, external_ids: list[str], timeout: float) -> dict[str, float]:
    """``classified_at`` of each question in ``external_ids``, once all are judged or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    found: dict[str, float] = {}
    waiting = set(external_ids)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        while waiting and time.monotonic() < deadline:
            pending = sorted(waiting)
            for chunk in (pending[i:i + 500] for i in range(0, len(pending), 500)):
                rows = conn.execute(
                    f"SELECT external_id, classified_at FROM questions WHERE classified_at IS NOT NULL"
                    f" AND external_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
                found.update(rows)
            waiting -= found.keys()
            if waiting:
                time.sleep(0.5)
    finally:
        conn.close()
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_pids(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc): the worker that `serve` starts."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def started_serve(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """A running `groupbot serve` on a port it chose, and that port."""
    serve = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], env=env, cwd=folder,
                             stdout=subprocess.PIPE, text=True)
    for line in serve.stdout:
        found = re.search(r"serving on http://127\.0\.0\.1:(\d+)", line)
        if found:
            # Keep reading its console, so a full pipe never stops it.
            threading.Thread(target=serve.stdout.read, daemon=True).start()
            return serve, int(found.group(1))
    raise RuntimeError(f"groupbot serve did not start (exit code {serve.wait()})")


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def steady(folder: Path, settings: Settings, questions: int, args: argparse.Namespace) -> dict[str, object]:
    """The steady-traffic phase and the purge on a filled data folder; figures by column."""
    history_days = math.ceil(questions / args.per_day) + 2
    # Retention covers the whole history while serve runs: the purge is timed on its own afterwards.
    env = dict(os.environ, META_APP_SECRET=SECRET, LOG_LEVEL="WARNING", RETENTION_DAYS=str(history_days))
    env.pop("META_PAGE_ACCESS_TOKEN", None)
    load_before = os.getloadavg()[0]
    serve, port = started_serve(folder, env)
    try:
        sent = send_steady(port, args.rate, args.steady_seconds, args.clients)
        acked = [s for s in sent if s.status == 200]
        judged = judged_times(settings.database_path, [s.external_id for s in acked], JUDGE_TIMEOUT_SECONDS)
        workers = child_pids(serve.pid)
        web_rss, worker_rss = rss_mb(serve.pid), sum(rss_mb(pid) for pid in workers)
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    load_after = os.getloadavg()[0]
    waits = [judged[s.external_id] - s.sent_at for s in acked if s.external_id in judged]
    acks = [s.ack_seconds * 1000 for s in sent]

    store = Store(settings.database_path)
    size_before = settings.database_path.stat().st_size
    retention_days = max(1, int(questions / args.per_day * (1 - PURGE_SHARE)))
    began = time.perf_counter()
    purged = purge_old_text(store, retention_days, time.time())
    purge_seconds = time.perf_counter() - began
    store.close()
    size_after = settings.database_path.stat().st_size
    return {
        "load": f"{load_before:.1f}-{load_after:.1f}",
        "sent": len(sent),
        "acked": len(acked),
        "judged": len(waits),
        "judged p50 s": statistics.median(waits) if waits else float("nan"),
        "judged p95 s": percentile(waits, 0.95) if waits else float("nan"),
        "judged max s": max(waits) if waits else float("nan"),
        "ack p50 ms": statistics.median(acks),
        "ack p99 ms": percentile(acks, 0.99),
        "acks > 100 ms": sum(ack > 100 for ack in acks),
        "web MiB": web_rss,
        "worker MiB": worker_rss,
        "purged": purged.questions,
        "purge s": purge_seconds,
        "db MiB": f"{size_before / 2**20:.1f} -> {size_after / 2**20:.1f}",
    }


def measure(questions: int, args: argparse.Namespace) -> tuple[dict[str, float], dict[str, object] | None]:
    """Every timing for one size: the dashboard's by row label, and the steady phase's (None with --no-steady)."""
    repeat, per_day = args.repeat, args.per_day
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
        found["worker: deadline pass"] = median_ms(lambda: expire_overdue(store, time.time()), repeat)

        def new_message() -> None:
            try:
                with store.transaction():
                    store.replies.extend_messenger_deadlines("member-2", time.time() + 86400, time.time())
                    raise LookupError  # leave the data as it was for the next run
            except LookupError:
                pass

        found["worker: a new Messenger message"] = median_ms(new_message, repeat)
        # Closed first: a write-ahead log with no other process holding the file looks like a crash to the
        # command, which then checks every page, as it never does beside a running server.
        store.close()
        with contextlib.redirect_stdout(io.StringIO()):
            found["groupbot list questions"] = median_ms(lambda: groupbot(["list", "questions"]), repeat)
        traffic = None if args.no_steady else steady(Path(folder), settings, questions, args)
        return found, traffic


STEADY_COLUMNS = {  # label: width and format
    "load": (9, ""), "sent": (6, "d"), "acked": (6, "d"), "judged": (6, "d"),
    "judged p50 s": (12, ".2f"), "judged p95 s": (12, ".2f"), "judged max s": (12, ".2f"),
    "ack p50 ms": (10, ".1f"), "ack p99 ms": (10, ".1f"), "acks > 100 ms": (13, "d"),
    "web MiB": (7, ".0f"), "worker MiB": (10, ".0f"),
    "purged": (7, "d"), "purge s": (7, ".2f"), "db MiB": (14, ""),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="question counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (the median is shown)")
    parser.add_argument("--per-day", type=int, default=150, help="questions a day (the stats read the last 8 weeks)")
    parser.add_argument("--rate", type=float, default=50.0, help="deliveries a second in the steady phase")
    parser.add_argument("--steady-seconds", type=float, default=30.0, help="how long the steady phase sends")
    parser.add_argument("--clients", type=int, default=8, help="keep-alive client threads of the steady phase")
    parser.add_argument("--no-steady", action="store_true", help="skip the steady phase and the purge")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    here = os.getcwd()
    results, traffic = {}, {}
    for size in sizes:
        print(f"filling {size} questions...", file=sys.stderr)
        results[size], traffic[size] = measure(size, args)
        os.chdir(here)
    labels = list(results[sizes[0]])
    print(f"| {'ms (median of ' + str(args.repeat) + ')':<34} |" + "".join(f" {size:>8} |" for size in sizes))
    print(f"|{'-' * 36}|" + "".join(f"{'-' * 9}:|" for _ in sizes))
    for label in labels:
        print(f"| {label:<34} |" + "".join(f" {results[size][label]:>8.2f} |" for size in sizes))
    if args.no_steady:
        return
    print(f"\nsteady traffic: {args.rate:g} deliveries/s for {args.steady_seconds:g} s through the webhook of"
          f" `groupbot serve`, {args.clients} clients, {os.cpu_count()} CPUs; load = 1-minute load average"
          f" before-after; purge blanks the oldest {PURGE_SHARE:.0%}")
    print(f"| {'questions':>9} |" + "".join(f" {label:>{width}} |" for label, (width, _) in STEADY_COLUMNS.items()))
    print(f"|{'-' * 10}:|" + "".join(f"{'-' * (width + 1)}:|" for width, _ in STEADY_COLUMNS.values()))
    for size in sizes:
        row = traffic[size]
        print(f"| {size:>9} |" + "".join(f" {row[label]:>{width}{spec}} |"
                                         for label, (width, spec) in STEADY_COLUMNS.items()))


if __name__ == "__main__":
    main()
