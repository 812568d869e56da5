"""The ``groupbot`` command. Exit codes: 0 success, 1 a failure it explains, 2 bad usage, 141 the reader of
its output went away (``groupbot list questions | head``), as for a program ended by SIGPIPE.

Each module of this package registers its own subcommands; ``COMMAND_MODULES`` lists them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Sequence

from bot.cli.common import printable
from bot.config import Settings, SettingsError
from bot.errors import Refused
from bot.runtime.startup import check_startup

COMMAND_MODULES = ("bot.cli.serve", "bot.cli.intake", "bot.cli.listing", "bot.cli.admin",
                   "bot.cli.publishing", "bot.cli.doctor", "bot.cli.replies", "bot.cli.tokens",
                   "bot.cli.backups", "bot.cli.train", "bot.cli.copydb")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
        if getattr(args, "startup_checks", True):  # doctor reports these among its findings instead
            check_startup(settings)
    except SettingsError as exc:
        print(f"groupbot: setting error: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        code = args.handler(settings, args) or 0
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
        return code
    except Refused as refusal:  # CommandFailed, and every flow's refusal: one line, exit 1
        print(f"groupbot: {printable(refusal)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Whatever is still buffered goes nowhere, so Python's flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every module's subcommands."""
    parser = argparse.ArgumentParser(prog="groupbot", description="groupbot: the firm's community assistant.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser
