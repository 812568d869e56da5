"""Sending durable jobs: each job's effect happens once, whatever crashes, timeouts and Meta errors occur.

A job moves ``pending -> sending -> sent | failed | dead``. The claim (status ``sending``,
a counted attempt, a lease) is committed before the Graph call, so a job found in
``sending`` with an expired lease, or held by a process that died, was interrupted: its
call may have reached Meta. Such a job, and any whose call ended without an answer
(``GraphOutcomeUnknown``), is *uncertain*: before another attempt its handler's
``reconcile`` looks for the effect at Meta and adopts it. Only calls known not to have
happened are retried blindly.

Each kind of job has a ``JobHandler``; the outbox owns the decisions common to all kinds:
retries with backoff and jitter, rate-limit holds, the pause on an invalid token.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

from bot.meta.errors import (
    GraphAuthError,
    GraphDuplicatePost,
    GraphError,
    GraphOutcomeUnknown,
    GraphRateLimited,
    GraphTransient,
)
from bot.outbox.jobs import JobHandler, enqueue
from bot.outbox.leases import holder_is_gone, process_holder
from bot.outbox.pause import active_pause, held_until, hold_sending, pause_sending
from bot.store import Store
from bot.store.outbox import OutboxJob

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for retries across passes and restarts (the Graph client retries a few seconds inline)."""

    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    max_attempts: int = 10
    # How long a call cut off mid-flight may still land at Meta: the client timeout and a margin.
    settle_seconds: float = 11.0

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), capped."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return ceiling * (0.5 + rand() / 2)


