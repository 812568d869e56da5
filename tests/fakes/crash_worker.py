"""Test-only: run `groupbot ARGS` with a crash point in the Page publish, to prove exactly-once under SIGKILL.

`python -m tests.fakes.crash_worker before_call|after_call poll` kills its own process with
SIGKILL right before GraphClient.publish_post sends, or right after it returned (before the
result is committed). Nothing here is imported by groupbot itself.
"""

from __future__ import annotations

import os
import signal
import sys

from bot.cli import main
from bot.meta import client as graph

POINTS = ("before_call", "after_call")


def _die() -> None:
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: str) -> None:
    """Wrap GraphClient.publish_post so the process dies at `point`."""
    if point not in POINTS:
        raise SystemExit(f"crash point must be one of {', '.join(POINTS)}")
    original = graph.GraphClient.publish_post

    def publish_post(self, message, link):
        if point == "before_call":
            _die()
        original(self, message, link)
        _die()

    graph.GraphClient.publish_post = publish_post


if __name__ == "__main__":
    install(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
