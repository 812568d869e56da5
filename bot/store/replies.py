"""SQL for suggested replies: their text, approval and sending, each read with its question's fields."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.store.base import Repository

_REPLY_COLUMNS = (
    "r.id, r.question_id, r.intent, r.language, r.channel, r.recipient, r.text, r.automated, r.edited, r.status,"
    " r.deadline, r.job_id, r.approved_by, r.approved_at, r.attempted_at, r.sent_at, r.message_id, r.error,"
    " r.created_at, r.updated_at, r.origin, r.review_reason, q.source, q.external_id, q.author_id, q.event_time,"
    " q.urgent,"
    " q.status AS question_status"
)

# The worker's per-question and per-minute statements, named so the query-plan test can check them.
PENDING_MESSENGER_SQL = (
    "SELECT r.id FROM replies r JOIN questions q ON q.id = r.question_id WHERE r.status = 'pending'"
    " AND r.channel = 'messenger' AND r.recipient = ? AND q.event_time <= ?")
EXTEND_MESSENGER_DEADLINES_SQL = (
    "UPDATE replies SET deadline = ?, updated_at = ? WHERE channel = 'messenger' AND recipient = ?"
    " AND status IN ('pending', 'approved') AND (deadline IS NULL OR deadline < ?)")
# A person took over a member's Messenger thread: their replies not yet sending are withdrawn.
CANCEL_MEMBER_REPLIES_SQL = (
    "UPDATE replies SET status = 'cancelled', error = ?, updated_at = ? WHERE channel = 'messenger'"
    " AND recipient = ? AND status IN ('pending', 'approved')")
PAST_DEADLINE_SQL = (
    f"SELECT {_REPLY_COLUMNS} FROM replies r JOIN questions q ON q.id = r.question_id"
    " WHERE r.status = 'pending' AND r.deadline IS NOT NULL AND r.deadline <= ?")

# The auto-approve gate, per suggestion: an intent's suggestions rejected lately (relabelled ones are the
# relabel's; q.intent is the bot's own verdict).
REJECTED_SINCE_SQL = (
    "SELECT count(*) FROM replies r JOIN questions q ON q.id = r.question_id WHERE r.status = 'rejected'"
    " AND r.intent = ? AND r.updated_at >= ? AND q.intent = r.intent")


def triaged_sql(of_one_status: bool) -> str:
    """`groupbot list replies`: urgent questions first, then newest first (a question and its reply are stored
    together, so the question's order, read from questions_triage, is the reply's)."""
    where = "WHERE r.status = ?" if of_one_status else ""
    return (f"SELECT {_REPLY_COLUMNS} FROM questions q JOIN replies r ON r.question_id = q.id {where}"
            " ORDER BY q.urgent DESC, q.created_at DESC, q.id DESC LIMIT ?")


@dataclass(frozen=True)
class NewReply:
    """A reply to store for a question."""

    question_id: int
    intent: str
    language: str
    channel: str
    recipient: str
    text: str
    automated: bool
    deadline: float | None
    origin: str = "suggested"  # or 'hand': written by an admin
    review_reason: str | None = None  # why an auto-approved intent's suggestion waits for an admin


@dataclass(frozen=True)
class Reply:
    """A reply as stored, with its question's source, ids, time, urgency and status."""

    id: int
    question_id: int
    intent: str
    language: str
    channel: str
    recipient: str
    text: str
    automated: bool
    edited: bool
    status: str
    deadline: float | None
    job_id: int | None
    approved_by: str | None
    approved_at: float | None
    attempted_at: float | None
    sent_at: float | None
    message_id: str | None
    error: str | None
    created_at: float
    updated_at: float
    origin: str
    review_reason: str | None
    source: str
    external_id: str
    author_id: str
    event_time: float
    urgent: bool
    question_status: str


