"""Test-only: run `groupbot ARGS` that dies (SIGKILL) right after a private reply reached Meta, before its commit.

`python -m tests.fakes.crash_reply_worker worker` sends like groupbot, but the process kills
itself the moment GraphClient.private_reply returns. Nothing here is imported by groupbot itself.
"""

from __future__ import annotations

import os
import signal
import sys

from bot.cli import main
from bot.meta import client as graph


def install() -> None:
    """Wrap GraphClient.private_reply so the process dies once the call has succeeded."""
    original = graph.GraphClient.private_reply

    def private_reply(self, comment_id, text, **options):
        original(self, comment_id, text, **options)
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    graph.GraphClient.private_reply = private_reply


if __name__ == "__main__":
    install()
    sys.exit(main(sys.argv[1:]))
