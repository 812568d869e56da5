"""What an admin does with a member's question: approve its suggested reply (as is or edited), edit, reject, retry,
answer it by hand, or decide that it needs no reply.

The dashboard and the command line both call these, naming the question by its id (the number every list shows);
the `*_reply` functions beneath them take the reply's id. Each checks the reply's state inside one
write transaction and writes an audit entry; none ever quotes member text.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Mapping, TypeVar

from bot.accounts.admins import audit
from bot.errors import Refused
from bot.outbox.jobs import enqueue
from bot.replies.send import JOB_KINDS
from bot.replies.takeover import active_takeover, who
from bot.replies.windows import hand_reply_closed, reply_deadline, window_closed
from bot.store import Store
from bot.store.base import iso
from bot.store.questions import Question
from bot.store.replies import NewReply, Reply

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_REPLY_CHARS = 2000


class ReplyError(Refused):
    """A reply action cannot be done; the message says why in one line."""


def clean_reply_text(text: str) -> str:
    """An admin's reply text, stripped; ReplyError when empty or over 2,000 characters."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ReplyError("the reply text is empty")
    if len(cleaned) > MAX_REPLY_CHARS:
        raise ReplyError(f"the reply text is {len(cleaned)} characters; the most Messenger allows is "
                         f"{MAX_REPLY_CHARS}")
    return cleaned


def with_disclaimer(text: str, disclaimer: str | None) -> str:
    """The text followed by the firm's disclaimer, unless it already holds it; ReplyError when it grows too long."""
    if not disclaimer or disclaimer in text:
        return text
    return clean_reply_text(f"{text}\n\n{disclaimer}")


def approve_reply(store: Store, reply_id: int, actor: str, text: str | None = None, *,
                  disclaimers: Mapping[str, str] | None = None, now: float | None = None) -> int:
    """Send a pending reply (with `text` instead, if given); returns the outbox job id.

    An edited text keeps the firm's disclaimer in the reply's language (from `disclaimers`): it is added when the
    edit dropped it. Raises ReplyError for an unknown reply, one that is not pending, bad text, or a reply whose
    Meta window has closed (that reply is then marked expired).
    """
    now = time.time() if now is None else now
    cleaned = None if text is None else clean_reply_text(text)
    with store.transaction():
        reply = _pending(store, reply_id)
        if cleaned is not None and cleaned != reply.text and disclaimers:
            cleaned = with_disclaimer(cleaned, disclaimers.get(reply.language))
        closed = window_closed(store, reply, now)
        if closed:
            store.replies.close(reply_id, "expired", now, error=closed)
        else:
            job_id = approve_in_transaction(store, reply, actor, cleaned, now)
            edited = cleaned is not None and cleaned != reply.text
            learn_from_approval(store, reply, actor, edited or reply.edited, now)
            audit(store, actor, "approve_reply", f"reply {reply_id}", "with edited text" if edited else "",
                  now=now)
    if closed:
        raise ReplyError(f"reply {reply_id} can no longer be sent: {closed}")
    log.info("reply %d approved by %s (job %d)", reply_id, actor, job_id)
    return job_id


def learn_from_approval(store: Store, reply: Reply, actor: str, edited: bool, now: float) -> None:
    """Keep an admin's approval as a labelled example: 'approved' as suggested, or 'edited' (the label is still the
    suggested intent). A relabelled reply already gave its label, and an emptied (purged) message teaches nothing."""
    question = store.questions.get(reply.question_id)
    if question is None or not question.text or store.examples.of_question(reply.question_id):
        return
    store.examples.add(question_id=reply.question_id, text=question.text, language=question.language or reply.language,
                       suggested=reply.intent, intent=reply.intent, decision="edited" if edited else "approved",
                       decided_by=actor, now=now)


def edit_reply(store: Store, reply_id: int, actor: str, text: str, *, now: float | None = None) -> None:
    """Change a pending reply's text without sending it. Raises ReplyError."""
    now = time.time() if now is None else now
    cleaned = clean_reply_text(text)
    with store.transaction():
        _pending(store, reply_id)
        store.replies.edit_text(reply_id, cleaned, now)
        audit(store, actor, "edit_reply", f"reply {reply_id}", f"{len(cleaned)} characters", now=now)


def reject_reply(store: Store, reply_id: int, actor: str, *, now: float | None = None) -> None:
    """Decide that a pending reply is not sent. Raises ReplyError."""
    now = time.time() if now is None else now
    with store.transaction():
        _pending(store, reply_id)
        store.replies.close(reply_id, "rejected", now)
        audit(store, actor, "reject_reply", f"reply {reply_id}", now=now)
    log.info("reply %d rejected by %s", reply_id, actor)