class Outbox:
    """Sends due jobs through their handlers; call `process_due` from one process at a time."""

    def __init__(self, store: Store, graph: Any, handlers: dict[str, JobHandler], *, token_fingerprint: str = "",
                 holder: str | None = None, policy: RetryPolicy | None = None, lease_seconds: float = 300.0,
                 rand: Callable[[], float] = random.random) -> None:
        self.store = store
        self.graph = graph
        self.handlers = dict(handlers)
        self.token_fingerprint = token_fingerprint
        self.holder = holder or process_holder()
        self.policy = policy or RetryPolicy()
        self.lease_seconds = lease_seconds
        self._rand = rand

    def enqueue(self, kind: str, payload: dict, dedupe_key: str, now: float | None = None) -> int | None:
        """Add a job due now; None when one with this dedupe key already exists."""
        if kind not in self.handlers:
            raise ValueError(f"no handler for outbox job kind {kind!r}")
        return enqueue(self.store, kind, payload, dedupe_key, now)

    def requeue(self, job_id: int, now: float | None = None) -> bool:
        """Try a failed or dead job again (reconciled first); False if it is in another state."""
        return self.store.jobs.requeue(job_id, time.time() if now is None else now)

    def blocked(self, now: float) -> str | None:
        """Why no job may be sent now (token pause, rate-limit hold), or None."""
        pause = active_pause(self.store, self.token_fingerprint)
        if pause:
            return pause.describe()
        until = held_until(self.store, now)
        return f"rate limited by Meta for {until - now:.0f} more seconds" if until else None

    def process_due(self, now: float, *, limit: int = 10) -> int:
        """Send up to `limit` due jobs; returns how many were attempted (0 while sending is blocked)."""
        if self.blocked(now):
            return 0
        self._take_back_abandoned(now)
        attempted = 0
        while attempted < limit:
            job = self.store.jobs.claim_due(now, self.holder, self.lease_seconds)
            if job is None:
                break
            attempted += 1
            if not self._attempt(job, now):
                break
        return attempted

    # -- one attempt ----------------------------------------------------------------------------

    def _attempt(self, job: OutboxJob, now: float) -> bool:
        """Run one claimed job; False when sending must stop for every job (pause, rate limit)."""
        handler = self.handlers.get(job.kind)
        if handler is None:
            self._give_up(job, None, "dead", f"no handler for job kind {job.kind!r}", now)
            return True
        uncertain = job.uncertain
        try:
            result = handler.reconcile(job, self.graph) if uncertain else None
            if result is not None:
                log.info("outbox job %d (%s): an interrupted attempt had succeeded; adopted it", job.id, job.kind)
            else:
                uncertain = False  # checked: it did not happen
                result = handler.send(job, self.graph)
        except GraphError as error:
            return self._failed(job, handler, error, now, uncertain or isinstance(error, GraphOutcomeUnknown))
        except Exception as exc:  # a bug: keep the job, and assume the worst about what happened
            log.exception("outbox job %d (%s) raised %s", job.id, job.kind, type(exc).__name__)
            self._retry_or_give_up(job, handler, f"internal error: {type(exc).__name__}", now, uncertain=True)
            return True
        self._succeed(job, handler, result, now)
        return True

    def _failed(self, job: OutboxJob, handler: JobHandler, error: GraphError, now: float, uncertain: bool) -> bool:
        """Decide what a Graph error means for this job and for sending as a whole."""
        adopted = handler.adopt_error(job, error)
        if adopted is not None:
            self._succeed(job, handler, adopted, now)
            return True
        if isinstance(error, GraphAuthError):
            pause_sending(self.store, str(error), self.token_fingerprint, now)
            self._retry(job, str(error), now, uncertain=uncertain, at=now)
            return False
        if isinstance(error, GraphRateLimited):
            hold_sending(self.store, now + error.retry_after, now)
            self._retry(job, str(error), now, uncertain=uncertain, at=now + error.retry_after)
            return False
        if isinstance(error, GraphDuplicatePost):
            return self._duplicate(job, handler, error, now)
        if isinstance(error, GraphTransient):
            self._retry_or_give_up(job, handler, str(error), now, uncertain=uncertain)
            return True
        self._give_up(job, handler, "dead", str(error), now)
        return True

    def _duplicate(self, job: OutboxJob, handler: JobHandler, error: GraphError, now: float) -> bool:
        """Meta says the same post is already there (506): adopt ours if we find it, else report Meta's words."""
        try:
            result = handler.reconcile(job, self.graph)
        except GraphError as check_error:
            self._retry(job, f"{error}; could not check the Page: {check_error}", now, uncertain=True)
            return True
        if result is not None:
            self._succeed(job, handler, result, now)
        else:
            self._give_up(job, handler, "failed", str(error), now)
        return True

    # -- outcomes -------------------------------------------------------------------------------

    def _retry_or_give_up(self, job: OutboxJob, handler: JobHandler, error: str, now: float, *,
                          uncertain: bool) -> None:
        if job.attempts >= self.policy.max_attempts:
            self._give_up(job, handler, "failed", f"gave up after {job.attempts} attempts: {error}", now)
        else:
            self._retry(job, error, now, uncertain=uncertain)

    def _succeed(self, job: OutboxJob, handler: JobHandler, result: dict, now: float) -> None:
        with self.store.transaction():
            if self.store.jobs.finish(job.id, self.holder, "sent", now, result=result):
                handler.on_result(job, result)
                log.info("outbox job %d (%s) sent", job.id, job.kind)
                return
        log.warning("outbox job %d (%s) finished after its lease was taken over", job.id, job.kind)

    def _retry(self, job: OutboxJob, error: str, now: float, *, uncertain: bool, at: float | None = None) -> None:
        if at is None:
            at = now + self.policy.delay(job.attempts, self._rand)
            if uncertain:
                at = max(at, now + self.policy.settle_seconds)
        with self.store.transaction():
            self.store.jobs.retry_later(job.id, self.holder, at, error, uncertain=uncertain, now=now)
        log.warning("outbox job %d (%s) attempt %d failed; next try in %.0f s%s: %s", job.id, job.kind,
                    job.attempts, at - now, " after checking Meta" if uncertain else "", error)

    def _give_up(self, job: OutboxJob, handler: JobHandler | None, status: str, error: str, now: float) -> None:
        with self.store.transaction():
            if self.store.jobs.finish(job.id, self.holder, status, now, error=error) and handler:
                handler.on_give_up(job, status, error)
        log.error("outbox job %d (%s) %s: %s", job.id, job.kind, status, error)

    def _take_back_abandoned(self, now: float) -> None:
        """Jobs left in 'sending' by a process that died or overran its lease: check them before retrying."""
        for job in self.store.jobs.in_flight():
            expired = job.lease_expires_at is None or job.lease_expires_at <= now
            if job.lease_holder == self.holder and not expired:
                continue
            if not expired and not holder_is_gone(job.lease_holder or ""):
                continue
            settled = (job.claimed_at or now) + self.policy.settle_seconds
            if self.store.jobs.take_back(job.id, job.lease_holder or "", max(now, settled), now):
                log.warning("outbox job %d (%s) was interrupted mid-attempt; Meta is checked before any retry",
                            job.id, job.kind)
