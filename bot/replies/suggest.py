"""A question's way to a suggested reply: store the answer engine's verdict, suggest a reply on the right channel.

Channels follow Meta's rules: a Group comment gets a private reply; a Page comment gets a
private reply, or a public one where the FAQ entry allows it and the comment holds no
personal data; a Messenger message gets a Send API answer (deadlines: `windows`).
"""

from __future__ import annotations

import logging
from typing import Callable

from bot.answers.knowledge import FaqFileError
from bot.answers.responder import Answer, Responder
from bot.config import Settings
from bot.notify.admin_email import queue_urgent_alert
from bot.notify.alerts import notify_admins
from bot.replies.quality import review_reason
from bot.replies.review import approve_in_transaction
from bot.replies.takeover import active_takeover
from bot.replies.windows import MESSENGER_WINDOW, answer_deadline, question_time, reply_deadline, window_closed
from bot.store import Store
from bot.store.questions import Classification, Question, WaitingQuestion
from bot.store.replies import NewReply

log = logging.getLogger(__name__)

FAQ_RETRY_SECONDS = 300.0
REMOVED_REASON = "the member removed the comment before the reply was sent"
# Migration 0010 compares with this text: a question whose suggestion was withdrawn for it may still wait.
NO_LONGER_REASON = "the member edited the message, and it no longer asks something the FAQ answers"


def choose_channel(source: str, public_allowed: bool, pii: list[str]) -> str:
    """How a question is answered: 'private_reply', 'comment_reply' (public) or 'messenger'."""
    if source == "messenger":
        return "messenger"
    if source == "page_comment" and public_allowed and not pii:
        return "comment_reply"
    return "private_reply"


# -- judging questions ------------------------------------------------------------------------------

def suggest_replies(store: Store, responder: Responder, *, page_id: str, now: float,
                    on_urgent: Callable[[WaitingQuestion], None] | None = None, limit: int = 100,
                    min_confidence: float = 0.9) -> int:
    """Judge the questions waiting for it and suggest their replies; returns how many were judged.

    Matching runs before the write transaction; an urgent question calls `on_urgent(question)`
    inside it, once per question, so an alert is queued exactly when the verdict is stored. An
    auto-approved intent's reply goes out by itself only past the gate of `bot.replies.quality`
    (`min_confidence`: AUTO_APPROVE_MIN_CONFIDENCE).
    """
    waiting = store.questions.waiting(limit)
    if not waiting:
        return 0
    verdicts = [(question, responder.answer(question.judged_text())) for question in waiting]
    with store.transaction():
        for question, answer in verdicts:
            _store_verdict(store, responder, question, answer, page_id, now, on_urgent, min_confidence)
    return len(verdicts)


def _store_verdict(store: Store, responder: Responder, question: WaitingQuestion, answer: Answer, page_id: str,
                   now: float, on_urgent: Callable[[WaitingQuestion], None] | None, min_confidence: float) -> None:
    # Never answer the Page itself, nor what must get no reply whatever it says (another Page's comment).
    own = question.author_id == page_id or question.no_reply_reason is not None
    intent = None if own else answer.intent
    found = Classification(intent=intent, language=answer.language, confidence=answer.confidence,
                           pii=answer.pii, urgent=answer.urgent and not own,
                           flagged=bool(answer.pii) and question.source != "messenger",
                           status="suggested" if intent else "no_reply", asks=answer.asks and not own,
                           due=answer_deadline(store, question))
    if not store.questions.save_classification(question.id, question.edited, found, now):
        return  # edited meanwhile: judged again on the next pass
    if question.source == "messenger":
        store.replies.extend_messenger_deadlines(question.author_id, question_time(question) + MESSENGER_WINDOW, now)
    if found.urgent and question.alerted_at is None:
        if on_urgent is not None:
            on_urgent(question)
        else:
            log.warning("question %d looks urgent (%s)", question.id, question.source)
        store.questions.mark_alerted(question.id, now)
    _suggest(store, responder, question, answer, intent, now, min_confidence)


