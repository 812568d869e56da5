"""Webhook intake throughput and ack latency, against a bare endpoint on the same server.

Starts groupbot (dry-run, a fresh data folder) and a bare Flask endpoint that reads the body and
answers 200, both under waitress with the same thread count, then sends signed, unique comment
deliveries from 1, 8 and 32 keep-alive clients on 127.0.0.1. Prints events/s, p50 and p99 ack
latency, CPU time per delivery of the web process, of the worker process and of the PostgreSQL
server (these two until the worker has parsed the run's deliveries), the ratio to the bare
endpoint, and how far the worker keeps up: deliveries still 'new' when a run ends and the
seconds it takes to parse them. At the end it checks that every 200 became a committed delivery
and a question.

The run's shape:
  default                one `groupbot serve` (the web process and its worker child)
  --command web          one `groupbot web`, no worker
  --web-processes 2      two `groupbot web` (two ports, one database) and one `groupbot worker`;
                         each client alternates its requests between them, and the bare
                         endpoint runs as as many processes, loaded the same way

--database postgresql://user@127.0.0.1:5432/dbname measures PostgreSQL too, run for run beside
SQLite. The server must be on loopback (or a Unix socket). When the role may create databases,
the script makes its own scratch database on that server and drops it at the end; otherwise the
database named must be empty, and it is left holding the benchmark's rows.

    python benchmarks/webhook_ingest.py [--seconds 5] [--clients 1,8,32] [--web-processes 2]
                                        [--database postgresql://...]
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bot.cli.simulation import build_delivery
from bot.intake import signature

BARE_APP = """
import sys
import logging
from flask import Flask, request
from waitress import serve
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # all threads busy is what load looks like
app = Flask(__name__)
@app.post("/webhooks/meta")
def receive():
    request.get_data()
    return "EVENT_RECEIVED"
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]), _quiet=True)
"""
SCRATCH_PREFIX = "groupbot_bench_"
DRAIN_TIMEOUT = 600.0  # seconds to wait for the worker to parse a run's backlog


class Refusal(Exception):
    """The database given is not one this script may fill: the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def client_loop(ports: list[int], first: int, secret: str, stop_at: float,
                latencies: dict[int, list[float]], answers: dict[int, list[int]]) -> None:
    """One keep-alive client; with several ports it sends its requests to each in turn."""
    conns = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=10) for port in ports}
    turn = first
    while time.perf_counter() < stop_at:
        port = ports[turn % len(ports)]
        turn += 1
        body = json.dumps(build_delivery("comment", "cual es su numero? ¿cuánto cobran?", page_id="100000000000001")).encode()
        headers = {"Content-Type": "application/json", signature.HEADER: signature.sign(body, secret)}
        started = time.perf_counter()
        conns[port].request("POST", "/webhooks/meta", body=body, headers=headers)
        response = conns[port].getresponse()
        response.read()
        latencies[port].append(time.perf_counter() - started)
        answers[port][0 if response.status == 200 else 1] += 1
    for conn in conns.values():
        conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def child_pids(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc): the worker that `serve` starts, a server's backends."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_snapshot(pids: list[int]) -> dict[int, float]:
    taken = {}
    for pid in pids:
        try:
            taken[pid] = cpu_seconds(pid)
        except OSError:  # gone, or not ours to read
            pass
    return taken


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots; a process started in between counts from zero."""
    return sum(used - before.get(pid, 0.0) for pid, used in after.items())


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[max(int(len(ordered) * fraction) - 1, 0)]


def latency_figures(latencies: list[float], answers: list[int], elapsed: float) -> dict:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "acked": answers[0],
        "refused": answers[1],
        "rate": len(ordered) / elapsed,
        "p50": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p99": percentile(ordered, 0.99) * 1000 if ordered else float("nan"),
    }


class Group:
    """The processes one run loads: web processes answering on ``ports``, and what else spends CPU for them."""

    def __init__(self, label: str, ports: list[int], processes: list[subprocess.Popen],
                 web_pids: list[int], worker_pids=None, database=None) -> None:
        self.label = label
        self.ports = ports
        self.processes = processes
        self.web_pids = web_pids
        self.worker_pids = worker_pids  # a callable (serve's child appears after start), or None: no worker
        self.database = database  # a Database, None for the bare endpoint
        self.acked = 0
        self.refused = 0

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def load(group: Group, secret: str, clients: int, seconds: float) -> dict:
    latencies: dict[int, list[float]] = {port: [] for port in group.ports}
    answers: dict[int, list[int]] = {port: [0, 0] for port in group.ports}
    stop_at = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(group.ports, i, secret, stop_at, latencies, answers))
        for i in range(clients)
    ]
    workers = group.worker_pids() if group.worker_pids else []
    database_pids = group.database.server_pids() if group.database else []
    web_before = [cpu_snapshot([pid]) for pid in group.web_pids]
    worker_before, database_before = cpu_snapshot(workers), cpu_snapshot(database_pids)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    web_used = [cpu_between(before, cpu_snapshot([pid])) for before, pid in zip(web_before, group.web_pids)]
    ended = time.monotonic()

    backlog = drain = None
    if group.database is not None and group.worker_pids is not None:
        backlog = group.database.count("SELECT count(*) FROM deliveries WHERE status = 'new'")
        remaining = backlog
        while remaining and time.monotonic() - ended < DRAIN_TIMEOUT:
            time.sleep(0.1)
            remaining = group.database.count("SELECT count(*) FROM deliveries WHERE status = 'new'")
        drain = time.monotonic() - ended if not remaining else float("inf")
    # The worker's and the server's CPU run to the end of the drain: a worker that falls behind
    # does the rest of its work after the load, and it belongs to the same deliveries.
    worker_used = cpu_between(worker_before, cpu_snapshot(workers)) if workers else None
    database_pids = sorted(set(database_pids) | set(group.database.server_pids() if group.database else []))
    database_used = cpu_between(database_before, cpu_snapshot(database_pids)) if database_pids else None

    per_port = [latency_figures(latencies[port], answers[port], elapsed) for port in group.ports]
    for figures, used in zip(per_port, web_used):
        figures["cpu_us"] = used / max(figures["requests"], 1) * 1e6
    overall = latency_figures([x for port in group.ports for x in latencies[port]],
                              [sum(answers[port][i] for port in group.ports) for i in (0, 1)], elapsed)
    requests = max(overall["requests"], 1)
    overall["cpu_us"] = sum(web_used) / requests * 1e6
    overall["worker_cpu_us"] = None if worker_used is None else worker_used / requests * 1e6
    overall["db_cpu_us"] = None if database_used is None else database_used / requests * 1e6
    overall["backlog"], overall["drain"] = backlog, drain
    group.acked += overall["acked"]
    group.refused += overall["refused"]
    return {"ports": per_port, "all": overall}


class Database:
    """The database of one groupbot group, read from outside to count what was committed."""

    engine = ""

    def describe(self) -> str:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def count(self, sql: str) -> int:
        raise NotImplementedError

    def server_pids(self) -> list[int]:
        return []

    def close(self) -> None:
        pass

    def left_behind(self) -> str | None:
        """What the run leaves in a database that outlives it."""
        return None


class SqliteDatabase(Database):
    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"SQLite in WAL mode, SQLITE_SYNCHRONOUS={os.environ.get('SQLITE_SYNCHRONOUS', 'FULL')}"

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": f"sqlite:///{self.path}"}

    def count(self, sql: str) -> int:
        try:
            with sqlite3.connect(self.path) as conn:
                return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # no such table yet
            return 0


class PostgresDatabase(Database):
    """A database on a PostgreSQL server on loopback: a scratch one made here, or an empty one given."""

    engine = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise Refusal("psycopg is not installed: pip install -e '.[postgresql]'") from None
        self._psycopg = psycopg
        problem = not_on_loopback(url, os.environ)
        if problem:
            raise Refusal(problem)
        self.given = url
        self.scratch: str | None = None
        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise Refusal(f"cannot connect to {describe_url(url)}: {str(exc).strip().splitlines()[0]}") from None
        with conn:
            may_create = conn.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
            if may_create:
                from psycopg import sql

                self.scratch = f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"
                # template0: empty even if someone filled template1.
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")
                             .format(sql.Identifier(self.scratch)))
            else:
                held = user_objects(conn)
                if held:
                    raise Refusal(f"{describe_url(url)} holds {held} tables, sequences or functions, and this role "
                                  f"may not create a database of its own: give an empty database")
        self.url = urlsplit(url)._replace(path="/" + self.scratch).geturl() if self.scratch else url
        try:
            self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            self.settings = {name: self._conn.execute(f"SHOW {name}").fetchone()[0]
                             for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes")}
        except BaseException:
            self._drop_scratch()
            raise

    def describe(self) -> str:
        s = self.settings
        where = (f"{describe_url(self.given).rsplit('/', 1)[0]}, scratch database {self.scratch}" if self.scratch
                 else f"{describe_url(self.url)}, the empty database given")
        return (f"PostgreSQL {s['server_version'].split()[0]} at {where}, "
                f"fsync={s['fsync']}, synchronous_commit={s['synchronous_commit']}, "
                f"full_page_writes={s['full_page_writes']}")

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url}

    def count(self, sql: str) -> int:
        try:
            return self._conn.execute(sql).fetchone()[0]
        except self._psycopg.errors.UndefinedTable:
            return 0

    def server_pids(self) -> list[int]:
        """The server's processes (backends, WAL writer, checkpointer...), when it runs on this machine."""
        backend = self._conn.info.backend_pid
        try:
            postmaster = parent_pid(backend)
        except OSError:  # the server is in a container or another namespace
            return []
        return child_pids(postmaster)

    def close(self) -> None:
        self._conn.close()
        self._drop_scratch()

    def left_behind(self) -> str | None:
        if self.scratch is not None:
            return None
        return f"the benchmark's rows are left in {describe_url(self.url)}; drop it before the next run"

    def _drop_scratch(self) -> None:
        if self.scratch is None:
            return
        from psycopg import sql

        with self._psycopg.connect(self.given, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.scratch)))


