"""``groupbot answer``, ``approve``, ``reject``, ``reply``, ``retry``, ``relabel``, ``hide-comment``: answering members
from the command line.

Every command names a member's message by its question id, the number `list questions` and `list replies` show.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict

from bot.answers.knowledge import FaqFileError
from bot.answers.responder import Answer, Responder
from bot.cli.common import CommandFailed, add_command, open_store
from bot.config import Settings
from bot.replies.moderation import hide_comment
from bot.replies.relabel import relabel_question
from bot.replies.review import (
    answer_by_hand,
    approve_question,
    list_replies,
    reject_question,
    retry_question,
    takeover_dict,
)
from bot.store.base import iso

ACTOR = "cli"


def register(commands) -> None:
    answer = add_command(commands, "answer", cmd_answer,
                         "show what groupbot would reply (TEXT, or one message per line of standard input)")
    answer.add_argument("text", nargs="?", metavar="TEXT", help="a member's message (default: read stdin)")
    answer.add_argument("--json", action="store_true", help="one JSON object per message")
    approve = add_command(commands, "approve", cmd_approve,
                          "send a question's suggested reply (the question id of `groupbot list questions`)")
    approve.add_argument("question_id", type=int, metavar="QUESTION_ID")
    approve.add_argument("--text", default=None, help="send this text instead of the suggestion (the disclaimer stays)")
    reject = add_command(commands, "reject", cmd_reject, "decide that a question's suggested reply is not sent")
    reject.add_argument("question_id", type=int, metavar="QUESTION_ID")
    reply = add_command(commands, "reply", cmd_reply,
                        "answer a question by hand: a private reply to a comment, a Messenger answer within 24 hours")
    reply.add_argument("question_id", type=int, metavar="QUESTION_ID")
    reply.add_argument("--text", required=True, help="the answer (the firm's disclaimer is added after it)")
    reply.add_argument("--no-disclaimer", action="store_true", help="send the text without the firm's disclaimer")
    retry = add_command(commands, "retry", cmd_retry,
                        "try a question's failed reply again (at once after Meta's refusal), or send an unconfirmed one again")
    retry.add_argument("question_id", type=int, metavar="QUESTION_ID")
    relabel = add_command(commands, "relabel", cmd_relabel,
                          "give a question another intent's reply, or none (see `groupbot list questions`)")
    relabel.add_argument("question_id", type=int, metavar="QUESTION_ID")
    relabel.add_argument("intent", metavar="INTENT|none", help="the intent whose reply it gets, or none for no reply")
    hide = add_command(commands, "hide-comment", cmd_hide, "hide a member's comment on the Page (e.g. personal data)")
    hide.add_argument("question_id", type=int, metavar="QUESTION_ID")


def cmd_answer(settings: Settings, args: argparse.Namespace) -> int:
    """Print the verdict and reply for each message."""
    store = open_store(settings)  # the admins' corrections count here as in the worker
    try:
        responder = _responder(settings, store)
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
    """Approve a question's suggested reply (optionally with new text)."""
    disclaimers = _disclaimers(settings) if args.text is not None else None
    job_id = _run(settings, lambda store: approve_question(store, args.question_id, ACTOR, args.text,
                                                           disclaimers=disclaimers))
    print(f"question {args.question_id}: reply approved; the worker sends it (job {job_id})")
    return 0


def cmd_reject(settings: Settings, args: argparse.Namespace) -> int:
    """Reject a question's suggested reply."""
    _run(settings, lambda store: reject_question(store, args.question_id, ACTOR))
    print(f"question {args.question_id}: reply rejected; nothing is sent")
    return 0


def cmd_reply(settings: Settings, args: argparse.Namespace) -> int:
    """Answer a question by hand, through the outbox."""
    disclaimers = _disclaimers(settings)
    job_id = _run(settings, lambda store: answer_by_hand(store, args.question_id, ACTOR, args.text,
                                                         disclaimers=disclaimers,
                                                         add_disclaimer=not args.no_disclaimer))
    without = " without the disclaimer" if args.no_disclaimer else ""
    print(f"question {args.question_id}: your answer is on its way{without} (job {job_id})")
    return 0


def cmd_retry(settings: Settings, args: argparse.Namespace) -> int:
    """Requeue a question's failed or unconfirmed reply."""
    _run(settings, lambda store: retry_question(store, args.question_id, ACTOR))
    print(f"question {args.question_id}: the worker sends its reply again")
    return 0