def retry_reply(store: Store, reply_id: int, actor: str, *, now: float | None = None) -> None:
    """Try a failed reply again, or send an unconfirmed one again. Raises ReplyError.

    After a definite refusal the reply is sent at once; after a failure that may have reached Meta, Meta
    is checked first; an unconfirmed reply is sent again because an admin decided so.
    """
    now = time.time() if now is None else now
    with store.transaction():
        reply = store.replies.get(reply_id)
        if reply is None:
            raise ReplyError(f"there is no reply {reply_id}")
        if reply.status not in ("failed", "unconfirmed") or reply.job_id is None:
            raise ReplyError(f"reply {reply_id} is {reply.status}; only a failed reply can be tried again, "
                             "or an unconfirmed one sent again")
        closed = window_closed(store, reply, now)
        if closed:
            raise ReplyError(f"reply {reply_id} can no longer be sent: {closed}")
        job = store.jobs.get(reply.job_id)
        # A job given up as 'dead' was refused outright (or left unconfirmed for an admin): nothing to check.
        uncertain = reply.status == "failed" and job is not None and job.status == "failed"
        store.jobs.requeue(reply.job_id, now, uncertain=uncertain)
        store.replies.reopen(reply_id, now)
        action = "send_again_reply" if reply.status == "unconfirmed" else "retry_reply"
        audit(store, actor, action, f"reply {reply_id}", now=now)


def question_of(store: Store, question_id: int) -> Question:
    """The question an admin named by its id; ReplyError when there is none."""
    question = store.questions.get(question_id)
    if question is None:
        raise ReplyError(f"there is no question {question_id}")
    return question


def reply_of(store: Store, question_id: int) -> Reply:
    """The reply of a question (by the question's id); ReplyError when there is no such question or no reply."""
    reply = store.replies.of_question(question_id)
    if reply is not None:
        return reply
    question_of(store, question_id)
    raise ReplyError(f"question {question_id} has no suggested reply; answer it by hand "
                     f"(`groupbot reply {question_id} --text ...`)")


def approve_question(store: Store, question_id: int, actor: str, text: str | None = None, *,
                     disclaimers: Mapping[str, str] | None = None, now: float | None = None) -> int:
    """Approve the suggested reply of a question (see `approve_reply`); returns the outbox job id."""
    reply_id = reply_of(store, question_id).id
    return _as_question(question_id, reply_id,
                        lambda: approve_reply(store, reply_id, actor, text, disclaimers=disclaimers, now=now))


def reject_question(store: Store, question_id: int, actor: str, *, now: float | None = None) -> None:
    """Reject the suggested reply of a question (see `reject_reply`)."""
    reply_id = reply_of(store, question_id).id
    _as_question(question_id, reply_id, lambda: reject_reply(store, reply_id, actor, now=now))


def retry_question(store: Store, question_id: int, actor: str, *, now: float | None = None) -> None:
    """Try a question's failed reply again, or send its unconfirmed reply again (see `retry_reply`)."""
    reply_id = reply_of(store, question_id).id
    _as_question(question_id, reply_id, lambda: retry_reply(store, reply_id, actor, now=now))


def _as_question(question_id: int, reply_id: int, action: Callable[[], T]) -> T:
    """Run a reply action; its refusal names the question, the number the admin typed."""
    try:
        return action()
    except ReplyError as error:
        raise ReplyError(str(error).replace(f"reply {reply_id}", f"question {question_id}'s reply")) from None


# A hand reply replaces a suggestion not yet on its way, or one an admin or Meta's clock set aside.
REPLACEABLE = ("pending", "rejected", "cancelled", "expired")


