"""``groupbot doctor`` and ``groupbot subscribe``: check the installation; subscribe the Page's webhooks."""

from __future__ import annotations

import argparse
import re
import time

from bot.cli.common import CommandFailed, add_command, open_store, printable
from bot.config import Settings
from bot.meta.connect import build_graph
from bot.meta.errors import GraphError
from bot.meta.subscription import WEBHOOK_FIELDS, subscribe_page
from bot.notify.smtp import MailError, parse_smtp_url, send_email
from bot.ops.clock import confirm_clock
from bot.ops.doctor import examine

_MARKS = {"ok": "ok     ", "note": "note   ", "problem": "PROBLEM"}


def register(commands) -> None:
    """Add this module's subcommands."""
    doctor = add_command(commands, "doctor", cmd_doctor,
                         "check settings, FAQ, database, feed, e-mail, token, scopes and Page subscription")
    doctor.set_defaults(startup_checks=False)  # it reports a bad FAQ_FILE among its findings, rather than stop
    test_email = add_command(commands, "test-email", cmd_test_email,
                             "send a test e-mail through SMTP_URL to ADMIN_EMAILS (or --to)")
    test_email.add_argument("--to", metavar="ADDRESS", help="send it to this address instead of ADMIN_EMAILS")
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


def cmd_test_email(settings: Settings, args: argparse.Namespace) -> int:
    """Send one test message through SMTP_URL and say whether the server accepted it."""
    if not settings.smtp_url:
        raise CommandFailed("SMTP_URL is not set; set it (e.g. smtp+starttls://user:password@smtp.example.com:587)")
    if args.to is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", args.to):
        raise CommandFailed(f"--to must be an e-mail address (got {args.to!r})")
    recipients = (args.to,) if args.to else settings.admin_emails
    if not recipients:
        raise CommandFailed("nobody to send to: set ADMIN_EMAILS, or pass --to ADDRESS")
    server = parse_smtp_url(settings.smtp_url)
    where = f"{server.host}:{server.port}"
    body = (f"This is a test e-mail from groupbot ({settings.firm_name}), sent with `groupbot test-email`.\n\n"
            "When it arrives, alerts about urgent questions and failures will reach you too.\n"
            f"Dashboard: {settings.public_url}/admin/")
    try:
        send_email(server, server.sender(settings.smtp_from), recipients, "groupbot test e-mail", body)
    except MailError as exc:
        raise CommandFailed(f"the test e-mail was not sent: {exc}") from None
    print(printable(f"the SMTP server at {where} accepted the test e-mail for {', '.join(recipients)}; "
                    "check that it arrives (and not in spam)"))
    return 0


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
