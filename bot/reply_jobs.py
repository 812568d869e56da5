"""The worker jobs that answer members: judge new questions, expire overdue suggestions, e-mail alerts, purge."""

from __future__ import annotations

import logging
from typing import Callable

from bot.admin_mail import AdminMailer, install_email_alerts, queue_urgent_alert
from bot.alerts import notify_admins
from bot.answering import Responder
from bot.config import Settings
from bot.faq import FaqFileError
from bot.reply_actions import expire_overdue
from bot.replies import classify_questions
from bot.retention import purge_old_text
from bot.store import Store
from bot.worker import Job

log = logging.getLogger(__name__)

DEADLINE_CHECK_SECONDS = 60.0
RETENTION_CHECK_SECONDS = 86400.0
FAQ_RETRY_SECONDS = 300.0


class QuestionJudge:
    """Judges new and edited questions; while FAQ_FILE is unusable they wait (and the admins are told once)."""

    def __init__(self, settings: Settings, store: Store,
                 load: Callable[[Settings], Responder] = Responder.from_settings) -> None:
        self.settings = settings
        self.store = store
        self._load = load
        self._responder: Responder | None = None
        self._retry_at = 0.0
        self._told = False

    def run(self, now: float) -> bool:
        """Judge what waits; True when any question was judged."""
        responder = self._responder or self._try_load(now)
        if responder is None:
            return False
        return classify_questions(
            self.store, responder, page_id=self.settings.page_id, now=now,
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


def reply_jobs(settings: Settings, store: Store) -> list[Job]:
    """The worker jobs of the reply pipeline (sending itself is the outbox's, in the publisher's jobs)."""
    install_email_alerts(settings, store)
    mailer = AdminMailer(settings, store)

    def purge(now: float) -> bool:
        purge_old_text(store, settings.retention_days, now)
        return False  # once a day is enough: nothing to hurry

    return [
        Job("judge-questions", QuestionJudge(settings, store).run),
        Job("admin-email", mailer.run),
        Job("reply-deadlines", lambda now: expire_overdue(store, now) > 0, every=DEADLINE_CHECK_SECONDS),
        Job("retention", purge, every=RETENTION_CHECK_SECONDS),
    ]
