"""Outbox handlers that send approved replies once, inside Meta's windows.

A call cut off without an answer may have reached Meta, so before trying again:
- a private reply is simply sent again: Meta allows one per comment and answers "already
  replied" (10900) if the first went out, which counts as sent;
- a Messenger answer carries the job id in `metadata`; Meta's echo brings it back, and the
  worker waits a short while for that echo before sending again;
- a public comment reply waits likewise for the webhook of the Page's own comment under it.
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from typing import Callable

from bot.meta.errors import GraphAlreadyReplied, GraphBadRequest, GraphError, GraphPermissionError, GraphTransient
from bot.outbox.jobs import JobHandler, OutboxJob
from bot.replies.echoes import ECHO_PREFIX
from bot.replies.windows import window_closed
from bot.store import Store
from bot.store.replies import Reply

log = logging.getLogger(__name__)

# The outbox job kind that sends each channel's replies.
JOB_KINDS = {"private_reply": "private_reply", "comment_reply": "comment_reply", "messenger": "messenger_reply"}
ECHO_WAIT_SECONDS = 60.0
COMMENT_INVALID_SUBCODE = 2534025  # "The comment is invalid for private reply": too old, or gone


class ReplyWindowClosed(GraphPermissionError):
    """Meta's window for this reply has closed; nothing was sent."""


class ReplyHandler(JobHandler):
    """Sends one approved reply; subclasses make the channel's call and say how to reconcile."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        self._expired: dict[int, str] = {}

    def send(self, job: OutboxJob, graph) -> dict:
        now = self._clock()
        reply = self.store.replies.get(job.payload["reply_id"])
        skipped = self._skip_reason(reply, now)
        if skipped:
            return {"skipped": skipped}
        # After an interrupted attempt Meta decides: a late check here could expire a reply that went out.
        closed = None if job.uncertain else window_closed(self.store, reply, now)
        if closed:
            self._expired[job.id] = closed
            raise ReplyWindowClosed(closed)
        self.store.replies.mark_sending(reply.id, now)  # committed before the call: a crash leaves a trace
        try:
            return {"id": self.call(job, graph)}
        except GraphError as error:
            refusal = _window_refusal(error)
            if refusal:
                self._expired[job.id] = refusal
            elif isinstance(error, GraphTransient):
                self.store.replies.note_error(reply.id, f"will retry: {error}", now)
            raise

    @abstractmethod
    def call(self, job: OutboxJob, graph) -> str:
        """Make the channel's Graph call; returns the id Meta gave."""

    def on_result(self, job: OutboxJob, result: dict) -> None:
        if "skipped" in result:
            return
        note = "Meta said this comment already had its private reply" if result.get("already_replied") else None
        self.store.replies.mark_sent(job.payload["reply_id"], result.get("id"), note, self._clock())

    def on_give_up(self, job: OutboxJob, status: str, error: str) -> None:
        expired = self._expired.pop(job.id, None)
        final = ("expired", expired) if expired else ("failed", error)
        self.store.replies.close(job.payload["reply_id"], final[0], self._clock(), error=final[1],
                                 from_statuses=("approved", "sending"))

    def _skip_reason(self, reply: Reply | None, now: float) -> str | None:
        """Why this job must not send at all (the reply was cancelled, the comment removed...)."""
        if reply is None:
            return "reply no longer exists"
        if reply.status not in ("approved", "sending"):
            return f"reply is {reply.status}"
        if reply.question_status == "removed":
            self.store.replies.close(reply.id, "cancelled", now, error="the member removed the comment",
                                     from_statuses=("approved", "sending"))
            return "the comment was removed"
        return None

    def _wait_for_echo(self, job: OutboxJob, key: str) -> dict | None:
        """Adopt the echo of an interrupted attempt; wait for it a while; then None (send again)."""
        seen = self.store.echoes.get(key)
        if seen:
            return {"id": seen, "adopted": True}
        reply = self.store.replies.get(job.payload["reply_id"])
        attempted = reply.attempted_at if reply else None
        if attempted is not None and self._clock() - attempted < ECHO_WAIT_SECONDS:
            raise GraphTransient("an interrupted send may have reached Meta; waiting for Meta's echo before "
                                 "sending again")
        return None


class PrivateReplyHandler(ReplyHandler):
    """The one private reply a comment allows; "already replied" means it went out."""

    def call(self, job: OutboxJob, graph) -> str:
        return graph.private_reply(job.payload["recipient"], job.payload["text"])

    def adopt_error(self, job: OutboxJob, error: GraphError) -> dict | None:
        return {"already_replied": True} if isinstance(error, GraphAlreadyReplied) else None


class CommentReplyHandler(ReplyHandler):
    """A public reply under a Page comment; the Page's own comment webhook settles an unknown outcome."""

    def call(self, job: OutboxJob, graph) -> str:
        return graph.reply_to_comment(job.payload["recipient"], job.payload["text"])

    def reconcile(self, job: OutboxJob, graph) -> dict | None:
        return self._wait_for_echo(job, f"comment:{job.payload['recipient']}")


class MessengerReplyHandler(ReplyHandler):
    """A Send API answer (messaging_type RESPONSE) carrying the job id, which Meta's echo returns."""

    def call(self, job: OutboxJob, graph) -> str:
        return graph.send_message(job.payload["recipient"], job.payload["text"], metadata=f"{ECHO_PREFIX}{job.id}")

    def reconcile(self, job: OutboxJob, graph) -> dict | None:
        return self._wait_for_echo(job, f"job:{job.id}")


def reply_handlers(store: Store, *, clock: Callable[[], float] = time.time) -> dict[str, JobHandler]:
    """The outbox handlers of every reply job kind."""
    return {
        JOB_KINDS["private_reply"]: PrivateReplyHandler(store, clock=clock),
        JOB_KINDS["comment_reply"]: CommentReplyHandler(store, clock=clock),
        JOB_KINDS["messenger"]: MessengerReplyHandler(store, clock=clock),
    }


def _window_refusal(error: GraphError) -> str | None:
    """The reason when Meta refused because a reply window has closed, else None."""
    if isinstance(error, GraphPermissionError) and error.outside_window:
        return f"Meta refused: the 24-hour Messenger window has closed ({error})"
    if isinstance(error, GraphBadRequest) and error.subcode == COMMENT_INVALID_SUBCODE:
        return f"Meta refused: the comment is more than 7 days old or no longer exists ({error})"
    return None
