"""The dispatcher: the one process at a time that speaks for the Page.

However many processes run (`serve`, `worker`, a cron `poll`), only the holder of the
"publisher" lease polls the blog, sends outbox jobs (Page posts, replies, hidden comments)
and touches the Page's subscription and the WebSub hub.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

import requests

from bot.blog.entries import POLL_REQUEST_KEY, PollReport, poll_feed, request_poll
from bot.blog.feed import FEED_TIMEOUT_SECONDS
from bot.blog.outgoing import guarded_session
from bot.blog.push import keep_websub_subscription
from bot.config import Settings
from bot.meta.connect import build_graph
from bot.meta.errors import GraphAuthError, GraphError
from bot.meta.subscription import restore_subscription
from bot.ops.clock import current_jump, settle_with_meta
from bot.outbox.jobs import JobHandler
from bot.outbox.leases import Lease
from bot.outbox.pause import active_pause, pause_sending, token_fingerprint
from bot.outbox.sender import Outbox, RetryPolicy
from bot.runtime.worker import Job
from bot.store import Store

log = logging.getLogger(__name__)

PUBLISHER_LEASE = "publisher"  # the stored name, kept as it was
WEBSUB_CHECK_SECONDS = 60.0
# While a clock jump stands, how often Meta's clock is asked whether ours is right (a cheap GET).
CLOCK_CHECK_SECONDS = 60.0


@dataclass
class PollOnceResult:
    """What `groupbot poll` did: the poll, the jobs attempted, and what still waits."""

    report: PollReport | None
    attempted: int = 0
    pending: int = 0
    blocked: str | None = None
    deferred_to: str | None = None  # another process holds the lease; it was asked to poll


class Dispatcher:
    """Polls the blog, sends due outbox jobs and watches the subscriptions, while this process holds the lease."""

    def __init__(self, settings: Settings, store: Store, handlers: dict[str, JobHandler], *, graph=None,
                 session: requests.Session | None = None, feed_timeout: float = FEED_TIMEOUT_SECONDS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.store = store
        # The feed and its hub choose where these requests go: they take the guarded way out.
        self.session = session or guarded_session(settings)
        self.feed_timeout = feed_timeout
        self.lease = Lease(store, PUBLISHER_LEASE)
        self.graph = graph if graph is not None else build_graph(settings, store, sleep=sleep)
        self.fingerprint = token_fingerprint(settings.page_token)
        self.outbox = Outbox(store, self.graph, handlers, token_fingerprint=self.fingerprint,
                             holder=self.lease.holder,
                             policy=RetryPolicy(settle_seconds=settings.graph_timeout + 1.0))

    def jobs(self) -> list[Job]:
        """The worker jobs: poll when due or asked, send due jobs, keep WebSub and the Page subscription."""
        if not self.settings.blog_feed_url:
            log.warning("BLOG_FEED_URL is not set: the blog is not polled")
        jobs = [Job("feed", self.poll_if_due), Job("outbox", self.send_due),
                Job("websub", self.keep_websub, every=WEBSUB_CHECK_SECONDS)]
        if not self.settings.dry_run:
            jobs.append(Job("page-subscription", self.check_subscription,
                            every=float(self.settings.subscription_check_interval)))
            jobs.append(Job("clock-check", self.check_clock, every=CLOCK_CHECK_SECONDS))
        return jobs

    def poll_if_due(self, now: float) -> bool:
        """Poll when the period has passed or a ping asked for it; True when new entries arrived."""
        if not self.settings.blog_feed_url or not self._poll_due(now) or not self.lease.hold(now):
            return False
        requested = self.store.state.get(POLL_REQUEST_KEY)
        report = self.poll_now(now)
        if requested:
            # Only the request this poll answered: a ping that came in meanwhile gets its own poll.
            self.store.state.delete(POLL_REQUEST_KEY, only_if=requested)
        return report.new_entries > 0

    def poll_now(self, now: float) -> PollReport:
        """Poll the blog once, whatever the period."""
        return poll_feed(self.store, self.settings, now, session=self.session, timeout=self.feed_timeout)

    def send_due(self, now: float) -> bool:
        """Send the due outbox jobs; True when any was attempted."""
        due = self.store.jobs.next_due_time()
        if (due is None or due > now) and not self.store.jobs.in_flight():
            return False
        return self.lease.hold(now) and self.outbox.process_due(now) > 0

    def keep_websub(self, now: float) -> bool:
        """Subscribe to, or renew at, the hub the feed advertises."""
        if self.lease.hold(now):
            keep_websub_subscription(self.store, self.settings, now, session=self.session)
        return False

    def check_subscription(self, now: float) -> bool:
        """Restore the Page's webhook subscription if Meta dropped it (never while sending is paused)."""
        if active_pause(self.store, self.fingerprint) or not self.lease.hold(now):
            return False
        try:
            restore_subscription(self.graph)
        except GraphAuthError as error:
            pause_sending(self.store, str(error), self.fingerprint, now)
        except GraphError as error:
            log.warning("could not check the Page's webhook subscription (next check later): %s", error)
        return False

    def check_clock(self, now: float) -> bool:
        """After a clock jump, ask Meta's clock (its Date header) whether ours is right; lift the pause if so."""
        if current_jump(self.store) is not None and self.lease.hold(now):
            settle_with_meta(self.store, self.graph.server_time(), now)
        return False

    def drain(self, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> int:
        """Send due jobs until none is due soon (interrupted ones settle first); returns the attempts made."""
        started, attempted = clock(), 0
        horizon = self.outbox.policy.settle_seconds + 1.0
        while True:
            now = clock()
            if not self.lease.hold(now):
                return attempted
            attempted += self.outbox.process_due(now)
            due = self.store.jobs.next_due_time()
            if self.outbox.blocked(now) or due is None or due > started + horizon:
                return attempted
            if due > now:
                sleep(min(due - now, 1.0))

    def _poll_due(self, now: float) -> bool:
        if self.store.state.get(POLL_REQUEST_KEY):
            return True
        state = self.store.blog.feed_state(self.settings.blog_feed_url)
        last = state.last_polled_at if state else None
        return last is None or not 0 <= now - last < self.settings.poll_interval


def poll_once(store: Store, dispatcher: Dispatcher, *, clock: Callable[[], float] = time.time,
              sleep: Callable[[float], None] = time.sleep) -> PollOnceResult:
    """Poll the blog and send what is due, then let go (cron); defers to a running worker that holds the lease."""
    now = clock()
    if not dispatcher.lease.hold(now):
        request_poll(store, now)
        return PollOnceResult(None, deferred_to=dispatcher.lease.other_holder(now) or "another process")
    try:
        report = dispatcher.poll_now(now)
        dispatcher.keep_websub(now)
        attempted = dispatcher.drain(clock, sleep)
        blocked = dispatcher.outbox.blocked(clock())
    finally:
        dispatcher.lease.release()
    return PollOnceResult(report, attempted, store.jobs.counts().get("pending", 0), blocked)