def _suggest(store: Store, responder: Responder, question: WaitingQuestion, answer: Answer, intent: str | None,
             now: float, min_confidence: float) -> None:
    existing = store.replies.of_question(question.id)
    if intent is None:
        if existing and existing.status == "pending":
            store.replies.close(existing.id, "cancelled", now, error=NO_LONGER_REASON)
        return
    automated, text, reason = answer.automated, answer.reply or "", None
    if automated and question.source == "messenger" and active_takeover(store, question.author_id, now):
        # A person is talking to this member: the suggestion waits for an admin, worded as one they send.
        automated, text = False, responder.render(intent, answer.language)
    if automated:
        reason = review_reason(store, intent, answer.confidence, min_confidence, now)
        if reason:  # an admin approves it, so it must not say it is automated
            automated, text = False, responder.render(intent, answer.language)
    reply = suggestion(store, responder, question, intent, answer.reply_language, answer.pii, text,
                       automated=automated, review_reason=reason)
    if existing is None:
        reply_id = store.replies.insert(reply, "pending", now)
    elif existing.status == "pending" and store.replies.rewrite_pending(existing.id, reply, now):
        reply_id = existing.id
    else:
        log.info("question %d changed after its reply was %s; that reply stands", question.id,
                 existing.status)
        return
    if reply_id is not None and automated:
        _auto_approve(store, reply_id, now)


def suggestion(store: Store, responder: Responder, question: WaitingQuestion | Question, intent: str,
               language: str, pii: list[str], text: str, *, automated: bool = False,
               review_reason: str | None = None) -> NewReply:
    """A question's reply of `intent`, on the channel and with the deadline Meta's rules give it."""
    channel = choose_channel(question.source, responder.allows_public_reply(intent), pii)
    recipient = question.author_id if channel == "messenger" else question.external_id
    return NewReply(question_id=question.id, intent=intent, language=language, channel=channel,
                    recipient=recipient, text=text, automated=automated,
                    deadline=reply_deadline(store, channel, question), review_reason=review_reason)


def _auto_approve(store: Store, reply_id: int, now: float) -> None:
    reply = store.replies.get(reply_id)
    closed = window_closed(store, reply, now)
    if closed:
        store.replies.close(reply_id, "expired", now, error=closed)
        return
    job_id = approve_in_transaction(store, reply, "auto-approve", None, now)
    log.info("reply %d (%s) approved automatically (job %d)", reply_id, reply.intent, job_id)


# -- approval (the dashboard and the CLI call these) ------------------------------------------------


# -- what the pipeline tells us ---------------------------------------------------------------------

def comment_edited(store: Store, external_id: str, now: float) -> None:
    """The member edited a comment: judge it again (its pending suggestion follows)."""
    store.questions.request_reclassification(external_id, now)


def comment_removed(store: Store, external_id: str, now: float) -> None:
    """The member removed a comment: a reply not yet sent is cancelled."""
    question_id = store.questions.id_for(external_id)
    if question_id is not None and store.replies.cancel_open(question_id, REMOVED_REASON, now):
        log.info("question %d: comment removed; its reply is cancelled", question_id)


class Suggester:
    """The worker job that suggests replies to new and edited questions; while FAQ_FILE is unusable they wait
    (and the admins are told once)."""

    def __init__(self, settings: Settings, store: Store,
                 load: Callable[[Settings], Responder] | None = None) -> None:
        self.settings = settings
        self.store = store
        self._load = load or (lambda settings: Responder.from_settings(settings, store))
        self._responder: Responder | None = None
        self._retry_at = 0.0
        self._told = False

    def run(self, now: float) -> bool:
        """Suggest replies to what waits; True when any question was judged."""
        responder = self._responder or self._try_load(now)
        if responder is None:
            return False
        return suggest_replies(
            self.store, responder, page_id=self.settings.page_id, now=now,
            min_confidence=self.settings.auto_approve_min_confidence,
            on_urgent=lambda question: queue_urgent_alert(self.store, self.settings, question, now)) > 0

    def _try_load(self, now: float) -> Responder | None:
        if now < self._retry_at:
            return None
        try:
            self._responder = self._load(self.settings)
        except FaqFileError as exc:
            self._retry_at = now + FAQ_RETRY_SECONDS
            log.error("FAQ_FILE is unusable, so questions wait unanswered until it is fixed: %s", exc)
            if not self._told:
                self._told = True
                notify_admins("FAQ file unusable", f"groupbot cannot answer members until the FAQ file is fixed: {exc}")
            return None
        unknown = sorted(self.settings.auto_approve_intents - set(self._responder.kb.intents))
        if unknown:
            log.warning("AUTO_APPROVE_INTENTS names intents the FAQ does not have: %s", ", ".join(unknown))
        return self._responder
