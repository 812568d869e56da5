"""``groupbot serve``, ``web`` and ``worker``: the long-running processes."""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import threading

from bot.accounts.admins import ensure_first_admin
from bot.cli.common import DEFAULT_HOST, DEFAULT_PORT, CommandFailed, add_command, exit_on_sigterm, open_store
from bot.config import Settings
from bot.runtime.assemble import Runtime, assemble
from bot.runtime.process import WAKE_FD_OPTION, WorkerProcess, give_way_to_the_web, listen_for_wakes
from bot.store import Store


def register(commands) -> None:
    for name, handler, help_text in (
        ("serve", cmd_serve, "run the web app, and the worker in a child process it starts, watches and stops"),
        ("web", cmd_web, "run only the web app (start one `groupbot worker` beside it)"),
    ):
        sub = add_command(commands, name, handler, help_text)
        sub.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
        sub.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
        sub.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    worker = add_command(commands, "worker", cmd_worker, "run only the worker (one per installation)")
    # Set by `serve` for the worker it starts; not for people.
    worker.add_argument(WAKE_FD_OPTION, dest="wake_fd", type=int, default=None, help=argparse.SUPPRESS)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Web app here, worker in a child process."""
    # Migrated before the child starts, so the two never race on a migration.
    store = open_store(settings)
    return _serve_http(settings, args, store, WorkerProcess())


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """Web app only."""
    return _serve_http(settings, args, open_store(settings), None)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Worker only, until SIGINT/SIGTERM (or, under `serve`, until SIGTERM or the end of its wake pipe)."""
    store = open_store(settings)
    runtime = assemble(settings, store)
    give_way_to_the_web()
    if args.wake_fd is not None:
        return _run_supervised(runtime, store, args.wake_fd)
    exit_on_sigterm()
    try:
        runtime.start()
        runtime.worker.run_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        runtime.stop()
        store.close()
    return 0


def _run_supervised(runtime: Runtime, store: Store, wake_fd: int) -> int:
    """The worker child of `serve`: woken through the pipe, stopped after its pass."""
    worker = runtime.worker
    # Ctrl-C reaches the whole process group; `serve` stops its web server first, then sends us SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop_after_pass(signum, frame):
        # Not worker.stop() here: setting an Event inside a signal handler can deadlock on its lock.
        threading.Thread(target=worker.stop, name="worker-stop", daemon=True).start()

    signal.signal(signal.SIGTERM, stop_after_pass)
    listen_for_wakes(worker, wake_fd)
    try:
        runtime.start()
        worker.run_forever()
    finally:
        # The loop has ended and the process is on its way out. A SIGTERM from here on (the
        # test harness or systemd stopping the group) would start a thread while the
        # interpreter shuts down, which deadlocks on threading's own shutdown lock.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        runtime.stop()
        store.close()
    return 0


def _serve_http(settings: Settings, args: argparse.Namespace, store: Store, worker: WorkerProcess | None) -> int:
    from waitress import create_server

    from webhooks import MAX_BODY_BYTES, create_app

    app = create_app(settings, store=store, on_delivery=worker.wake if worker else None)
    try:
        server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="groupbot",
                               max_request_body_size=MAX_BODY_BYTES + 64 * 1024)  # refused before it is read
    except OSError as exc:
        store.close()
        raise CommandFailed(_cannot_listen(args.host, args.port, exc)) from None
    # A fresh dry-run install gets an account at once, so the dashboard can be tried.
    first_login = ensure_first_admin(store, settings.admin_emails) if settings.dry_run else None
    has_admin = first_login is not None or store.accounts.count_admins() > 0
    exit_on_sigterm()
    if worker:
        _expect_worker_exit_on_sigterm(worker)
    try:
        if worker:
            worker.start()
        _announce(settings, store, f"http://{args.host}:{server.effective_port}", first_login, has_admin)
        server.run()  # returns after SIGINT/SIGTERM, once request threads have finished
    finally:
        server.close()
        if worker:
            worker.stop()
        store.close()
        print("groupbot stopped", flush=True)
    return 0


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    """Why the server cannot listen, in one line with what to do."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (f"cannot listen on {where}: the port is already in use (another groupbot?); stop it, "
                "or choose another port with --port")
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied; choose a port above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: this machine has no such address; check --host"
    return f"cannot listen on {where}: {exc.strerror or type(exc).__name__}"


def _expect_worker_exit_on_sigterm(worker: WorkerProcess) -> None:
    """Before the clean shutdown SIGTERM starts, tell the supervisor the worker's exit is expected."""
    # systemd's default stop sends SIGTERM to every process of the unit at once, so the
    # worker may stop before this process gets to stop it.
    then = signal.getsignal(signal.SIGTERM)

    def handler(signum, frame):
        worker.expect_exit()
        then(signum, frame)

    signal.signal(signal.SIGTERM, handler)


def _announce(settings: Settings, store: Store, base_url: str, first_login: tuple[str, str] | None,
              has_admin: bool) -> None:
    mode = "dry-run: outgoing Meta calls are recorded, not sent" if settings.dry_run else "live"
    print(f"groupbot serving on {base_url} ({mode})", flush=True)
    print(f"  Meta webhook callback: {base_url}/webhooks/meta", flush=True)
    print(f"  data folder: {settings.data_dir}", flush=True)
    if settings.database_path is None:  # the SQLite file is in the data folder; a PostgreSQL database is not
        print(f"  database: {store.describe()}", flush=True)
    print(f"  dashboard: {base_url}/admin/", flush=True)
    if first_login:
        # Shown once, on the console only: the log never holds a password.
        email, password = first_login
        print(f"  admin login: {email} / {password} (change it with `groupbot admin add {email}`)", flush=True)
    elif not has_admin:
        print("  no admin yet: create one with `groupbot admin add EMAIL`", flush=True)
