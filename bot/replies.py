"""A question's way to a reply: judge it, suggest a reply on the right channel, keep Meta's deadlines.

Channels follow Meta's rules: a Group comment gets a private reply; a Page comment gets a
private reply, or a public one where the FAQ entry allows it and the comment holds no
personal data; a Messenger message gets a Send API answer. A private reply is possible once
per comment, within 7 days of the comment; a Messenger answer within 24 hours of the
member's last message. Deadlines are stored with the suggestion and checked again on
approval and at send time.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from bot.answering import Answer, Responder
from bot.outbox import enqueue
from bot.store import Store
from bot.store.replies import Classification, NewReply

log = logging.getLogger(__name__)

DAY = 86400.0
PRIVATE_REPLY_WINDOW = 7 * DAY
MESSENGER_WINDOW = DAY
JOB_KINDS = {"private_reply": "private_reply", "comment_reply": "comment_reply", "messenger": "messenger_reply"}
ECHO_PREFIX = "groupbot:job:"  # Messenger metadata of our sends; Meta sends it back in the echo
REMOVED_REASON = "the member removed the comment before the reply was sent"
NO_LONGER_REASON = "the member edited the message; it no longer asks something the FAQ answers"


class ReplyError(ValueError):
    """A reply action cannot be done; the message says why in one line."""


def choose_channel(source: str, public_allowed: bool, pii: list[str]) -> str:
    """How a question is answered: 'private_reply', 'comment_reply' (public) or 'messenger'."""
    if source == "messenger":
        return "messenger"
    if source == "page_comment" and public_allowed and not pii:
        return "comment_reply"
    return "private_reply"


def window_closed(store: Store, reply: dict, now: float) -> str | None:
    """Why Meta no longer accepts this reply (the reason, one line), or None while it does."""
    if reply["channel"] == "private_reply":
        deadline = reply["deadline"]
        if deadline is not None and now >= deadline:
            return f"the 7-day window for a private reply closed at {_when(deadline)}"
    elif reply["channel"] == "messenger":
        last = store.last_message_time(reply["author_id"]) or reply["event_time"]
        if now >= last + MESSENGER_WINDOW:
            return (f"the 24-hour Messenger window closed at {_when(last + MESSENGER_WINDOW)} "
                    "(24 hours after the member's last message)")
    return None


# -- judging questions ------------------------------------------------------------------------------

def classify_questions(store: Store, responder: Responder, *, page_id: str, now: float,
                       on_urgent: Callable[[dict], None] | None = None, limit: int = 100) -> int:
    """Judge the questions waiting for it and suggest their replies; returns how many were judged.

    Matching runs before the write transaction; an urgent question calls `on_urgent(question)`
    inside it, once per question, so an alert is queued exactly when the verdict is stored.
    """
    waiting = store.questions_to_classify(limit)
    if not waiting:
        return 0
    verdicts = [(question, responder.answer(question["text"])) for question in waiting]
    with store.transaction():
        for question, answer in verdicts:
            _store_verdict(store, responder, question, answer, page_id, now, on_urgent)
    return len(verdicts)


def _store_verdict(store: Store, responder: Responder, question: dict, answer: Answer, page_id: str,
                   now: float, on_urgent: Callable[[dict], None] | None) -> None:
    own = question["author_id"] == page_id  # never answer the Page itself
    intent = None if own else answer.intent
    found = Classification(intent=intent, language=answer.language, confidence=answer.confidence,
                           pii=answer.pii, urgent=answer.urgent and not own,
                           flagged=bool(answer.pii) and question["source"] != "messenger",
                           status="suggested" if intent else "no_reply")
    if not store.save_classification(question["id"], question["edited"], found, now):
        return  # edited meanwhile: judged again on the next pass
    if question["source"] == "messenger":
        store.extend_messenger_deadlines(question["author_id"], _event_time(question) + MESSENGER_WINDOW, now)
    if found.urgent and question["alerted_at"] is None:
        if on_urgent is not None:
            on_urgent(question)
        else:
            log.warning("question %d looks urgent (%s)", question["id"], question["source"])
        store.mark_alerted(question["id"], now)
    _suggest(store, responder, question, answer, intent, now)


def _suggest(store: Store, responder: Responder, question: dict, answer: Answer, intent: str | None,
             now: float) -> None:
    existing = store.reply_of_question(question["id"])
    if intent is None:
        if existing and existing["status"] == "pending":
            store.close_reply(existing["id"], "cancelled", now, error=NO_LONGER_REASON)
        return
    channel = choose_channel(question["source"], responder.allows_public_reply(intent), answer.pii)
    recipient = question["author_id"] if channel == "messenger" else question["external_id"]
    reply = NewReply(question_id=question["id"], intent=intent, language=answer.reply_language, channel=channel,
                     recipient=recipient, text=answer.reply or "", automated=answer.automated,
                     deadline=_deadline(store, channel, question))
    if existing is None:
        reply_id = store.insert_reply(reply, "pending", now)
    elif existing["status"] == "pending" and store.rewrite_pending_reply(existing["id"], reply, now):
        reply_id = existing["id"]
    else:
        log.info("question %d changed after its reply was %s; that reply stands", question["id"],
                 existing["status"])
        return
    if reply_id is not None and answer.automated:
        _auto_approve(store, reply_id, now)


def _auto_approve(store: Store, reply_id: int, now: float) -> None:
    reply = store.get_reply(reply_id)
    closed = window_closed(store, reply, now)
    if closed:
        store.close_reply(reply_id, "expired", now, error=closed)
        return
    job_id = approve_in_transaction(store, reply, "auto-approve", None, now)
    log.info("reply %d (%s) approved automatically (job %d)", reply_id, reply["intent"], job_id)


def _deadline(store: Store, channel: str, question: dict) -> float | None:
    if channel == "private_reply":
        return _event_time(question) + PRIVATE_REPLY_WINDOW
    if channel == "messenger":
        last = store.last_message_time(question["author_id"]) or _event_time(question)
        return max(last, _event_time(question)) + MESSENGER_WINDOW
    return None


def _event_time(question: dict) -> float:
    # Meta's created_time is missing on some deliveries; the time we stored the question is close.
    return question["event_time"] or question["created_at"]


# -- approval (the dashboard and the CLI call these) ------------------------------------------------

def approve_in_transaction(store: Store, reply: dict, actor: str, text: str | None, now: float) -> int:
    """Queue a pending reply for sending (inside the caller's transaction); returns the job id."""
    final = reply["text"] if text is None else text
    payload = {"reply_id": reply["id"], "recipient": reply["recipient"], "text": final}
    job_id = enqueue(store, JOB_KINDS[reply["channel"]], payload, f"reply:{reply['external_id']}", now)
    if job_id is None:
        raise ReplyError(f"question {reply['question_id']} already has a reply on its way")
    store.approve_reply_row(reply["id"], actor, final, final != reply["text"], job_id, now)
    return job_id


# -- what the pipeline tells us ---------------------------------------------------------------------

def comment_edited(store: Store, external_id: str, now: float) -> None:
    """The member edited a comment: judge it again (its pending suggestion follows)."""
    store.request_reclassification(external_id, now)


def comment_removed(store: Store, external_id: str, now: float) -> None:
    """The member removed a comment: a reply not yet sent is cancelled."""
    question_id = store.question_id_for(external_id)
    if question_id is not None and store.cancel_open_replies(question_id, REMOVED_REASON, now):
        log.info("question %d: comment removed; its reply is cancelled", question_id)


def page_echo(store: Store, *, key: str, external_id: str, now: float) -> None:
    """The Page was seen saying something (a Messenger echo with our metadata, a comment under a member's)."""
    store.record_echo(key, external_id, now)


def echo_key_for_metadata(metadata: str | None) -> str | None:
    """The echo key of a Messenger send's metadata, or None when the message was not ours."""
    if metadata and metadata.startswith(ECHO_PREFIX) and metadata[len(ECHO_PREFIX):].isdigit():
        return "job:" + metadata[len(ECHO_PREFIX):]
    return None


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
