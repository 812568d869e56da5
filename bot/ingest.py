"""Durable intake of webhook bodies with group commit.

Every acknowledged delivery must be on disk before Meta sees the 200. A commit per
request would cost one fsync each and serialise the request threads on SQLite's
write lock; instead one writer thread commits whatever has queued up since its last
commit in a single transaction, and each request waits only for the commit that
holds its body.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from bot.store import Store

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    body: bytes
    received_at: float
    done: threading.Event = field(default_factory=threading.Event)
    committed: bool = False


class DeliveryWriter:
    """Commits raw deliveries in batches from one background thread."""

    def __init__(self, store: Store, *, max_batch: int = 500, on_commit: Callable[[], None] | None = None):
        self._store = store
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, body: bytes, *, timeout: float = 4.0) -> bool:
        """Queue a body and wait until it is committed; False if that failed or took too long."""
        self._ensure_started()
        pending = _Pending(body, time.time())
        self._queue.put(pending)
        return pending.done.wait(timeout) and pending.committed

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then end the writer thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _ensure_started(self) -> None:
        # Started lazily so that a pre-forking server starts one writer per process.
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="delivery-writer", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch, stopping = self._drain(first)
            if batch:
                self._commit(batch)
            if stopping:
                return

    def _drain(self, first: _Pending | None) -> tuple[list[_Pending], bool]:
        batch: list[_Pending] = []
        item = first
        while True:
            if item is None:
                return batch, True
            batch.append(item)
            if len(batch) >= self._max_batch:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self._store.insert_deliveries([(p.body, p.received_at) for p in batch])
            committed = True
        except Exception:
            log.exception("could not commit %d deliveries; Meta will redeliver them", len(batch))
            committed = False
        for pending in batch:
            pending.committed = committed
            pending.done.set()
        if committed and self._on_commit is not None:
            self._on_commit()
