"""Meta's deadlines for answering: 7 days for a comment's private reply, 24 hours in Messenger.

A private reply is possible once per comment, within 7 days of the comment; a Messenger
answer within 24 hours of the member's last message. Deadlines are stored with the
suggestion and checked again on approval and at send time.
"""

from __future__ import annotations

import logging
import time

from bot.store import Store
from bot.store.questions import WaitingQuestion
from bot.store.replies import Reply

log = logging.getLogger(__name__)


DAY = 86400.0
PRIVATE_REPLY_WINDOW = 7 * DAY
MESSENGER_WINDOW = DAY


def window_closed(store: Store, reply: Reply, now: float) -> str | None:
    """Why Meta no longer accepts this reply (the reason, one line), or None while it does."""
    if reply.channel == "private_reply":
        deadline = reply.deadline
        if deadline is not None and now >= deadline:
            return f"the 7-day window for a private reply closed at {_when(deadline)}"
    elif reply.channel == "messenger":
        last = store.questions.last_message_time(reply.author_id) or reply.event_time
        if now >= last + MESSENGER_WINDOW:
            return (f"the 24-hour Messenger window closed at {_when(last + MESSENGER_WINDOW)} "
                    "(24 hours after the member's last message)")
    return None


def reply_deadline(store: Store, channel: str, question: WaitingQuestion) -> float | None:
    """When Meta stops accepting a reply on `channel` to this question; None for a public comment reply."""
    if channel == "private_reply":
        return question_time(question) + PRIVATE_REPLY_WINDOW
    if channel == "messenger":
        last = store.questions.last_message_time(question.author_id) or question_time(question)
        return max(last, question_time(question)) + MESSENGER_WINDOW
    return None


def answer_deadline(store: Store, question: WaitingQuestion) -> float:
    """When Meta stops accepting any answer to a question (written by hand or suggested): the private reply's 7 days
    for a comment, 24 hours after the member's last message in Messenger."""
    return reply_deadline(store, "messenger" if question.source == "messenger" else "private_reply", question)


def hand_reply_closed(store: Store, question: WaitingQuestion, channel: str, now: float) -> str | None:
    """Why Meta no longer accepts an answer on `channel` to this question (one line), or None while it does."""
    deadline = reply_deadline(store, channel, question)
    if deadline is None or now < deadline:
        return None
    if channel == "messenger":
        return (f"the 24-hour Messenger window closed at {_when(deadline)} (24 hours after the member's last "
                "message); Meta allows no answer until the member writes again")
    return f"the 7-day window for a private reply closed at {_when(deadline)}"


def question_time(question: WaitingQuestion) -> float:
    """When the member wrote the question."""
    # Meta's created_time is missing on some deliveries; the time we stored the question is close.
    return question.event_time or question.created_at


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def expire_overdue(store: Store, now: float) -> int:
    """Mark pending replies whose Meta window has closed as expired; returns how many."""
    overdue = store.replies.past_deadline(now)
    if not overdue:
        return 0
    expired = 0
    with store.transaction():
        for reply in overdue:
            closed = window_closed(store, reply, now)
            if closed and store.replies.close(reply.id, "expired", now, error=closed):
                expired += 1
            elif not closed and reply.channel == "messenger":
                # The member wrote again since: the window moved.
                last = store.questions.last_message_time(reply.author_id)
                store.replies.set_deadline(reply.id, last + MESSENGER_WINDOW, now)
    if expired:
        log.info("%d suggested replies expired (Meta's window closed before approval)", expired)
    return expired
