"""``groupbot list questions|...``: what is stored, newest first.

Each kind of row registers a ``Lister`` in ``LISTERS``: how to fetch rows and how to
print one row as a line of text.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable

from bot.cli import publishing as publishing_cli
from bot.cli import replies as replies_cli
from bot.cli.common import add_command, json_line, open_store, printable
from bot.config import Settings
from bot.store import Store


@dataclass(frozen=True)
class Lister:
    fetch: Callable[[Store, int], list[dict]]
    line: Callable[[dict], str]


LISTERS: dict[str, Lister] = {
    "questions": Lister(replies_cli.fetch_questions, replies_cli.question_line),
    "replies": Lister(replies_cli.fetch_replies, replies_cli.reply_line),
    "posts": Lister(publishing_cli.fetch_posts, publishing_cli.post_line),
    "calls": Lister(publishing_cli.fetch_calls, publishing_cli.call_line),
}


def register(commands) -> None:
    lister = add_command(commands, "list", cmd_list, "show what is stored, newest first")
    lister.add_argument("what", choices=sorted(LISTERS))
    lister.add_argument("--json", action="store_true", help="one JSON object per line")
    lister.add_argument("--limit", type=int, default=50)


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    """Print stored rows of one kind, newest first."""
    lister = LISTERS[args.what]
    store = open_store(settings)
    try:
        rows = lister.fetch(store, args.limit)
    finally:
        store.close()
    for row in rows:
        print(json_line(row) if args.json else printable(lister.line(row)))
    if not rows and not args.json:
        print(f"no {args.what} yet")
    return 0
