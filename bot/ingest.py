"""Durable intake of webhook bodies with group commit.

Every acknowledged delivery must be on disk before Meta sees the 200. A commit per
request costs one fsync each and serialises request threads on SQLite's write lock.
Instead, the first request thread to find no commit under way becomes the leader: it
commits every body queued so far in one transaction, then wakes the others, whose
bodies rode along. A lone request commits its own body with no thread hand-off; under
load one fsync covers many requests.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from bot.store import Store

log = logging.getLogger(__name__)


class _Pending:
    __slots__ = ("body", "received_at", "done", "committed")

    def __init__(self, body: bytes):
        self.body = body
        self.received_at = time.time()
        self.done = False
        self.committed = False


class DeliveryWriter:
    """Commits raw deliveries in batches led by the request threads themselves."""

    def __init__(self, store: Store, *, max_batch: int = 500, on_commit: Callable[[], None] | None = None):
        self._store = store
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._committing = False

    def submit(self, body: bytes, *, timeout: float = 4.0) -> bool:
        """Commit ``body`` (alone or with others); False if that failed or took too long."""
        pending = _Pending(body)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._queue.append(pending)
            while not pending.done:
                if not self._committing:
                    self._lead_one_commit()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return pending.committed

    def stop(self, timeout: float = 10.0) -> None:
        """Nothing to flush: every submitted body is committed before submit returns."""

    def _lead_one_commit(self) -> None:
        """Called with the condition held; commits a batch with it released."""
        batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        self._committing = True
        self._cond.release()
        try:
            committed = self._commit(batch)
        finally:
            self._cond.acquire()
            self._committing = False
        for pending in batch:
            pending.committed = committed
            pending.done = True
        self._cond.notify_all()
        if committed and self._on_commit is not None:
            self._on_commit()

    def _commit(self, batch: list[_Pending]) -> bool:
        try:
            self._store.insert_deliveries([(p.body, p.received_at) for p in batch])
            return True
        except Exception:
            log.exception("could not commit %d deliveries; Meta will redeliver them", len(batch))
            return False
