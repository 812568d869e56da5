"""Durable intake of webhook bodies with group commit.

Every acknowledged delivery must be on disk before Meta sees the 200. A commit per
request costs one disk flush each and serialises request threads on SQLite's write
lock. Instead the request threads take turns as leader: the leader commits every body
queued so far in one transaction, wakes exactly the threads whose bodies it committed,
and hands the lead to the first thread still waiting. A lone request commits its own
body with no hand-off; under load one flush covers many requests, and no thread is
woken only to find its body is not committed yet (a thundering herd costs more than
the commit under the GIL).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from bot.store import Store

log = logging.getLogger(__name__)

# How long a request waits for its body to be committed before it gives up (and answers
# 500, so Meta redelivers): under Meta's 5 s, so the answer reaches Meta in time.
INTAKE_WAIT_SECONDS = 4.0


class _Pending:
    __slots__ = ("body", "received_at", "woken", "committed", "leads")

    def __init__(self, body: bytes, received_at: float):
        self.body = body
        self.received_at = received_at
        self.woken = threading.Event()
        self.committed = False
        self.leads = False


class DeliveryWriter:
    """Commits raw deliveries in batches led by the request threads themselves."""

    def __init__(self, store: Store, *, max_batch: int = 500, on_commit: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.time):
        self._store = store
        self._clock = clock
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._committing = False

    def submit(self, body: bytes, *, timeout: float = INTAKE_WAIT_SECONDS) -> bool:
        """Commit ``body`` (alone or with others); False if that failed or took too long."""
        pending = _Pending(body, self._clock())
        with self._lock:
            self._queue.append(pending)
            pending.leads = not self._committing
            self._committing = True
        if not pending.leads:
            pending.woken.wait(timeout)
            with self._lock:
                if not pending.woken.is_set():
                    # Gave up waiting; if it is committed later, Meta's retry is deduplicated.
                    self._queue.remove(pending)
                    return False
        if pending.leads:
            self._lead()
        return pending.committed

    def _lead(self) -> None:
        with self._lock:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        committed = self._commit(batch)
        for pending in batch:
            pending.committed = committed
            pending.leads = False
            pending.woken.set()
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.leads = True
                successor.woken.set()
            else:
                self._committing = False
        if committed and self._on_commit is not None:
            self._on_commit()

    def _commit(self, batch: list[_Pending]) -> bool:
        try:
            self._store.deliveries.insert([(p.body, p.received_at) for p in batch])
            return True
        except Exception:
            log.exception("could not commit %d deliveries; Meta will redeliver them", len(batch))
            return False
