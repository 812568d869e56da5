"""Hiding a member's Page comment (one that shows personal data, say) through the outbox."""

from __future__ import annotations

import time
from typing import Callable

from bot.accounts.admins import audit
from bot.outbox.jobs import JobHandler, OutboxJob, enqueue
from bot.replies.review import ReplyError, question_of
from bot.store import Store

HIDE_JOB_KIND = "hide_comment"


def hide_comment(store: Store, question_id: int, actor: str, *, now: float | None = None) -> int:
    """Hide a Page comment (e.g. one showing personal data); returns the outbox job id. Raises ReplyError."""
    now = time.time() if now is None else now
    with store.transaction():
        question = question_of(store, question_id)
        if question.source != "page_comment":
            where = "a Messenger message" if question.source == "messenger" else "a Group comment"
            raise ReplyError(f"question {question_id} is {where}; only comments on the Page can be hidden")
        if question.status == "removed":
            raise ReplyError(f"question {question_id}'s comment was removed by its author")
        job_id = enqueue(store, HIDE_JOB_KIND, {"question_id": question_id, "comment_id": question.external_id},
                         f"hide:{question.external_id}", now)
        if job_id is None:
            raise ReplyError(f"question {question_id}'s comment is already hidden or being hidden")
        store.questions.set_hide_status(question_id, "queued", now)
        audit(store, actor, "hide_comment", f"question {question_id}", now=now)
    return job_id


class HideCommentHandler(JobHandler):
    """Hides a Page comment; hiding twice is harmless, so nothing needs reconciling."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock

    def send(self, job: OutboxJob, graph) -> dict:
        graph.hide_comment(job.payload["comment_id"], True)
        return {"hidden": True}

    def on_result(self, job: OutboxJob, result: dict) -> None:
        self.store.questions.set_hide_status(job.payload["question_id"], "hidden", self._clock())

    def on_give_up(self, job: OutboxJob, status: str, error: str) -> None:
        self.store.questions.set_hide_status(job.payload["question_id"], "failed", self._clock())


def moderation_handlers(store: Store, *, clock: Callable[[], float] = time.time) -> dict[str, JobHandler]:
    """The outbox handler of hiding comments."""
    return {HIDE_JOB_KIND: HideCommentHandler(store, clock=clock)}
