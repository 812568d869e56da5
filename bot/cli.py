"""The ``groupbot`` command. Exit codes: 0 success, 1 a failure it explains, 2 bad usage."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from typing import Callable, Sequence

from bot import simulate as simulation
from bot.config import Settings, SettingsError
from bot.store import Store
from bot.worker import Worker

log = logging.getLogger("groupbot")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class CommandFailed(Exception):
    """A failure the command explains in one line (exit code 1)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"groupbot: setting error: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        return args.handler(settings, args) or 0
    except CommandFailed as exc:
        print(f"groupbot: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groupbot", description=__doc__)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    for name, handler, help_text in (
        ("serve", cmd_serve, "run the web app and the worker in one process (the embedded default)"),
        ("web", cmd_web, "run only the web app (start one `groupbot worker` beside it)"),
    ):
        sub = command(name, handler, help_text)
        sub.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
        sub.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
        sub.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    command("worker", cmd_worker, "run only the worker (one per installation)")

    sim = command("simulate", cmd_simulate, "send a correctly signed webhook delivery to a running server")
    sim.add_argument("kind", choices=simulation.KINDS)
    sim.add_argument("text")
    sim.add_argument("--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}/webhooks/meta")
    sim.add_argument("--name", default="Demo Member", help="the member's display name")

    lister = command("list", cmd_list, "show what is stored, newest first")
    lister.add_argument("what", choices=["questions"])
    lister.add_argument("--json", action="store_true", help="one JSON object per line")
    lister.add_argument("--limit", type=int, default=50)
    return parser


def _open_store(settings: Settings) -> Store:
    store = Store(settings.database_path)
    try:
        store.migrate()
    except Exception as exc:  # sqlite3.Error or OSError: the database file is unusable
        raise CommandFailed(f"cannot open the database at {settings.database_path}: {exc}") from None
    return store


def _announce(settings: Settings, base_url: str) -> None:
    mode = "dry-run: outgoing Meta calls are recorded, not sent" if settings.dry_run else "live"
    print(f"groupbot serving on {base_url} ({mode})", flush=True)
    print(f"  Meta webhook callback: {base_url}/webhooks/meta", flush=True)
    print(f"  data folder: {settings.data_dir}", flush=True)


def _serve_http(settings: Settings, args: argparse.Namespace, store: Store, worker: Worker | None) -> int:
    from waitress import create_server

    from webhooks import create_app

    app = create_app(settings, store=store, on_delivery=worker.wake if worker else None)
    server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="groupbot")
    _announce(settings, f"http://{args.host}:{server.effective_port}")
    _exit_on_sigterm()
    thread = worker.start_thread() if worker else None
    try:
        server.run()  # returns after SIGINT/SIGTERM, once request threads have finished
    finally:
        server.close()
        app.extensions["groupbot"].writer.stop()
        if worker and thread:
            worker.stop()
            thread.join(timeout=30)
        store.close()
        print("groupbot stopped", flush=True)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Web app and worker in one process."""
    store = _open_store(settings)
    return _serve_http(settings, args, store, Worker(settings, store))


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """Web app only."""
    return _serve_http(settings, args, _open_store(settings), None)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Worker only, until SIGINT/SIGTERM."""
    store = _open_store(settings)
    worker = Worker(settings, store)
    _exit_on_sigterm()
    try:
        worker.run_forever()
    except (KeyboardInterrupt, SystemExit):
        worker.stop()
    finally:
        store.close()
    return 0


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Send one signed delivery, print Meta-side view of the answer."""
    try:
        status, body = simulation.send(args.kind, args.text, url=args.url, settings=settings, name=args.name)
    except simulation.SimulationError as exc:
        raise CommandFailed(str(exc)) from None
    print(f"{status} {body}")
    return 0 if status == 200 else 1


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    """Print stored questions, newest first."""
    store = _open_store(settings)
    try:
        rows = store.list_questions(limit=args.limit)
    finally:
        store.close()
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("no questions yet")
    for row in rows:
        text = " ".join(row["text"].split())
        print(f"#{row['id']:<5} {row['created_at']}  {row['source']:<13} {row['status']:<8} "
              f"{row['author_name'] or row['author_id']}: {text[:80]}")
    return 0


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into the same clean shutdown as Ctrl-C (systemd and containers send TERM)."""

    def handler(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    sys.exit(main())