def cmd_relabel(settings: Settings, args: argparse.Namespace) -> int:
    """Replace a question's suggestion with another intent's reply, or withdraw it."""
    responder = _responder(settings)
    reply_id = _run(settings, lambda store: relabel_question(store, responder, args.question_id, args.intent, ACTOR))
    if reply_id is None:
        print(f"question {args.question_id}: suggestion withdrawn; nothing will be sent")
    else:
        print(f"question {args.question_id}: it now gets the {args.intent.strip().lower()} answer; "
              f"approve it with `groupbot approve {args.question_id}`")
    return 0


def cmd_hide(settings: Settings, args: argparse.Namespace) -> int:
    """Queue hiding a Page comment."""
    job_id = _run(settings, lambda store: hide_comment(store, args.question_id, ACTOR))
    print(f"question {args.question_id}: the worker hides its comment on the Page (job {job_id})")
    return 0


def fetch_replies(store, limit: int) -> list[dict]:
    """Rows for `groupbot list replies`."""
    return list_replies(store, limit)


def reply_line(row: dict) -> str:
    """One reply as a line of `groupbot list replies`: its question's id (what `approve` and `reject` take), status,
    channel, intent, deadline, start of the text."""
    urgent = "URGENT " if row["urgent"] else ""
    when = f" sent {row['sent_at']}" if row["sent_at"] else f" until {row['deadline']}" if row["deadline"] else ""
    error = f"  ({row['error'][:100]})" if row["error"] else ""
    if row.get("review_reason") and row["status"] == "pending":
        error += f"  ({row['review_reason'][:120]})"
    text = " ".join(row["text"].split())
    intent = "by hand" if row["origin"] == "hand" else row["intent"]
    return (f"#{row['question_id']:<5} {urgent}{row['status']:<11} {row['channel']:<13} "
            f"{intent:<16}{when}: {text[:60]}{error}")


def fetch_questions(store, limit: int) -> list[dict]:
    """Rows for `groupbot list questions`: urgent first, then newest first."""
    now = time.time()
    rows = []
    for row in store.questions.triaged(limit):
        item = {**asdict(row), "created_at": iso(row.created_at), "event_time": iso(row.event_time),
                "staff_reply_at": iso(row.staff_reply_at)}
        for key in ("takeover_by", "takeover_since", "takeover_until"):
            del item[key]
        item["human_takeover"] = takeover_dict(row.takeover_by, row.takeover_since, row.takeover_until, now)
        rows.append(item)
    return rows


def question_line(row: dict) -> str:
    """One question as a line: id, time, source, status, verdict and the start of the text."""
    text = " ".join(row["text"].split())
    urgent = "URGENT " if row["urgent"] else ""
    verdict = row["intent"] or "-"
    pii = f" pii:{','.join(row['pii'])}" if row["pii"] else ""
    who = row["author_name"] or row["author_id"]
    waiting = "WAITING " if row["waiting"] else ""
    media = f" [{', '.join(row['attachments'])}]" if row["attachments"] else ""
    staff = "  (answered by staff)" if row["staff_reply"] is not None else ""
    person = "  (a person is talking to this member)" if row["human_takeover"] else ""
    return (f"#{row['id']:<5} {row['created_at']}  {row['source']:<13} {urgent}{waiting}{row['status']:<9} "
            f"{verdict:<16}{pii} {who}:{media} {text[:60]}{staff}{person}")


def _answer_text(answer: Answer, given: str | None) -> str:
    facts = (f"intent: {answer.intent or 'none'} ({answer.confidence:.2f}), language: {answer.language}"
             + (", URGENT" if answer.urgent else "")
             + (f", personal data: {', '.join(answer.pii)}" if answer.pii else ""))
    reply = answer.reply if answer.reply is not None else "(no reply)"
    lines = [facts, reply] if given is not None else [f"> {answer.text}", facts, reply]
    return "\n".join(lines) + ("\n" if given is None else "")


def _disclaimers(settings: Settings) -> dict[str, str]:
    return _responder(settings).disclaimers()


def _responder(settings: Settings, store=None) -> Responder:
    try:
        return Responder.from_settings(settings, store)
    except FaqFileError as exc:
        raise CommandFailed(str(exc)) from None


def _run(settings: Settings, action):
    store = open_store(settings)
    try:
        return action(store)
    finally:
        store.close()
