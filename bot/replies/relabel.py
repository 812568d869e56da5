"""An admin's "Change answer": the right intent for a member's question, or no reply at all.

The pending suggestion is replaced by that intent's reply in the member's language (or withdrawn), and the
decision is kept as a labelled example in the same transaction. The dashboard and the command line call this.
"""

from __future__ import annotations

import logging
import time

from bot.accounts.admins import audit
from bot.answers.knowledge import reply_language
from bot.answers.responder import Responder
from bot.replies.review import ReplyError, question_of
from bot.replies.suggest import suggestion
from bot.store import Store

log = logging.getLogger(__name__)

NO_REPLY = "none"
WITHDRAWN_REASON = "relabelled: no reply needed"


def relabel_question(store: Store, responder: Responder, question_id: int, intent: str, actor: str, *,
                     now: float | None = None) -> int | None:
    """Give a question the reply of `intent` (or none, for 'none'); returns the reply's id, None when withdrawn.

    Raises ReplyError (one line) for an unknown question or intent, a question not judged yet, or one whose reply
    is already approved, sent or otherwise closed.
    """
    now = time.time() if now is None else now
    wanted = _intent(responder, intent)
    with store.transaction():
        question = question_of(store, question_id)
        if question.status == "removed":
            raise ReplyError(f"question {question_id} was removed by the member or by Meta; it gets no reply")
        if question.classified_at is None:
            raise ReplyError(f"question {question_id} is not judged yet; try again in a moment")
        if question.purged_at is not None or not question.text:
            raise ReplyError(f"question {question_id}'s message was purged (RETENTION_DAYS); it can no longer be "
                             "answered")
        reply = store.replies.of_question(question_id)
        reopenable = reply is not None and reply.status == "cancelled" and reply.error == WITHDRAWN_REASON
        if reply is not None and reply.status != "pending" and not reopenable:
            raise ReplyError(f"question {question_id}'s reply is {reply.status}; only a pending suggestion can "
                             "be changed")
        current = reply.intent if reply is not None and reply.status == "pending" else None
        if wanted == current:
            raise ReplyError(f"question {question_id} already has the reply of {wanted or NO_REPLY}")
        if wanted is None:
            store.replies.close(reply.id, "cancelled", now, error=WITHDRAWN_REASON)
            reply_id = None
        else:
            new = suggestion(store, responder, question, wanted, reply_language(question.language or "es"),
                             question.pii, responder.render(wanted, question.language or "es"))
            if reply is None:
                reply_id = store.replies.insert(new, "pending", now)
            else:
                store.replies.relabel(reply.id, new, WITHDRAWN_REASON, now)
                reply_id = reply.id
        store.questions.set_answered(question_id, wanted is not None, now)
        _learn(store, question, wanted, actor, now)
        audit(store, actor, "relabel_question", f"question {question_id}",
              f"{current or NO_REPLY} -> {wanted or NO_REPLY}", now=now)
    log.info("question %d relabelled by %s: %s -> %s", question_id, actor, current or NO_REPLY, wanted or NO_REPLY)
    return reply_id


def _intent(responder: Responder, intent: str) -> str | None:
    name = (intent or "").strip().lower()
    if name == NO_REPLY:
        return None
    if name not in responder.kb.intents:
        raise ReplyError(f"unknown intent {intent!r}; choose one of {', '.join(sorted(responder.kb.intents))}, "
                         f"or {NO_REPLY}")
    return name


def _learn(store: Store, question, intent: str | None, actor: str, now: float) -> None:
    """Keep the relabel as the question's one label: a second relabel replaces the first."""
    for earlier in store.examples.of_question(question.id):
        store.examples.remove(earlier.id)
    # The bot's own verdict stays on the question (the reply carries the admin's), so `suggested` is always it.
    store.examples.add(question_id=question.id, text=question.text, language=question.language or "es",
                       suggested=question.intent, intent=intent, decision="relabelled", decided_by=actor, now=now)
