"""What an admin does with a suggested reply: approve (as is or edited), edit, reject, retry.

The dashboard and the command line both call these. Each checks the reply's state inside one
write transaction and writes an audit entry; none ever quotes member text.
"""

from __future__ import annotations

import logging
import time

from bot.accounts.admins import audit
from bot.errors import Refused
from bot.outbox.jobs import enqueue
from bot.replies.send import JOB_KINDS
from bot.replies.takeover import active_takeover, who
from bot.replies.windows import window_closed
from bot.store import Store
from bot.store.base import iso
from bot.store.replies import Reply

log = logging.getLogger(__name__)

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


def approve_reply(store: Store, reply_id: int, actor: str, text: str | None = None, *,
                  now: float | None = None) -> int:
    """Send a pending reply (with `text` instead, if given); returns the outbox job id.

    Raises ReplyError for an unknown reply, one that is not pending, bad text, or a reply
    whose Meta window has closed (that reply is then marked expired).
    """
    now = time.time() if now is None else now
    cleaned = None if text is None else clean_reply_text(text)
    with store.transaction():
        reply = _pending(store, reply_id)
        closed = window_closed(store, reply, now)
        if closed:
            store.replies.close(reply_id, "expired", now, error=closed)
        else:
            job_id = approve_in_transaction(store, reply, actor, cleaned, now)
            edited = cleaned is not None and cleaned != reply.text
            audit(store, actor, "approve_reply", f"reply {reply_id}", "with edited text" if edited else "",
                  now=now)
    if closed:
        raise ReplyError(f"reply {reply_id} can no longer be sent: {closed}")
    log.info("reply %d approved by %s (job %d)", reply_id, actor, job_id)
    return job_id


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
