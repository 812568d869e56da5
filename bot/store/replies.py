"""SQL for answering members: question classification, reply suggestions, and what the Page was seen saying."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable

OPEN_STATUSES = ("pending", "approved", "sending")
_REPLY_COLUMNS = (
    "r.id, r.question_id, r.intent, r.language, r.channel, r.recipient, r.text, r.automated, r.edited, r.status,"
    " r.deadline, r.job_id, r.approved_by, r.approved_at, r.attempted_at, r.sent_at, r.message_id, r.error,"
    " r.created_at, r.updated_at, q.source, q.external_id, q.author_id, q.event_time, q.urgent,"
    " q.status AS question_status"
)

# The dashboard queue's lists: which rows each shows (fixed SQL, chosen by name) and in what order.
QUEUE_VIEWS = {
    "pending": ("r.status = 'pending'", "q.urgent DESC, r.deadline IS NULL, r.deadline, q.created_at, q.id"),
    "recent": ("r.status IN ('approved', 'sending') OR (r.status IN ('sent', 'failed', 'expired')"
               " AND r.approved_at >= :since)", "r.approved_at DESC, r.id DESC"),
    "sent": ("r.status = 'sent'", "r.sent_at DESC, r.id DESC"),
    "failed": ("r.status IN ('failed', 'expired')", "r.updated_at DESC, r.id DESC"),
    "all": ("1 = 1", "q.created_at DESC, q.id DESC"),
}
_QUEUE_COLUMNS = (
    "q.id AS question_id, q.source, q.author_name, q.text AS message, q.created_at AS received_at,"
    " q.status AS question_status, q.intent AS question_intent, q.language AS question_language, q.pii, q.urgent,"
    " q.flagged, q.hide_status, q.edited AS question_edited, q.attachments, r.id AS reply_id, r.intent, r.language,"
    " r.channel, r.text, r.status, r.deadline, r.automated, r.edited, r.approved_by, r.approved_at, r.sent_at,"
    " r.error, r.updated_at"
)


@dataclass(frozen=True)
class Classification:
    """What the worker concluded about a question."""

    intent: str | None
    language: str
    confidence: float
    pii: list[str]
    urgent: bool
    flagged: bool
    status: str  # 'suggested' | 'no_reply'


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


class ReplyQueries:
    """Classification columns of questions, the replies table and Page echoes (mixed into Store)."""

    conn: sqlite3.Connection
    writing: Callable[[], AbstractContextManager[sqlite3.Connection]]

    # -- questions ----------------------------------------------------------------------------

    def questions_to_classify(self, limit: int = 100) -> list[dict]:
        """Questions not judged yet (new, or edited since), oldest first."""
        rows = self.conn.execute(
            "SELECT id, source, external_id, author_id, text, event_time, created_at, edited, alerted_at, status"
            " FROM questions"
            " WHERE classified_at IS NULL AND status != 'removed' ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [dict(row) for row in rows]

    def save_classification(self, question_id: int, edited: int, found: Classification, now: float) -> bool:
        """Store a verdict; False when the member edited the question meanwhile (it is judged again)."""
        cursor = self.conn.execute(
            "UPDATE questions SET intent = ?, language = ?, confidence = ?, pii = ?, urgent = ?, flagged = ?,"
            " status = ?, classified_at = ?, updated_at = ?"
            " WHERE id = ? AND edited = ? AND classified_at IS NULL AND status != 'removed'",
            (found.intent, found.language, found.confidence, json.dumps(found.pii), int(found.urgent),
             int(found.flagged), found.status, now, now, question_id, edited))
        return cursor.rowcount == 1

    def request_reclassification(self, external_id: str, now: float) -> int | None:
        """Have an edited question judged again; returns its id (None if unknown or removed)."""
        row = self.conn.execute(
            "UPDATE questions SET classified_at = NULL, updated_at = ? WHERE external_id = ? AND status != 'removed'"
            " RETURNING id", (now, external_id)).fetchone()
        return row[0] if row else None

    def question_id_for(self, external_id: str) -> int | None:
        """The id of the question with this comment id or message mid."""
        row = self.conn.execute("SELECT id FROM questions WHERE external_id = ?", (external_id,)).fetchone()
        return row[0] if row else None

    def get_question(self, question_id: int) -> dict | None:
        """One question as stored (pii decoded), or None."""
        row = self.conn.execute("SELECT * FROM questions WHERE id = ?", (question_id,)).fetchone()
        return {**dict(row), "pii": json.loads(row["pii"] or "[]")} if row else None

    def mark_alerted(self, question_id: int, now: float) -> None:
        """Note that the admins were alerted about this question (once is enough)."""
        self.conn.execute("UPDATE questions SET alerted_at = ? WHERE id = ?", (now, question_id))

    def set_hide_status(self, question_id: int, status: str, now: float) -> None:
        """Record where hiding the question's comment stands: queued, hidden or failed."""
        with self.writing() as conn:
            conn.execute("UPDATE questions SET hide_status = ?, updated_at = ? WHERE id = ?",
                         (status, now, question_id))

    def last_message_time(self, author_id: str) -> float | None:
        """When this member last wrote to the Page in Messenger (opens the 24-hour window)."""
        # A message without Meta's timestamp counts from when it was stored.
        return self.conn.execute(
            "SELECT max(CASE WHEN event_time > 0 THEN event_time ELSE created_at END) FROM questions"
            " WHERE source = 'messenger' AND author_id = ?", (author_id,)).fetchone()[0]

    def triaged_questions(self, limit: int = 50, offset: int = 0) -> list[dict]:
        """Questions with their verdict and reply status: urgent first, then newest first."""
        rows = self.conn.execute(
            "SELECT q.id, q.source, q.external_id, q.author_id, q.author_name, q.text, q.created_at, q.event_time,"
            " q.status, q.post_id, q.parent_id, q.group_id, q.attachments, q.edited, q.intent, q.language,"
            " q.confidence, q.pii, q.urgent, q.flagged, q.hide_status, r.id AS reply_id, r.status AS reply_status"
            " FROM questions q LEFT JOIN replies r ON r.question_id = q.id"
            " ORDER BY q.urgent DESC, q.created_at DESC, q.id DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [_question_dict(row) for row in rows]

    # -- replies ------------------------------------------------------------------------------

    def insert_reply(self, reply: NewReply, status: str, now: float) -> int | None:
        """Store a question's reply; None when the question already has one."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO replies (question_id, intent, language, channel, recipient, text, automated,"
            " status, deadline, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (reply.question_id, reply.intent, reply.language, reply.channel, reply.recipient, reply.text,
             int(reply.automated), status, reply.deadline, now, now))
        return cursor.lastrowid if cursor.rowcount == 1 else None

    def get_reply(self, reply_id: int) -> dict | None:
        """One reply with its question's source, ids, time and status, or None."""
        row = self.conn.execute(
            f"SELECT {_REPLY_COLUMNS} FROM replies r JOIN questions q ON q.id = r.question_id WHERE r.id = ?",
            (reply_id,)).fetchone()
        return dict(row) if row else None

    def reply_of_question(self, question_id: int) -> dict | None:
        """The reply of a question, or None."""
        row = self.conn.execute("SELECT id FROM replies WHERE question_id = ?", (question_id,)).fetchone()
        return self.get_reply(row[0]) if row else None

    def rewrite_pending_reply(self, reply_id: int, reply: NewReply, now: float) -> bool:
        """Replace a pending suggestion after the member edited the question; False unless pending."""
        cursor = self.conn.execute(
            "UPDATE replies SET intent = ?, language = ?, channel = ?, recipient = ?, text = ?, automated = ?,"
            " edited = 0, deadline = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            (reply.intent, reply.language, reply.channel, reply.recipient, reply.text, int(reply.automated),
             reply.deadline, now, reply_id))
        return cursor.rowcount == 1

    def edit_reply_text(self, reply_id: int, text: str, now: float) -> bool:
        """An admin's wording for a pending suggestion; False unless pending."""
        cursor = self.conn.execute(
            "UPDATE replies SET text = ?, edited = 1, updated_at = ? WHERE id = ? AND status = 'pending'",
            (text, now, reply_id))
        return cursor.rowcount == 1

    def approve_reply_row(self, reply_id: int, by: str, text: str, edited: bool, job_id: int, now: float) -> bool:
        """Mark a pending reply approved with the text that will be sent; False unless pending."""
        cursor = self.conn.execute(
            "UPDATE replies SET status = 'approved', text = ?, edited = max(edited, ?), job_id = ?, approved_by = ?,"
            " approved_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            (text, int(edited), job_id, by, now, now, reply_id))
        return cursor.rowcount == 1

    def close_reply(self, reply_id: int, status: str, now: float, *, error: str | None = None,
                    from_statuses: tuple[str, ...] = ("pending",)) -> bool:
        """Move a reply to a final status (rejected, cancelled, expired, failed) from one of `from_statuses`."""
        marks = ",".join("?" * len(from_statuses))
        with self.writing() as conn:
            cursor = conn.execute(
                f"UPDATE replies SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status IN ({marks})",
                (status, error, now, reply_id, *from_statuses))
        return cursor.rowcount == 1

    def mark_reply_sending(self, reply_id: int, now: float) -> bool:
        """Record an attempt about to reach Meta (committed before the call); False if no longer approved."""
        with self.writing() as conn:
            cursor = conn.execute(
                "UPDATE replies SET status = 'sending', attempted_at = ?, updated_at = ?"
                " WHERE id = ? AND status IN ('approved', 'sending')", (now, now, reply_id))
        return cursor.rowcount == 1

    def note_reply_error(self, reply_id: int, error: str, now: float) -> None:
        """Keep the last error of a reply that will be tried again."""
        with self.writing() as conn:
            conn.execute("UPDATE replies SET error = ?, updated_at = ? WHERE id = ? AND status = 'sending'",
                         (error, now, reply_id))

    def mark_reply_sent(self, reply_id: int, message_id: str | None, note: str | None, now: float) -> bool:
        """Record that Meta delivered the reply (or already had it)."""
        cursor = self.conn.execute(
            "UPDATE replies SET status = 'sent', message_id = ?, error = ?, sent_at = ?, updated_at = ?"
            " WHERE id = ? AND status IN ('approved', 'sending')", (message_id, note, now, now, reply_id))
        return cursor.rowcount == 1

    def reopen_reply(self, reply_id: int, now: float) -> bool:
        """Put a failed reply back to approved (its job was requeued); False unless failed."""
        cursor = self.conn.execute(
            "UPDATE replies SET status = 'approved', error = NULL, updated_at = ? WHERE id = ? AND status = 'failed'",
            (now, reply_id))
        return cursor.rowcount == 1

    def cancel_open_replies(self, question_id: int, reason: str, now: float, *,
                            statuses: tuple[str, ...] = ("pending", "approved")) -> int:
        """Cancel a question's reply that has not started sending; returns how many were cancelled."""
        marks = ",".join("?" * len(statuses))
        cursor = self.conn.execute(
            f"UPDATE replies SET status = 'cancelled', error = ?, updated_at = ?"
            f" WHERE question_id = ? AND status IN ({marks})", (reason, now, question_id, *statuses))
        return cursor.rowcount

    def pending_messenger_replies(self, psid: str, before: float) -> list[int]:
        """Pending Messenger suggestions to a member for messages written before `before`."""
        rows = self.conn.execute(
            "SELECT r.id FROM replies r JOIN questions q ON q.id = r.question_id WHERE r.status = 'pending'"
            " AND r.channel = 'messenger' AND r.recipient = ? AND q.event_time <= ?", (psid, before)).fetchall()
        return [row[0] for row in rows]

    def extend_messenger_deadlines(self, psid: str, deadline: float, now: float) -> None:
        """A new message from the member reopens the 24-hour window for its waiting replies."""
        self.conn.execute(
            "UPDATE replies SET deadline = ?, updated_at = ? WHERE channel = 'messenger' AND recipient = ?"
            " AND status IN ('pending', 'approved') AND (deadline IS NULL OR deadline < ?)",
            (deadline, now, psid, deadline))

    def replies_past_deadline(self, now: float) -> list[dict]:
        """Pending replies whose stored deadline has passed."""
        rows = self.conn.execute(
            f"SELECT {_REPLY_COLUMNS} FROM replies r JOIN questions q ON q.id = r.question_id"
            " WHERE r.status = 'pending' AND r.deadline IS NOT NULL AND r.deadline <= ?", (now,)).fetchall()
        return [dict(row) for row in rows]

    def set_reply_deadline(self, reply_id: int, deadline: float, now: float) -> None:
        """Store a recomputed deadline."""
        self.conn.execute("UPDATE replies SET deadline = ?, updated_at = ? WHERE id = ?", (deadline, now, reply_id))

    def list_replies(self, limit: int = 50, offset: int = 0, *, status: str | None = None) -> list[dict]:
        """Replies (optionally of one status): urgent questions first, then newest first."""
        where, params = ("WHERE r.status = ?", (status,)) if status else ("", ())
        rows = self.conn.execute(
            f"SELECT {_REPLY_COLUMNS} FROM replies r JOIN questions q ON q.id = r.question_id {where}"
            " ORDER BY q.urgent DESC, r.created_at DESC, r.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset)).fetchall()
        return [dict(row) for row in rows]

    # -- the dashboard (read only) -------------------------------------------------------------

    def queue_items(self, view: str, since: float, limit: int = 50, offset: int = 0) -> list[dict]:
        """Questions with their reply for one of QUEUE_VIEWS ('recent' counts approvals from `since` on)."""
        where, order = QUEUE_VIEWS[view]
        rows = self.conn.execute(
            f"SELECT {_QUEUE_COLUMNS} FROM questions q LEFT JOIN replies r ON r.question_id = q.id"
            f" WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset",
            {"since": since, "limit": limit, "offset": offset}).fetchall()
        return [{**dict(row), "pii": json.loads(row["pii"] or "[]"),
                 "attachments": json.loads(row["attachments"] or "[]")} for row in rows]

    def queue_counts(self, since: float) -> dict[str, int]:
        """How many rows each of QUEUE_VIEWS holds."""
        sums = ", ".join(f"coalesce(sum({where}), 0)" for where, _ in QUEUE_VIEWS.values())
        row = self.conn.execute(f"SELECT {sums} FROM questions q LEFT JOIN replies r ON r.question_id = q.id",
                                {"since": since}).fetchone()
        return dict(zip(QUEUE_VIEWS, row))

    def question_intents_since(self, since: float) -> list[tuple[float, str | None]]:
        """(received at, intent) of every question received since `since`; intent None: no FAQ answer (yet)."""
        rows = self.conn.execute("SELECT created_at, intent FROM questions WHERE created_at >= ? ORDER BY created_at",
                                 (since,)).fetchall()
        return [(row[0], row[1]) for row in rows]

    def reply_times_since(self, since: float) -> list[tuple[float, float]]:
        """(question received at, reply sent at) of the sent replies to questions received since `since`."""
        rows = self.conn.execute(
            "SELECT q.created_at, r.sent_at FROM replies r JOIN questions q ON q.id = r.question_id"
            " WHERE r.status = 'sent' AND r.sent_at IS NOT NULL AND q.created_at >= ?", (since,)).fetchall()
        return [(row[0], row[1]) for row in rows]

    # -- what the Page said -------------------------------------------------------------------

    def record_echo(self, echo_key: str, external_id: str, now: float) -> bool:
        """Remember that the Page was seen saying something (first sighting wins)."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO page_echoes (echo_key, external_id, seen_at) VALUES (?, ?, ?)",
            (echo_key, external_id, now))
        return cursor.rowcount == 1

    def echo(self, echo_key: str) -> str | None:
        """The id of what the Page was seen saying under this key, or None."""
        row = self.conn.execute("SELECT external_id FROM page_echoes WHERE echo_key = ?", (echo_key,)).fetchone()
        return row[0] if row else None


def _question_dict(row: sqlite3.Row) -> dict:
    item = dict(row)
    item["attachments"] = json.loads(item["attachments"] or "[]")
    item["pii"] = json.loads(item["pii"] or "[]")
    item["urgent"], item["flagged"] = bool(item["urgent"]), bool(item["flagged"])
    item["created_at"], item["event_time"] = _iso(item["created_at"]), _iso(item["event_time"])
    return item


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