class Replies(Repository):
    """Suggested replies, from suggestion through approval to sending; each read joined with its question."""

    def insert(self, reply: NewReply, status: str, now: float) -> int | None:
        """Store a question's reply; None when the question already has one."""
        row = self.conn.execute(
            "INSERT INTO replies (question_id, intent, language, channel, recipient, text, automated,"
            " status, deadline, origin, review_reason, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (reply.question_id, reply.intent, reply.language, reply.channel, reply.recipient, reply.text,
             int(reply.automated), status, reply.deadline, reply.origin, reply.review_reason, now, now)).fetchone()
        return row[0] if row else None

    def get(self, reply_id: int) -> Reply | None:
        """One reply with its question's source, ids, time and status, or None."""
        row = self.conn.execute(
            f"SELECT {_REPLY_COLUMNS} FROM replies r JOIN questions q ON q.id = r.question_id WHERE r.id = ?",
            (reply_id,)).fetchone()
        return _reply(row) if row else None

    def of_question(self, question_id: int) -> Reply | None:
        """The reply of a question, or None."""
        row = self.conn.execute("SELECT id FROM replies WHERE question_id = ?", (question_id,)).fetchone()
        return self.get(row[0]) if row else None

    def rewrite_pending(self, reply_id: int, reply: NewReply, now: float) -> bool:
        """Replace a pending suggestion after the member edited the question; False unless pending."""
        cursor = self.conn.execute(
            "UPDATE replies SET intent = ?, language = ?, channel = ?, recipient = ?, text = ?, automated = ?,"
            " edited = 0, deadline = ?, review_reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            (reply.intent, reply.language, reply.channel, reply.recipient, reply.text, int(reply.automated),
             reply.deadline, reply.review_reason, now, reply_id))
        return cursor.rowcount == 1

    def replace_by_hand(self, reply_id: int, reply: NewReply, from_statuses: tuple[str, ...], now: float) -> bool:
        """Make a question's reply an admin's own (pending again, written by hand); False unless in `from_statuses`."""
        marks = ",".join("?" * len(from_statuses))
        cursor = self.conn.execute(
            "UPDATE replies SET intent = ?, language = ?, channel = ?, recipient = ?, text = ?, automated = 0,"
            " edited = 0, origin = 'hand', status = 'pending', deadline = ?, review_reason = NULL, error = NULL, updated_at = ?"
            f" WHERE id = ? AND status IN ({marks})",
            (reply.intent, reply.language, reply.channel, reply.recipient, reply.text, reply.deadline, now,
             reply_id, *from_statuses))
        return cursor.rowcount == 1

    def relabel(self, reply_id: int, reply: NewReply, reopen_reason: str, now: float) -> bool:
        """An admin's other intent for a pending suggestion, or for one withdrawn by relabelling (`reopen_reason`
        as its error): pending again with the new text, not edited; False otherwise."""
        cursor = self.conn.execute(
            "UPDATE replies SET intent = ?, language = ?, channel = ?, recipient = ?, text = ?, automated = 0,"
            " edited = 0, origin = 'suggested', deadline = ?, review_reason = NULL, status = 'pending', error = NULL, updated_at = ?"
            " WHERE id = ? AND (status = 'pending' OR (status = 'cancelled' AND error = ?))",
            (reply.intent, reply.language, reply.channel, reply.recipient, reply.text, reply.deadline, now,
             reply_id, reopen_reason))
        return cursor.rowcount == 1

    def rejected_since(self, intent: str, since: float) -> int:
        """How many of the bot's own suggestions of `intent` admins rejected since `since`."""
        return int(self.conn.execute(REJECTED_SINCE_SQL, (intent, since)).fetchone()[0])

    def edit_text(self, reply_id: int, text: str, now: float) -> bool:
        """An admin's wording for a pending suggestion; False unless pending."""
        cursor = self.conn.execute(
            "UPDATE replies SET text = ?, edited = 1, updated_at = ? WHERE id = ? AND status = 'pending'",
            (text, now, reply_id))
        return cursor.rowcount == 1

    def approve(self, reply_id: int, by: str, text: str, edited: bool, job_id: int, now: float) -> bool:
        """Mark a pending reply approved with the text that will be sent; False unless pending."""
        cursor = self.conn.execute(
            "UPDATE replies SET status = 'approved', text = ?, edited = max(edited, ?), job_id = ?, approved_by = ?,"
            " approved_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            (text, int(edited), job_id, by, now, now, reply_id))
        return cursor.rowcount == 1

    def close(self, reply_id: int, status: str, now: float, *, error: str | None = None,
              from_statuses: tuple[str, ...] = ("pending",)) -> bool:
        """Move a reply to a final status (rejected, cancelled, expired, failed, unconfirmed) from `from_statuses`."""
        marks = ",".join("?" * len(from_statuses))
        with self._store.writing() as conn:
            cursor = conn.execute(
                f"UPDATE replies SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status IN ({marks})",
                (status, error, now, reply_id, *from_statuses))
        return cursor.rowcount == 1

    def mark_sending(self, reply_id: int, now: float) -> bool:
        """Record an attempt about to reach Meta (committed before the call); False if no longer approved."""
        with self._store.writing() as conn:
            cursor = conn.execute(
                "UPDATE replies SET status = 'sending', attempted_at = ?, updated_at = ?"
                " WHERE id = ? AND status IN ('approved', 'sending')", (now, now, reply_id))
        return cursor.rowcount == 1

    def note_error(self, reply_id: int, error: str, now: float) -> None:
        """Keep the last error of a reply that will be tried again."""
        with self._store.writing() as conn:
            conn.execute("UPDATE replies SET error = ?, updated_at = ? WHERE id = ? AND status = 'sending'",
                         (error, now, reply_id))

    def mark_sent(self, reply_id: int, message_id: str | None, note: str | None, now: float) -> bool:
        """Record that Meta delivered the reply (or already had it)."""
        cursor = self.conn.execute(
            "UPDATE replies SET status = 'sent', message_id = ?, error = ?, sent_at = ?, updated_at = ?"
            " WHERE id = ? AND status IN ('approved', 'sending')", (message_id, note, now, now, reply_id))
        return cursor.rowcount == 1

    def reopen(self, reply_id: int, now: float) -> bool:
        """Put a failed or unconfirmed reply back to approved (its job was requeued); False otherwise."""
        cursor = self.conn.execute(
            "UPDATE replies SET status = 'approved', error = NULL, updated_at = ? WHERE id = ?"
            " AND status IN ('failed', 'unconfirmed')", (now, reply_id))
        return cursor.rowcount == 1

    def cancel_open(self, question_id: int, reason: str, now: float, *,
                    statuses: tuple[str, ...] = ("pending", "approved")) -> int:
        """Cancel a question's reply that has not started sending; returns how many were cancelled."""
        marks = ",".join("?" * len(statuses))
        cursor = self.conn.execute(
            f"UPDATE replies SET status = 'cancelled', error = ?, updated_at = ?"
            f" WHERE question_id = ? AND status IN ({marks})", (reason, now, question_id, *statuses))
        return cursor.rowcount

    def cancel_for_member(self, psid: str, reason: str, now: float) -> int:
        """Withdraw a member's Messenger replies that have not started sending; returns how many."""
        return self.conn.execute(CANCEL_MEMBER_REPLIES_SQL, (reason, now, psid)).rowcount

    def pending_messenger(self, psid: str, before: float) -> list[int]:
        """Pending Messenger suggestions to a member for messages written before `before`."""
        rows = self.conn.execute(PENDING_MESSENGER_SQL, (psid, before)).fetchall()
        return [row[0] for row in rows]

    def extend_messenger_deadlines(self, psid: str, deadline: float, now: float) -> None:
        """A new message from the member reopens the 24-hour window for its waiting replies."""
        self.conn.execute(EXTEND_MESSENGER_DEADLINES_SQL, (deadline, now, psid, deadline))

    def past_deadline(self, now: float) -> list[Reply]:
        """Pending replies whose stored deadline has passed."""
        rows = self.conn.execute(PAST_DEADLINE_SQL, (now,)).fetchall()
        return [_reply(row) for row in rows]

    def set_deadline(self, reply_id: int, deadline: float, now: float) -> None:
        """Store a recomputed deadline."""
        self.conn.execute("UPDATE replies SET deadline = ?, updated_at = ? WHERE id = ?", (deadline, now, reply_id))

    def triaged(self, limit: int = 50, *, status: str | None = None) -> list[Reply]:
        """Replies (optionally of one status): urgent questions first, then newest first."""
        rows = self.conn.execute(triaged_sql(status is not None),
                                 (*((status,) if status else ()), limit)).fetchall()
        return [_reply(row) for row in rows]


def _reply(row: sqlite3.Row) -> Reply:
    item = dict(row)
    for flag in ("automated", "edited", "urgent"):
        item[flag] = bool(item[flag])
    return Reply(**item)
