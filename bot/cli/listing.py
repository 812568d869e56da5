"""``groupbot list questions|...``: what is stored, newest first.

Each kind of row registers a ``Lister`` in ``LISTERS``: how to fetch rows and how to
print one row as a line of text.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Callable

from bot.cli.common import add_command, open_store
from bot.config import Settings
from bot.store import Store


@dataclass(frozen=True)
class Lister:
    fetch: Callable[[Store, int], list[dict]]
    line: Callable[[dict], str]


def _question_line(row: dict) -> str:
    text = " ".join(row["text"].split())
    who = row["author_name"] or row["author_id"]
    return f"#{row['id']:<5} {row['created_at']}  {row['source']:<13} {row['status']:<8} {who}: {text[:80]}"


LISTERS: dict[str, Lister] = {
    "questions": Lister(lambda store, limit: store.list_questions(limit=limit), _question_line),
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
        print(json.dumps(row, ensure_ascii=False) if args.json else lister.line(row))
    if not rows and not args.json:
        print(f"no {args.what} yet")
    return 0
