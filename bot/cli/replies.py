"""``groupbot answer``, ``approve``, ``reject`` and ``hide-comment``: answering members from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from bot.answers.knowledge import FaqFileError
from bot.answers.responder import Answer, Responder
from bot.cli.common import CommandFailed, add_command, open_store
from bot.config import Settings
from bot.replies.moderation import hide_comment
from bot.replies.review import approve_reply, list_replies, reject_reply
from bot.store.base import iso

ACTOR = "cli"


def register(commands) -> None:
    answer = add_command(commands, "answer", cmd_answer,
                         "show what groupbot would reply (TEXT, or one message per line of standard input)")
    answer.add_argument("text", nargs="?", metavar="TEXT", help="a member's message (default: read stdin)")
    answer.add_argument("--json", action="store_true", help="one JSON object per message")
    approve = add_command(commands, "approve", cmd_approve, "send a suggested reply (see `groupbot list replies`)")
    approve.add_argument("reply_id", type=int, metavar="ID")
    approve.add_argument("--text", default=None, help="send this text instead of the suggestion")
    reject = add_command(commands, "reject", cmd_reject, "decide that a suggested reply is not sent")
    reject.add_argument("reply_id", type=int, metavar="ID")
    hide = add_command(commands, "hide-comment", cmd_hide, "hide a member's comment on the Page (e.g. personal data)")
    hide.add_argument("question_id", type=int, metavar="QUESTION_ID")


def cmd_answer(settings: Settings, args: argparse.Namespace) -> int:
    """Print the verdict and reply for each message."""
    store = open_store(settings)  # the admins' corrections count here as in the worker
    try:
        try:
            responder = Responder.from_settings(settings, store)
        except FaqFileError as exc:
            raise CommandFailed(str(exc)) from None
        messages = [args.text] if args.text is not None else [line.rstrip("\r\n") for line in sys.stdin]
        for text in messages:
            if args.text is None and not text.strip():
                continue  # a blank line is no message
            answer = responder.answer(text)
            print(json.dumps(answer.as_json(), ensure_ascii=False) if args.json else _answer_text(answer, args.text))
    finally:
        store.close()
    return 0


def cmd_approve(settings: Settings, args: argparse.Namespace) -> int:
    """Approve one reply (optionally with new text)."""
    job_id = _run(settings, approve_reply, args.reply_id, ACTOR, args.text)
    print(f"reply {args.reply_id} approved; the worker sends it (job {job_id})")
    return 0


def cmd_reject(settings: Settings, args: argparse.Namespace) -> int:
    """Reject one reply."""
    _run(settings, reject_reply, args.reply_id, ACTOR)
    print(f"reply {args.reply_id} rejected; nothing is sent")
    return 0


def cmd_hide(settings: Settings, args: argparse.Namespace) -> int:
    """Queue hiding a Page comment."""
    job_id = _run(settings, hide_comment, args.question_id, ACTOR)
    print(f"question {args.question_id}: the worker hides its comment on the Page (job {job_id})")
    return 0


def fetch_replies(store, limit: int) -> list[dict]:
    """Rows for `groupbot list replies`."""
    return list_replies(store, limit)


def reply_line(row: dict) -> str:
    """One reply as a line of `groupbot list replies`: status, channel, intent, deadline, start of the text."""
    urgent = "URGENT " if row["urgent"] else ""
    when = f" sent {row['sent_at']}" if row["sent_at"] else f" until {row['deadline']}" if row["deadline"] else ""
    error = f"  ({row['error'][:100]})" if row["error"] else ""
    text = " ".join(row["text"].split())
    return (f"#{row['id']:<5} q#{row['question_id']:<5} {urgent}{row['status']:<9} {row['channel']:<13} "
            f"{row['intent']:<16}{when}: {text[:60]}{error}")


def fetch_questions(store, limit: int) -> list[dict]:
    """Rows for `groupbot list questions`: urgent first, then newest first."""
    return [{**asdict(row), "created_at": iso(row.created_at), "event_time": iso(row.event_time)}
            for row in store.questions.triaged(limit)]


def question_line(row: dict) -> str:
    """One question as a line: id, time, source, status, verdict and the start of the text."""
    text = " ".join(row["text"].split())
    urgent = "URGENT " if row["urgent"] else ""
    verdict = row["intent"] or "-"
    pii = f" pii:{','.join(row['pii'])}" if row["pii"] else ""
    who = row["author_name"] or row["author_id"]
    return (f"#{row['id']:<5} {row['created_at']}  {row['source']:<13} {urgent}{row['status']:<9} {verdict:<16}"
            f"{pii} {who}: {text[:60]}")


def _answer_text(answer: Answer, given: str | None) -> str:
    facts = (f"intent: {answer.intent or 'none'} ({answer.confidence:.2f}), language: {answer.language}"
             + (", URGENT" if answer.urgent else "")
             + (f", personal data: {', '.join(answer.pii)}" if answer.pii else ""))
    reply = answer.reply if answer.reply is not None else "(no reply)"
    lines = [facts, reply] if given is not None else [f"> {answer.text}", facts, reply]
    return "\n".join(lines) + ("\n" if given is None else "")


def _run(settings: Settings, action, *args):
    store = open_store(settings)
    try:
        return action(store, *args)
    finally:
        store.close()