def not_on_loopback(url: str, environ) -> str | None:
    """Why ``url`` names a server this script must not load (None when it is on loopback or a Unix socket)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(url)
    except Exception as bad:
        return f"not a valid PostgreSQL URL: {bad}"
    hosts = [h for key in ("host", "hostaddr") for h in str(params.get(key) or "").split(",") if h]
    if not hosts:  # libpq falls back to these, then to its Unix socket
        hosts = [h for key in ("PGHOST", "PGHOSTADDR") for h in environ.get(key, "").split(",") if h]
    outside = [h for h in hosts if not h.startswith("/") and not is_loopback(h)]
    if outside:
        return (f"{', '.join(outside)} is not on loopback: this benchmark loads a database server on this "
                f"machine only (127.0.0.1, ::1, localhost or a Unix socket)")
    return None


def is_loopback(host: str) -> bool:
    host = host.strip("[]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.rstrip(".").lower() == "localhost"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def user_objects(conn) -> int:
    """Tables, views, sequences and functions outside PostgreSQL's own schemas."""
    own = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
    relations = conn.execute(
        f"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {own}").fetchone()[0]
    functions = conn.execute(
        f"SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {own}").fetchone()[0]
    return relations + functions


def describe_url(url: str) -> str:
    """Host, port and database of a URL, without user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'the local socket'}:{parts.port or 5432}{parts.path or '/'}"


def start_groupbot(database: Database, workdir: Path, env: dict[str, str], args) -> Group:
    """The groupbot processes of one run's shape, up and listening."""
    env = dict(env, DATA_DIR=str(workdir), **database.env())
    groupbot = [sys.executable, "-m", "bot.cli"]
    ports = [free_port() for _ in range(args.web_processes)]
    processes: list[subprocess.Popen] = []
    log_path = workdir / "groupbot.log"

    def start(*command: str) -> subprocess.Popen:
        # Logs go to a file: under load, waitress warns of its task queue on every burst.
        with open(log_path, "ab") as log:
            process = subprocess.Popen([*groupbot, *command], env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                                       stderr=log)
        processes.append(process)
        return process

    try:
        if args.web_processes == 1:
            web = start(args.command, "--port", str(ports[0]), "--threads", str(args.threads))
            wait_until_up(ports[0])
            workers = (lambda: child_pids(web.pid)) if args.command == "serve" else None
            return Group(database.engine, ports, processes, [web.pid], workers, database)
        # The first process migrates the fresh database before the others open it.
        webs = [start("web", "--port", str(ports[0]), "--threads", str(args.threads))]
        wait_until_up(ports[0])
        webs += [start("web", "--port", str(port), "--threads", str(args.threads)) for port in ports[1:]]
        worker = start("worker")
        for port in ports[1:]:
            wait_until_up(port)
        return Group(database.engine, ports, processes, [w.pid for w in webs], lambda: [worker.pid], database)
    except BaseException:
        Group("", [], processes, []).stop()
        print(f"groupbot did not start on {database.engine}; its log:\n{log_path.read_text(errors='replace')[-3000:]}",
              file=sys.stderr)
        raise