def answer_by_hand(store: Store, question_id: int, actor: str, text: str, *, disclaimers: Mapping[str, str],
                   add_disclaimer: bool = True, now: float | None = None) -> int:
    """Send an admin's own answer to a question, through the outbox like a suggestion; returns the job id.

    A comment gets a private reply, a Messenger message a Send API answer inside Meta's 24 hours. The text is
    followed by the firm's disclaimer in the member's language unless `add_disclaimer` is False. A pending
    suggestion is replaced (a question has one reply). Raises ReplyError with the reason in one line.
    """
    now = time.time() if now is None else now
    cleaned = clean_reply_text(text)
    with store.transaction():
        question = question_of(store, question_id)
        if question.status == "removed":
            raise ReplyError(f"question {question_id} was removed by the member or by Meta; it cannot be answered")
        existing = store.replies.of_question(question_id)
        if existing is not None and existing.status not in REPLACEABLE:
            raise ReplyError(f"question {question_id} already has a reply ({existing.status}); it is answered once")
        channel = "messenger" if question.source == "messenger" else "private_reply"
        closed = hand_reply_closed(store, question, channel, now)
        if closed:
            raise ReplyError(f"question {question_id} can no longer be answered: {closed}")
        language = existing.language if existing else reply_language_of(question.language)
        final = with_disclaimer(cleaned, disclaimers.get(language)) if add_disclaimer else cleaned
        recipient = question.author_id if channel == "messenger" else question.external_id
        deadline = reply_deadline(store, channel, question)
        own = NewReply(question_id=question_id, intent=existing.intent if existing else (question.intent or ""),
                       language=language, channel=channel, recipient=recipient, text=final, automated=False,
                       deadline=deadline, origin="hand")
        if existing is None:
            reply_id = store.replies.insert(own, "pending", now)
        elif store.replies.replace_by_hand(existing.id, own, REPLACEABLE, now):
            reply_id = existing.id
        else:
            reply_id = None
        if reply_id is None:
            raise ReplyError(f"question {question_id} already has a reply on its way")
        job_id = approve_in_transaction(store, store.replies.get(reply_id), actor, None, now)
        detail = f"{len(final)} characters" + ("" if add_disclaimer else ", without the disclaimer")
        audit(store, actor, "hand_reply", f"question {question_id}", detail, now=now)
    log.info("question %d answered by hand by %s (job %d)", question_id, actor, job_id)
    return job_id


def dismiss_question(store: Store, question_id: int, actor: str, *, now: float | None = None) -> None:
    """An admin decides that a waiting question needs no reply: it leaves the Pending list. Raises ReplyError."""
    now = time.time() if now is None else now
    with store.transaction():
        question_of(store, question_id)
        if not store.questions.dismiss(question_id, actor, now):
            raise ReplyError(f"question {question_id} is not waiting for anyone")
        reply = store.replies.of_question(question_id)
        if reply is not None and reply.status == "pending":
            store.replies.close(reply.id, "rejected", now, error="an admin decided that no reply is needed")
        audit(store, actor, "dismiss_question", f"question {question_id}", "no reply needed", now=now)
    log.info("question %d: no reply needed, said %s", question_id, actor)


def reply_language_of(language: str | None) -> str:
    """The language to answer a member in: theirs, Spanish for a mix, English when not known."""
    return "es" if language in ("es", "mixed") else "en"


def list_replies(store: Store, limit: int = 50, *, status: str | None = None) -> list[dict]:
    """Replies as plain dicts ready for JSON: urgent questions first, then newest first."""
    now = time.time()
    return [_reply_dict(store, row, now) for row in store.replies.triaged(limit, status=status)]


def takeover_dict(by: str | None, since: float | None, until: float | None, now: float) -> dict | None:
    """A person talking to the member, as the JSON listings show it (None once the window has passed)."""
    if until is None or until <= now:
        return None
    return {"message": "a person is talking to this member", "by": who(by), "since": iso(since), "until": iso(until)}


def _reply_dict(store: Store, row: Reply, now: float) -> dict:
    taken = active_takeover(store, row.recipient, now) if row.channel == "messenger" else None
    return {
        "human_takeover": taken and takeover_dict(taken.by, taken.started_at, taken.until, now),
        "id": row.id, "question_id": row.question_id, "intent": row.intent, "channel": row.channel,
        "text": row.text, "status": row.status, "deadline": iso(row.deadline),
        "sent_at": iso(row.sent_at), "error": row.error, "language": row.language,
        "urgent": bool(row.urgent), "automated": bool(row.automated), "edited": bool(row.edited),
        "approved_by": row.approved_by, "source": row.source, "created_at": iso(row.created_at),
        "origin": row.origin, "review_reason": row.review_reason,
    }


def _pending(store: Store, reply_id: int) -> Reply:
    reply = store.replies.get(reply_id)
    if reply is None:
        raise ReplyError(f"there is no reply {reply_id}")
    if reply.status != "pending":
        why = f": {reply.error}" if reply.error and reply.status in ("cancelled", "expired") else ""
        raise ReplyError(f"reply {reply_id} is {reply.status}, not pending{why}")
    return reply


def approve_in_transaction(store: Store, reply: Reply, actor: str, text: str | None, now: float) -> int:
    """Queue a pending reply for sending (inside the caller's transaction); returns the job id."""
    final = reply.text if text is None else text
    payload = {"reply_id": reply.id, "recipient": reply.recipient, "text": final}
    job_id = enqueue(store, JOB_KINDS[reply.channel], payload, f"reply:{reply.external_id}", now)
    if job_id is None:
        raise ReplyError(f"question {reply.question_id} already has a reply on its way")
    store.replies.approve(reply.id, actor, final, final != reply.text, job_id, now)
    return job_id
