"""``groupbot doctor`` and ``groupbot subscribe``: check the installation; subscribe the Page's webhooks."""

from __future__ import annotations

import argparse
import time

from bot.cli.common import CommandFailed, add_command, open_store, printable
from bot.config import Settings
from bot.meta.connect import build_graph
from bot.meta.errors import GraphError
from bot.meta.subscription import WEBHOOK_FIELDS, subscribe_page
from bot.ops.clock import confirm_clock
from bot.ops.doctor import examine

_MARKS = {"ok": "ok     ", "note": "note   ", "problem": "PROBLEM"}


def register(commands) -> None:
    """Add this module's subcommands."""
    add_command(commands, "doctor", cmd_doctor, "check settings, database, feed, token, scopes and Page subscription")
    add_command(commands, "confirm-clock", cmd_confirm_clock,
                "after a clock jump: confirm the server's time is right, resuming retention purge and reply expiry")
    add_command(commands, "subscribe", cmd_subscribe, f"subscribe the Page's webhooks ({', '.join(WEBHOOK_FIELDS)})")


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Print the settings (secrets masked) and every check; exit 1 if any problem."""
    print("settings:")
    for name, value in settings.describe().items():
        print(printable(f"  {name}: {value}"))
    store = open_store(settings)
    try:
        findings = examine(settings, store, build_graph(settings, store))
    finally:
        store.close()
    print("checks:")
    for finding in findings:
        print(printable(f"  {_MARKS[finding.level]} {finding.subject}: {finding.detail}"))
        if finding.fix and finding.level == "problem":
            print(printable(f"          fix: {finding.fix}"))
    problems = sum(f.level == "problem" for f in findings)
    print(f"{problems} problem(s)" if problems else "no problems found")
    return 1 if problems else 0


def cmd_confirm_clock(settings: Settings, args: argparse.Namespace) -> int:
    """Lift the pause a clock jump put on destructive upkeep (audited)."""
    store = open_store(settings)
    try:
        now = time.time()
        lifted = confirm_clock(store, "command line", now)
    finally:
        store.close()
    if lifted is None:
        print("the clock was not in doubt; nothing to confirm")
    else:
        print(f"confirmed {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(now))} as the time; "
              "retention purge and reply expiry resume")
    return 0


def cmd_subscribe(settings: Settings, args: argparse.Namespace) -> int:
    """Subscribe the app to the Page's webhook fields and show what Meta now has."""
    store = open_store(settings)
    try:
        fields = subscribe_page(build_graph(settings, store))
    except GraphError as error:
        raise CommandFailed(f"Meta refused the subscription: {error}") from None
    finally:
        store.close()
    missing = [f for f in WEBHOOK_FIELDS if f not in fields]
    if missing:
        raise CommandFailed(f"Meta did not subscribe {', '.join(missing)}; check the app's webhook settings")
    prefix = "dry-run: recorded, not sent: " if settings.dry_run else ""
    print(f"{prefix}the Page is subscribed to {', '.join(fields)}")
    return 0
