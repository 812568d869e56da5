"""Durable intake of webhook bodies with group commit.

Every acknowledged delivery must be on disk before Meta sees the 200. A commit per
request costs one disk flush each and serialises request threads on SQLite's write
lock. Instead the request threads take turns as leader: the leader commits every body
queued so far in one transaction, wakes exactly the threads whose bodies it committed,
and hands the lead to the first thread still waiting. A lone request commits its own
body with no hand-off; under load one flush covers many requests, and no thread is
woken only to find its body is not committed yet (a thundering herd costs more than
the commit under the GIL).

Every request has a deadline (``INTAKE_DEADLINE_SECONDS``): a body not committed by then gets
503 and Meta redelivers it. Once a commit has failed (another process holding the write lock,
a full disk), the store is presumed stuck: the bodies waiting behind it are refused at once,
the next request tries a short commit, and requests arriving meanwhile are refused at once, so
requests queued behind busy threads are still answered within Meta's 5 s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.store import Store
from bot.store.base import DATABASE_ERRORS

log = logging.getLogger(__name__)

# How long a request waits for its body to be committed before it gives up (and answers 503,
# so Meta redelivers): well under Meta's 5 s, leaving time for a request that waited for a
# free thread before it got here.
INTAKE_DEADLINE_SECONDS = 3.5
# While the store is refusing, a commit is only a short probe: whoever waits on it waits little.
PROBE_SECONDS = 0.5
# While refusals go on, one log line per this many seconds says how many.
REFUSAL_REPORT_SECONDS = 10.0


class _Pending:
    __slots__ = ("body", "committed", "deadline", "leads", "received_at", "taken", "woken")

    def __init__(self, body: bytes, received_at: float, deadline: float):
        self.body = body
        self.received_at = received_at
        self.deadline = deadline  # on the monotonic clock
        self.woken = threading.Event()
        self.committed = False
        self.leads = False
        self.taken = False  # a leader is committing it: its answer is coming


class _Refusals:
    """One log line when refusing starts, a count every so often while it goes on, one when it ends."""

    def __init__(self, monotonic: Callable[[], float]):
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._count = 0
        self._unreported = 0
        self._reported_at = 0.0

    def note(self, count: int, reason: str) -> None:
        with self._lock:
            now = self._monotonic()
            first = self._count == 0
            self._count += count
            self._unreported += count
            if not first and now - self._reported_at < REFUSAL_REPORT_SECONDS:
                return
            unreported, self._unreported, self._reported_at = self._unreported, 0, now
        if first:
            log.warning("intake refusing deliveries with 503, Meta will redeliver them: %s", reason)
        else:
            log.warning("intake still refusing: %d more deliveries answered 503 (%s)", unreported, reason)

    def recovered(self) -> None:
        with self._lock:
            count, self._count, self._unreported = self._count, 0, 0
        if count:
            log.warning("intake committing again after refusing %d deliveries", count)


class DeliveryWriter:
    """Commits raw deliveries in batches led by the request threads themselves, each by its deadline."""

    def __init__(self, store: Store, *, max_batch: int = 500, on_commit: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic):
        self._store = store
        self._clock = clock
        self._monotonic = monotonic
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._committing = False
        self._failing = False  # the last commit failed: the store is presumed stuck until one succeeds
        self._refusals = _Refusals(monotonic)

    def submit(self, body: bytes, *, timeout: float = INTAKE_DEADLINE_SECONDS) -> bool:
        """Commit ``body`` (alone or with others); False if that failed or could not be done within ``timeout``."""
        pending = _Pending(body, self._clock(), self._monotonic() + timeout)
        with self._lock:
            if self._failing and self._committing:
                refuse_now = True
            else:
                refuse_now = False
                self._queue.append(pending)
                pending.leads = not self._committing
                self._committing = True
        if refuse_now:
            self._refusals.note(1, "the store refused the last commit and a retry is under way")
            return False
        if not pending.leads:
            pending.woken.wait(max(pending.deadline - self._monotonic(), 0.0))
            with self._lock:
                if not pending.woken.is_set() and not pending.taken:
                    # Still queued, so no leader can commit it now: refuse it (Meta retries).
                    self._queue.remove(pending)
                    gave_up = True
                else:
                    gave_up = False
            if gave_up:
                self._refusals.note(1, "not committed within the deadline")
                return False
            if not pending.leads:
                # Taken by a leader, whose commit ends by the earliest deadline of its batch.
                pending.woken.wait()
        if pending.leads:
            self._lead()
        return pending.committed

    def _lead(self) -> None:
        now = self._monotonic()
        with self._lock:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            probing = self._failing
            late = [p for p in batch if p.deadline <= now]
            batch = [p for p in batch if p.deadline > now]
            for pending in batch:
                pending.taken = True
        committed, reason = False, "the deadline passed before the store was free"
        try:
            if batch:
                within = min(p.deadline for p in batch) - now
                committed, reason = self._commit(batch, min(within, PROBE_SECONDS) if probing else within)
        finally:
            refused = late + ([] if committed else batch)
            with self._lock:
                if batch:
                    self._failing = not committed
                if self._failing:
                    # The store is stuck: those queued behind would only wait to be refused.
                    refused += self._queue
                    self._queue.clear()
                for pending in batch:
                    pending.committed = committed
                for pending in batch + refused:
                    pending.leads = False
                    pending.woken.set()
                if self._queue:
                    successor = self._queue[0]
                    successor.leads = True
                    successor.woken.set()
                else:
                    self._committing = False
        if refused:
            self._refusals.note(len(refused), reason)
        if committed:
            self._refusals.recovered()
            if self._on_commit is not None:
                self._on_commit()

    def _commit(self, batch: list[_Pending], within: float) -> tuple[bool, str]:
        problem = self._store.file_problem()
        if problem:
            return False, problem
        try:
            self._store.deliveries.insert([(p.body, p.received_at) for p in batch], within=within)
            return True, ""
        except (*DATABASE_ERRORS, OSError) as exc:
            # The reason only: the engines' messages name no member text, and a traceback each would flood the log.
            return False, f"{type(exc).__name__}: {exc}"