def start_bare(env: dict[str, str], args) -> Group:
    ports = [free_port() for _ in range(args.web_processes)]
    processes = [subprocess.Popen([sys.executable, "-c", BARE_APP, str(port), str(args.threads)], env=env)
                 for port in ports]
    try:
        for port in ports:
            wait_until_up(port)
    except BaseException:
        Group("", [], processes, []).stop()
        raise
    return Group("bare", ports, processes, [p.pid for p in processes])


def print_table(args, rows: list[tuple[int, str, dict, dict]]) -> None:
    split = args.web_processes > 1
    head = (f"{'clients':>7} | {'database':<10} | " + (f"{'web':<5} | " if split else "")
            + f"{'groupbot ev/s':>13} | {'p50 ms':>6} | {'p99 ms':>6} | {'CPU us/ev':>9} | {'worker CPU':>10} "
            f"| {'db CPU':>6} | {'backlog':>7} | {'drain s':>7} | {'bare ev/s':>9} | {'bare p99':>8} "
            f"| {'bare CPU':>8} | {'ratio':>5}")
    print(head)
    print("-" * len(head))

    def number(value, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    for clients, engine, ours, bare in rows:
        lines = []
        if split:
            lines += [(f"{n + 1:<5} | ", o, None) for n, o in enumerate(ours["ports"])]
        lines.append((f"{'all':<5} | " if split else "", ours["all"], bare["all"]))
        for web, o, b in lines:
            tail = (f"| {number(o.get('worker_cpu_us'), '.0f'):>10} | {number(o.get('db_cpu_us'), '.0f'):>6} "
                    f"| {number(o.get('backlog'), 'd'):>7} | {number(o.get('drain'), '.1f'):>7} "
                    if b is not None else f"| {'':>10} | {'':>6} | {'':>7} | {'':>7} ")
            bare_part = (f"| {b['rate']:>9.0f} | {b['p99']:>8.2f} | {b['cpu_us']:>8.0f} | {o['rate'] / b['rate']:>5.2f}"
                         if b is not None else f"| {'':>9} | {'':>8} | {'':>8} | {'':>5}")
            print(f"{clients:>7} | {engine:<10} | {web}{o['rate']:>13.0f} | {o['p50']:>6.2f} | {o['p99']:>6.2f} "
                  f"| {o['cpu_us']:>9.0f} " + tail + bare_part)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--command", choices=["serve", "web"], default="serve",
                        help="serve: the web app and its worker process; web: the web app alone")
    parser.add_argument("--web-processes", type=int, default=1, metavar="N",
                        help="N > 1: N `groupbot web` processes on one database and one `groupbot worker`")
    parser.add_argument("--database", default="sqlite", metavar="URL",
                        help="sqlite (default), or a postgresql:// URL on loopback to measure beside SQLite")
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",")]
    if args.web_processes < 1:
        parser.error("--web-processes must be 1 or more")
    if args.web_processes > 1 and args.command != "serve":
        parser.error("--web-processes runs `groupbot web` processes and one `groupbot worker`; leave out --command")
    if args.database != "sqlite" and not args.database.startswith(("postgresql://", "postgres://")):
        parser.error("--database takes sqlite or a postgresql:// URL")

    workdir = Path(tempfile.mkdtemp(prefix="groupbot-bench-"))
    secret = secrets.token_hex(32)
    # Every groupbot process must sign and check with the same secrets: set them, rather than have
    # each process generate its own.
    env = dict(os.environ, META_APP_SECRET=secret, META_VERIFY_TOKEN=secrets.token_hex(16),
               SECRET_KEY=secrets.token_hex(32), LOG_LEVEL="WARNING")
    for name in ("META_PAGE_ACCESS_TOKEN", "DATABASE_URL"):
        env.pop(name, None)

    databases: list[Database] = [SqliteDatabase(workdir / "sqlite" / "groupbot.db")]
    if args.database != "sqlite":
        try:
            databases.append(PostgresDatabase(args.database))
        except Refusal as refusal:
            print(f"refused: {refusal}", file=sys.stderr)
            return 2
    groups: list[Group] = []
    try:
        bare = start_bare(env, args)
        groups.append(bare)
        for database in databases:
            folder = workdir / database.engine
            folder.mkdir(exist_ok=True)
            groups.append(start_groupbot(database, folder, env, args))
        rows = []
        for clients in client_counts:
            bare_result = load(bare, secret, clients, args.seconds)
            for group in groups[1:]:
                rows.append((clients, group.label, load(group, secret, clients, args.seconds), bare_result))
        checks = []
        for group in groups[1:]:
            committed = group.database.count("SELECT count(*) FROM deliveries")
            # Without a worker nothing turns deliveries into questions.
            questions = None
            if group.worker_pids is not None:
                deadline = time.time() + 60
                while (questions := group.database.count("SELECT count(*) FROM questions")) < group.acked \
                        and time.time() < deadline:
                    time.sleep(0.25)
            checks.append((group, committed, questions))
    finally:
        for group in groups:
            group.stop()
        for database in databases:
            database.close()

    shape = (f"{args.web_processes} x groupbot web + groupbot worker, clients alternate between them"
             if args.web_processes > 1 else f"groupbot {args.command}")
    print(f"webhook intake, {shape}; {args.seconds:g} s per run, waitress with {args.threads} threads, "
          f"{os.cpu_count()} CPUs")
    for database in databases:
        print(f"  {database.engine}: {database.describe()}")
    print_table(args, rows)
    ok = True
    for group, committed, questions in checks:
        fine = committed == group.acked and questions in (None, group.acked)
        ok = ok and fine
        print(f"{group.label}: 200s given: {group.acked}, other answers: {group.refused}, "
              f"committed deliveries: {committed}" + ("" if questions is None else f", questions: {questions}")
              + (" -> OK, none lost" if fine else " -> MISMATCH"))
    for database in databases:
        if database.left_behind():
            print(database.left_behind())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
