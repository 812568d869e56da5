"""Webhook intake throughput and ack latency, against a bare endpoint on the same server.

Starts ``groupbot serve`` (dry-run, a fresh data folder; the web process and its worker
child) and a bare Flask endpoint that reads the body and answers 200, both under waitress
with the same thread count, then sends signed, unique comment deliveries from 1, 8 and 32
keep-alive clients on 127.0.0.1. Prints events/s, p50 and p99 ack latency, CPU time per
delivery of the web process and of the worker process, and the ratio to the bare
endpoint, then checks that every acknowledged delivery became a question.

    python benchmarks/webhook_ingest.py [--seconds 5] [--clients 1,8,32]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bot.cli.simulation import build_delivery
from bot.intake import signature

BARE_APP = """
import sys
from flask import Flask, request
from waitress import serve
app = Flask(__name__)
@app.post("/webhooks/meta")
def receive():
    request.get_data()
    return "EVENT_RECEIVED"
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]), _quiet=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, timeout: float = 15.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def client_loop(port: int, secret: str, stop_at: float, latencies: list[float], counter: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.perf_counter() < stop_at:
        body = json.dumps(build_delivery("comment", "cual es su numero? ¿cuánto cobran?", page_id="100000000000001")).encode()
        headers = {"Content-Type": "application/json", signature.HEADER: signature.sign(body, secret)}
        started = time.perf_counter()
        conn.request("POST", "/webhooks/meta", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status == 200:
            counter[0] += 1
    conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc): the worker that `serve` starts."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def load(port: int, secret: str, clients: int, seconds: float, pid: int) -> dict:
    latencies: list[float] = []
    counters = [[0] for _ in range(clients)]
    stop_at = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(port, secret, stop_at, latencies, counters[i]))
        for i in range(clients)
    ]
    children = child_pids(pid)
    cpu_before = cpu_seconds(pid)
    children_before = sum(cpu_seconds(child) for child in children)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu_used = cpu_seconds(pid) - cpu_before
    children_used = sum(cpu_seconds(child) for child in children) - children_before
    latencies.sort()
    return {
        "acked": sum(c[0] for c in counters),
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "cpu_us": cpu_used / max(len(latencies), 1) * 1e6,
        "worker_cpu_us": children_used / max(len(latencies), 1) * 1e6 if children else None,
    }


def count_rows(db: Path, table: str, expected: int, timeout: float = 60.0) -> int:
    """Rows in ``table`` once it reaches ``expected`` (or the timeout passes)."""
    deadline = time.time() + timeout
    count = 0
    while time.time() < deadline:
        with sqlite3.connect(db) as conn:
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if count >= expected:
            break
        time.sleep(0.25)
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--command", choices=["serve", "web"], default="serve",
                        help="serve: the web app and its worker process; web: the web app alone")
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="groupbot-bench-"))
    secret = "benchmark-secret"
    env = dict(os.environ, DATA_DIR=str(workdir), META_APP_SECRET=secret, LOG_LEVEL="WARNING")
    env.pop("META_PAGE_ACCESS_TOKEN", None)
    ours_port, bare_port = free_port(), free_port()
    ours = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", args.command, "--port", str(ours_port), "--threads", str(args.threads)],
        env=env, cwd=workdir, stdout=subprocess.DEVNULL,
    )
    bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port), str(args.threads)], env=env)
    try:
        wait_until_up(ours_port)
        wait_until_up(bare_port)
        rows = []
        total_acked = 0
        for clients in client_counts:
            bare_result = load(bare_port, secret, clients, args.seconds, bare.pid)
            ours_result = load(ours_port, secret, clients, args.seconds, ours.pid)
            total_acked += ours_result["acked"]
            rows.append((clients, ours_result, bare_result))
        committed = count_rows(workdir / "groupbot.db", "deliveries", total_acked, timeout=1)
        # `web` has no worker: only `serve` turns deliveries into questions.
        questions = count_rows(workdir / "groupbot.db", "questions", total_acked) if args.command == "serve" else None
    finally:
        for process in (ours, bare):
            process.terminate()
            process.wait(timeout=30)

    print(f"webhook intake, {args.seconds:g} s per run, waitress with {args.threads} threads, "
          f"{os.cpu_count()} CPUs, SQLITE_SYNCHRONOUS={env.get('SQLITE_SYNCHRONOUS', 'FULL')}")
    print(f"{'clients':>7} | {'groupbot ev/s':>13} | {'p50 ms':>6} | {'p99 ms':>6} | {'CPU us/ev':>9} "
          f"| {'worker CPU':>10} | {'bare ev/s':>9} | {'bare p99':>8} | {'bare CPU':>8} | {'ratio':>5}")
    print("-" * 109)
    for clients, o, b in rows:
        worker_cpu = "-" if o["worker_cpu_us"] is None else f"{o['worker_cpu_us']:.0f}"
        print(f"{clients:>7} | {o['rate']:>13.0f} | {o['p50']:>6.2f} | {o['p99']:>6.2f} | {o['cpu_us']:>9.0f} "
              f"| {worker_cpu:>10} | {b['rate']:>9.0f} | {b['p99']:>8.2f} | {b['cpu_us']:>8.0f} "
              f"| {o['rate'] / b['rate']:>5.2f}")
    ok = committed == total_acked and questions in (None, total_acked)
    print(f"acknowledged: {total_acked}, committed deliveries: {committed}"
          + ("" if questions is None else f", questions: {questions}")
          + (" -> OK, none lost" if ok else " -> MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
