"""Outbox handlers that send approved replies once, inside Meta's windows.

A call cut off without an answer may have reached Meta, so before trying again:
- a private reply is simply sent again: Meta allows one per comment and answers "already
  replied" (10900) if the first went out, which counts as sent;
- a Messenger answer carries the job id in `metadata`; Meta's echo brings it back, and the
  worker waits a short while for that echo, then looks for our text in the conversation;
- a public comment reply waits likewise for the webhook of the Page's own comment under it.
When nothing confirms a Messenger answer or a public reply, it becomes *unconfirmed*: an admin
sees Meta's words and decides whether to send it again; it is never re-sent automatically.
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from datetime import datetime
from typing import Callable

from bot.meta.errors import (
    GraphAlreadyReplied,
    GraphBadRequest,
    GraphError,
    GraphOutcomeUnknown,
    GraphPermissionError,
    GraphTransient,
)
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


class SendUnconfirmed(GraphError):
    """Meta's answer left a send's outcome unknown and nothing confirmed it: an admin decides."""


class ReplyHandler(JobHandler):
    """Sends one approved reply; subclasses make the channel's call and say how to reconcile."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        self._expired: dict[int, str] = {}
        self._unconfirmed: dict[int, str] = {}

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
        # Committed before the call: a crash leaves a trace. A reply withdrawn meanwhile (a person took over) stays so.
        if not self.store.replies.mark_sending(reply.id, now):
            return {"skipped": "reply was withdrawn before sending"}
        try:
            return {"id": self.call(job, graph)}
        except GraphError as error:
            refusal = _window_refusal(error)
            if refusal:
                self._expired[job.id] = refusal
            elif isinstance(error, GraphOutcomeUnknown):
                self.store.replies.note_error(reply.id, f"Meta's answer did not say whether it was sent: {error}",
                                              now)
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
        unconfirmed = self._unconfirmed.pop(job.id, None)
        final = ("expired", expired) if expired else ("unconfirmed", unconfirmed) if unconfirmed else ("failed", error)
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
        """Adopt the echo of an interrupted attempt, waiting for it a while; None when no attempt was made."""
        seen = self.store.echoes.get(key)
        if seen:
            return {"id": seen, "adopted": True}
        reply = self.store.replies.get(job.payload["reply_id"])
        attempted = reply.attempted_at if reply else None
        if attempted is None:
            return None  # interrupted before the call: nothing can have reached Meta
        if self._clock() - attempted < ECHO_WAIT_SECONDS:
            raise GraphTransient("an interrupted send may have reached Meta; waiting for Meta's echo before "
                                 "deciding")
        return {"unconfirmed_since": attempted}

    def _unconfirmed_send(self, job: OutboxJob, how_checked: str) -> SendUnconfirmed:
        """The error that leaves the reply unconfirmed for an admin, with Meta's last words."""
        reply = self.store.replies.get(job.payload["reply_id"])
        said = reply.error if reply and reply.error else "the send was interrupted before Meta answered"
        words = f"Not confirmed: {said.removeprefix('will retry: ')}; {how_checked}"
        self._unconfirmed[job.id] = words
        return SendUnconfirmed(words)


class PrivateReplyHandler(ReplyHandler):
    """The one private reply a comment allows; "already replied" means it went out."""

    def call(self, job: OutboxJob, graph) -> str:
        # Our metadata comes back in the echo, so that echo is never taken for a person answering by hand.
        return graph.private_reply(job.payload["recipient"], job.payload["text"], metadata=f"{ECHO_PREFIX}{job.id}")

    def adopt_error(self, job: OutboxJob, error: GraphError) -> dict | None:
        return {"already_replied": True} if isinstance(error, GraphAlreadyReplied) else None


class CommentReplyHandler(ReplyHandler):
    """A public reply under a Page comment; the Page's own comment webhook settles an unknown outcome."""

    def call(self, job: OutboxJob, graph) -> str:
        return graph.reply_to_comment(job.payload["recipient"], job.payload["text"])

    def reconcile(self, job: OutboxJob, graph) -> dict | None:
        found = self._wait_for_echo(job, f"comment:{job.payload['recipient']}")
        if found is None or "unconfirmed_since" not in found:
            return found
        raise self._unconfirmed_send(job, "the Page's reply did not show up under the comment")


class MessengerReplyHandler(ReplyHandler):
    """A Send API answer (messaging_type RESPONSE) carrying the job id, which Meta's echo returns."""

    def call(self, job: OutboxJob, graph) -> str:
        return graph.send_message(job.payload["recipient"], job.payload["text"], metadata=f"{ECHO_PREFIX}{job.id}")

    def reconcile(self, job: OutboxJob, graph) -> dict | None:
        found = self._wait_for_echo(job, f"job:{job.id}")
        if found is None or "unconfirmed_since" not in found:
            return found
        try:
            seen = graph.conversation_messages(job.payload["recipient"])
        except GraphTransient:
            raise
        except GraphError as error:
            raise self._unconfirmed_send(job, f"no echo came and the conversation could not be read ({error})")
        since = int(found["unconfirmed_since"])  # Meta's created_time has whole seconds
        for message in seen:
            if message.get("message") == job.payload["text"] and _is_page(message, graph) \
                    and (_epoch(message.get("created_time")) or 0) >= since:
                return {"id": str(message.get("id")), "adopted": True}
        raise self._unconfirmed_send(job, "no echo came and the conversation does not show it")


def reply_handlers(store: Store, *, clock: Callable[[], float] = time.time) -> dict[str, JobHandler]:
    """The outbox handlers of every reply job kind."""
    return {
        JOB_KINDS["private_reply"]: PrivateReplyHandler(store, clock=clock),
        JOB_KINDS["comment_reply"]: CommentReplyHandler(store, clock=clock),
        JOB_KINDS["messenger"]: MessengerReplyHandler(store, clock=clock),
    }


def _is_page(message: dict, graph) -> bool:
    """Whether a conversation message was written by the Page (assumed when Meta leaves `from` out)."""
    sender = message.get("from")
    return not isinstance(sender, dict) or str(sender.get("id")) == str(getattr(graph, "page_id", sender.get("id")))


def _epoch(created_time: object) -> float | None:
    """Seconds since the epoch of Meta's created_time ("2026-12-06T04:26:08+0000"), None if unreadable."""
    try:
        return datetime.strptime(str(created_time), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return None


def _window_refusal(error: GraphError) -> str | None:
    """The reason when Meta refused because a reply window has closed, else None."""
    if isinstance(error, GraphPermissionError) and error.outside_window:
        return f"Meta refused: the 24-hour Messenger window has closed ({error})"
    if isinstance(error, GraphBadRequest) and error.subcode == COMMENT_INVALID_SUBCODE:
        return f"Meta refused: the comment is more than 7 days old or no longer exists ({error})"
    return None
