"""The outbox's vocabulary: a stored job, the handler that sends its kind, and how a job is queued."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from typing import Any

from bot.meta.errors import GraphError
from bot.store import Store
from bot.store.outbox import OutboxJob

__all__ = ["JobHandler", "OutboxJob", "enqueue"]

log = logging.getLogger(__name__)


class JobHandler(ABC):
    """How one kind of job is sent; subclasses implement `send` and, for calls that create, `reconcile`."""

    @abstractmethod
    def send(self, job: OutboxJob, graph: Any) -> dict:
        """Make the job's Graph call(s); returns a JSON-able result. Raises GraphError."""

    def reconcile(self, job: OutboxJob, graph: Any) -> dict | None:
        """The result if an earlier attempt already took effect at Meta, None if it did not (safe to send)."""
        return None

    def adopt_error(self, job: OutboxJob, error: GraphError) -> dict | None:
        """A result when this error means the work is already done (e.g. 10900 already replied), else None."""
        return None

    def on_result(self, job: OutboxJob, result: dict) -> None:
        """Called inside the transaction that marks the job sent."""

    def on_give_up(self, job: OutboxJob, status: str, error: str) -> None:
        """Called inside the transaction that marks the job failed or dead."""


def enqueue(store: Store, kind: str, payload: dict, dedupe_key: str, now: float | None = None) -> int | None:
    """Add a job due now; None when one with this dedupe key exists. Joins the caller's transaction."""
    job_id = store.jobs.insert(kind, payload, dedupe_key, time.time() if now is None else now)
    if job_id is not None:
        log.debug("outbox job %d (%s) queued", job_id, kind)
    return job_id
