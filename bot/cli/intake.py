"""``groupbot simulate``: a signed delivery to a running server, as Meta would send it."""

from __future__ import annotations

import argparse

from bot.cli import simulation
from bot.cli.common import DEFAULT_HOST, DEFAULT_PORT, CommandFailed, add_command, printable
from bot.config import SECRETS_FILE, Settings


def register(commands) -> None:
    sim = add_command(commands, "simulate", cmd_simulate, "send a correctly signed webhook delivery to a running server")
    sim.add_argument("kind", choices=simulation.KINDS)
    sim.add_argument("text")
    sim.add_argument("--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}{simulation.WEBHOOK_PATH}",
                     help="the server's webhook address, or its base URL (default %(default)s)")
    sim.add_argument("--name", default="Demo Member", help="the member's display name")


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Send one signed delivery and print the server's answer."""
    try:
        status, answer = simulation.send(args.kind, args.text, url=args.url, settings=settings, name=args.name)
    except simulation.SimulationError as exc:
        raise CommandFailed(str(exc)) from None
    if status == 403:
        # The app secret is the server's: in dry-run both read it from DATA_DIR/secrets.json, a relative
        # DATA_DIR from the folder each was started in.
        secrets_file = (settings.data_dir / SECRETS_FILE).resolve()
        raise CommandFailed(f"the server answered 403: {answer}; is DATA_DIR the same as the server's? Unless "
                            f"META_APP_SECRET is set, this command signs with the app secret in {secrets_file}: "
                            "run it from the server's folder, or give it the server's DATA_DIR")
    if status != 200:
        raise CommandFailed(f"the server answered {status}: {answer}")
    print(printable(f"{status} {answer}"))
    return 0
