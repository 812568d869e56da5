"""The composition root: the one place that builds an installation's jobs, outbox handlers, alerts and threads.

`groupbot serve`, `worker` and `poll` call `assemble`, and so do the tests; nothing else wires
the flows together. What it builds, in the order a worker pass runs the jobs:

    intake            stored deliveries -> questions               (bot.intake)
    suggest-replies   questions -> verdicts and suggested replies  (bot.answers, bot.replies)
    admin-email       wakes the mailer's thread                    (bot.notify)
    reply-deadlines   suggestions past Meta's window -> expired    (bot.replies)
    retention         member text past RETENTION_DAYS -> blanked   (bot.ops)
    answer-model      retrains the answer model in a child process  (bot.answers)
                        (`groupbot train`): first start, daily,
                        every 20 learned examples
    feed, outbox,     the dispatcher: blog -> Page posts, and every (bot.blog, bot.outbox, bot.meta)
    websub, page-       outbox job -> Meta, while it holds the lease
    subscription
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import requests

from bot.answers.retrain import ModelTrainer
from bot.blog.feed import FEED_TIMEOUT_SECONDS
from bot.blog.page_posts import PAGE_POST_KIND, PagePostHandler
from bot.config import Settings
from bot.intake.deliveries import process_deliveries
from bot.notify.admin_email import AdminMailer, EmailAlerts
from bot.ops.clock import JUMP_BOUND_SECONDS, current_jump, record_jump
from bot.ops.retention import purge_old_text
from bot.outbox.jobs import JobHandler
from bot.replies.moderation import moderation_handlers
from bot.replies.send import reply_handlers
from bot.replies.suggest import Suggester
from bot.replies.windows import expire_overdue
from bot.runtime.dispatcher import Dispatcher, PollOnceResult, poll_once
from bot.runtime.worker import Job, Worker
from bot.store import Store

log = logging.getLogger(__name__)

DEADLINE_CHECK_SECONDS = 60.0
RETENTION_CHECK_SECONDS = 86400.0
MODEL_CHECK_SECONDS = 60.0


def outbox_handlers(store: Store, *, clock: Callable[[], float] = time.time) -> dict[str, JobHandler]:
    """The handler of every outbox job kind: Page posts, the three reply channels, hiding comments."""
    return {PAGE_POST_KIND: PagePostHandler(store), **reply_handlers(store, clock=clock),
            **moderation_handlers(store, clock=clock)}


@dataclass
class Runtime:
    """One process's assembled service: its jobs, the worker loop over them, and the threads beside it.

    `start()` starts the threads (the admin mailer) and hooks (e-mailed alerts); `stop()` stops
    them and the worker loop. Nothing runs before `start()`.
    """

    settings: Settings
    store: Store
    dispatcher: Dispatcher
    suggester: Suggester
    mailer: AdminMailer
    email_alerts: EmailAlerts
    trainer: ModelTrainer | None = None
    jobs: list[Job] = field(default_factory=list)
    worker: Worker | None = None

    def start(self) -> None:
        """Start the alert hook and the mailer's thread."""
        self.email_alerts.start()
        self.mailer.start()

    def stop(self) -> None:
        """Stop the worker loop (after its pass), a training child, the mailer's thread and the alert hook."""
        if self.worker:
            self.worker.stop()
        if self.trainer:
            self.trainer.stop()
        self.mailer.stop()
        self.email_alerts.stop()

    def poll_once(self, *, clock: Callable[[], float] = time.time,
                  sleep: Callable[[float], None] = time.sleep) -> PollOnceResult:
        """`groupbot poll`: poll the blog and send what is due, then let go of the lease."""
        return poll_once(self.store, self.dispatcher, clock=clock, sleep=sleep)


def assemble(settings: Settings, store: Store, *, graph=None, session: requests.Session | None = None,
             feed_timeout: float = FEED_TIMEOUT_SECONDS, clock: Callable[[], float] = time.time,
             sleep: Callable[[float], None] = time.sleep,
             monotonic: Callable[[], float] = time.monotonic) -> Runtime:
    """Build the whole service for these settings over `store`; `graph` replaces the Graph client (tests)."""
    dispatcher = Dispatcher(settings, store, outbox_handlers(store, clock=clock), graph=graph, session=session,
                            feed_timeout=feed_timeout, sleep=sleep)
    suggester = Suggester(settings, store)
    mailer = AdminMailer(settings, store, clock=clock)
    runtime = Runtime(settings, store, dispatcher, suggester, mailer, EmailAlerts(settings, store, clock=clock),
                      trainer=ModelTrainer(settings.data_dir, store, enabled=settings.model_training))

    def purge(now: float) -> bool:
        if current_jump(store) is None:  # after an unconfirmed clock jump, blanking text could not be undone
            purge_old_text(store, settings.retention_days, now)
        return False  # once a day is enough: nothing to hurry

    def expire(now: float) -> bool:
        return current_jump(store) is None and expire_overdue(store, now) > 0

    runtime.jobs = [
        Job("intake", lambda now: process_deliveries(
            store, page_id=settings.page_id, app_id=settings.app_id or None,
            takeover_hours=settings.human_takeover_hours, now=now).deliveries > 0),
        Job("suggest-replies", suggester.run),
        Job("admin-email", mailer.run),
        Job("reply-deadlines", expire, every=DEADLINE_CHECK_SECONDS),
        Job("retention", purge, every=RETENTION_CHECK_SECONDS),
        Job("answer-model", runtime.trainer.run, every=MODEL_CHECK_SECONDS),
        *dispatcher.jobs(),
    ]
    runtime.worker = Worker(runtime.jobs, clock=clock, monotonic=monotonic,
                            on_clock_jump=lambda before, after: record_jump(store, before, after),
                            jump_bound=JUMP_BOUND_SECONDS)
    return runtime
