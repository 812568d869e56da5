"""``groupbot simulate``: a signed delivery to a running server, as Meta would send it."""

from __future__ import annotations

import argparse

from bot.cli import simulation
from bot.cli.common import DEFAULT_HOST, DEFAULT_PORT, CommandFailed, add_command, printable
from bot.config import Settings


def register(commands) -> None:
    sim = add_command(commands, "simulate", cmd_simulate, "send a correctly signed webhook delivery to a running server")
    sim.add_argument("kind", choices=simulation.KINDS)
    sim.add_argument("text")
    sim.add_argument("--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}/webhooks/meta")
    sim.add_argument("--name", default="Demo Member", help="the member's display name")


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Send one signed delivery and print the server's answer."""
    try:
        status, body = simulation.send(args.kind, args.text, url=args.url, settings=settings, name=args.name)
    except simulation.SimulationError as exc:
        raise CommandFailed(str(exc)) from None
    print(printable(f"{status} {body}"))
    return 0 if status == 200 else 1
