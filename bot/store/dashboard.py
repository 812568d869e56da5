"""SQL for the dashboard's read-only views: the queue's tabs and the weekly statistics."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.store.base import Repository

# The dashboard queue's lists: which rows each shows (fixed SQL, chosen by name) and in what order.
QUEUE_VIEWS = {
    "pending": ("r.status = 'pending'", "q.urgent DESC, r.deadline IS NULL, r.deadline, q.created_at, q.id"),
    "recent": ("r.status IN ('approved', 'sending') OR (r.status IN ('sent', 'failed', 'expired', 'unconfirmed')"
               " AND r.approved_at >= :since)", "r.approved_at DESC, r.id DESC"),
    "sent": ("r.status = 'sent'", "r.sent_at DESC, r.id DESC"),
    "failed": ("r.status IN ('failed', 'expired', 'unconfirmed')", "r.updated_at DESC, r.id DESC"),
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
class QueueItem:
    """A question with its reply as one queue row shows them; the reply's fields are None when it has none."""

    question_id: int
    source: str
    author_name: str
    message: str
    received_at: float
    question_status: str
    question_intent: str | None
    question_language: str | None
    pii: list[str]
    urgent: int
    flagged: int
    hide_status: str | None
    question_edited: int
    attachments: list[str]
    reply_id: int | None
    intent: str | None
    language: str | None
    channel: str | None
    text: str | None
    status: str | None
    deadline: float | None
    automated: int | None
    edited: int | None
    approved_by: str | None
    approved_at: float | None
    sent_at: float | None
    error: str | None
    updated_at: float | None


class Dashboard(Repository):
    """The dashboard's read-only queries over questions and replies: queue tabs, counts, statistics."""

    def queue_items(self, view: str, since: float, limit: int = 50, offset: int = 0) -> list[QueueItem]:
        """Questions with their reply for one of QUEUE_VIEWS ('recent' counts approvals from `since` on)."""
        where, order = QUEUE_VIEWS[view]
        rows = self.conn.execute(
            f"SELECT {_QUEUE_COLUMNS} FROM questions q LEFT JOIN replies r ON r.question_id = q.id"
            f" WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset",
            {"since": since, "limit": limit, "offset": offset}).fetchall()
        return [QueueItem(**{**dict(row), "pii": json.loads(row["pii"] or "[]"),
                             "attachments": json.loads(row["attachments"] or "[]")}) for row in rows]

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
