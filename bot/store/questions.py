"""SQL for member questions: storing them, the answer engine's verdict, and looking them up."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from bot.store.base import Repository
from bot.store.intake import NewQuestion

# The worker's statements, named so the query-plan test can check them.
WAITING_SQL = (
    "SELECT id, source, external_id, author_id, text, event_time, created_at, edited, alerted_at, status,"
    " mentions, no_reply_reason FROM questions WHERE classified_at IS NULL AND status != 'removed' ORDER BY id LIMIT ?")
LAST_MESSAGE_TIME_SQL = (
    "SELECT max(CASE WHEN event_time > 0 THEN event_time ELSE created_at END) FROM questions"
    " WHERE source = 'messenger' AND author_id = ?")
# `groupbot list questions`, read from questions_triage.
TRIAGED_SQL = (
    "SELECT q.id, q.source, q.external_id, q.author_id, q.author_name, q.text, q.created_at, q.event_time,"
    " q.status, q.post_id, q.parent_id, q.group_id, q.attachments, q.edited, q.intent, q.language,"
    " q.confidence, q.pii, q.urgent, q.flagged, q.hide_status, q.waiting, r.id AS reply_id, r.status AS reply_status,"
    " q.staff_reply, q.staff_reply_at, q.no_reply_reason, t.by AS takeover_by, t.started_at AS takeover_since,"
    " t.until AS takeover_until"
    " FROM questions q LEFT JOIN replies r ON r.question_id = q.id"
    " LEFT JOIN human_takeovers t ON q.source = 'messenger' AND t.member_id = q.author_id"
    " ORDER BY q.urgent DESC, q.created_at DESC, q.id DESC LIMIT ?")


@dataclass(frozen=True)
class Question:
    """A question as stored, with its verdict (pii and attachments decoded)."""

    id: int
    source: str
    external_id: str
    author_id: str
    author_name: str
    text: str
    event_time: float
    post_id: str | None
    parent_id: str | None
    group_id: str | None
    attachments: list[str]
    edited: int
    status: str
    created_at: float
    updated_at: float
    intent: str | None
    language: str | None
    confidence: float | None
    pii: list[str]
    urgent: bool
    flagged: bool
    classified_at: float | None
    alerted_at: float | None
    hide_status: str | None
    purged_at: float | None
    staff_reply: str | None
    staff_reply_at: float | None
    no_reply_reason: str | None
    mentions: list[str]
    asks: bool = False
    due: float | None = None
    dismissed_by: str | None = None
    dismissed_at: float | None = None
    waiting: bool = False


@dataclass(frozen=True)
class WaitingQuestion:
    """A question waiting for the answer engine's verdict (new, or edited since)."""

    id: int
    source: str
    external_id: str
    author_id: str
    text: str
    event_time: float
    created_at: float
    edited: int
    alerted_at: float | None
    status: str
    mentions: list[str]
    no_reply_reason: str | None

    def judged_text(self) -> str:
        """The text the answer engine reads: the names the comment tags left out (a tag is no question)."""
        text = self.text
        for name in sorted(self.mentions, key=len, reverse=True):
            text = text.replace(name, " ")
        return text


@dataclass(frozen=True)
class TriagedQuestion:
    """A question with its verdict and its reply's id and status (None before a reply is suggested)."""

    id: int
    source: str
    external_id: str
    author_id: str
    author_name: str
    text: str
    created_at: float
    event_time: float
    status: str
    post_id: str | None
    parent_id: str | None
    group_id: str | None
    attachments: list[str]
    edited: int
    intent: str | None
    language: str | None
    confidence: float | None
    pii: list[str]
    urgent: bool
    flagged: bool
    hide_status: str | None
    waiting: bool
    reply_id: int | None
    reply_status: str | None
    staff_reply: str | None
    staff_reply_at: float | None
    no_reply_reason: str | None
    takeover_by: str | None  # a person talking to this Messenger member: who, since when, until when
    takeover_since: float | None
    takeover_until: float | None


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
    asks: bool = False  # the message asks something, whether or not the FAQ answers it
    due: float | None = None  # when Meta stops accepting any answer to it


class Questions(Repository):
    """Member questions: stored by the intake, judged by the worker, read by the dashboard and the CLI."""

    def insert(self, q: NewQuestion, now: float) -> int | None:
        """Store a new question; None when one already exists for that external id."""
        row = self.conn.execute(
            "INSERT INTO questions (source, external_id, author_id, author_name, text,"
            " event_time, post_id, parent_id, group_id, attachments, mentions, no_reply_reason, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (
                q.source, q.external_id, q.author_id, q.author_name, q.text, q.event_time,
                q.post_id, q.parent_id, q.group_id, json.dumps(list(q.attachments)),
                json.dumps(list(q.mentions)), q.no_reply_reason, now, now,
            ),
        ).fetchone()
        return row[0] if row else None

    def update_text(self, external_id: str, text: str, now: float, mentions: tuple[str, ...] = ()) -> bool:
        """Replace a question's text (and the names it tags) after the member edited it; False if unknown."""
        cursor = self.conn.execute(
            "UPDATE questions SET text = ?, mentions = ?, edited = edited + 1, updated_at = ? WHERE external_id = ?",
            (text, json.dumps(list(mentions)), now, external_id),
        )
        return cursor.rowcount > 0

    def mark_removed(self, external_id: str, now: float) -> bool:
        """Note that the member deleted (or Meta hid) the comment; False if unknown."""
        cursor = self.conn.execute(
            "UPDATE questions SET status = 'removed', updated_at = ? WHERE external_id = ? AND status != 'removed'",
            (now, external_id),
        )
        return cursor.rowcount > 0

    def count(self) -> int:
        """How many questions are stored."""
        return self.conn.execute("SELECT count(*) FROM questions").fetchone()[0]

    def waiting(self, limit: int = 100) -> list[WaitingQuestion]:
        """Questions not judged yet (new, or edited since), oldest first."""
        rows = self.conn.execute(
WAITING_SQL, (limit,)).fetchall()
        return [WaitingQuestion(**{**dict(row), "mentions": json.loads(row["mentions"] or "[]")}) for row in rows]

    def save_classification(self, question_id: int, edited: int, found: Classification, now: float) -> bool:
        """Store a verdict; False when the member edited the question meanwhile (it is judged again)."""
        cursor = self.conn.execute(
            "UPDATE questions SET intent = ?, language = ?, confidence = ?, pii = ?, urgent = ?, flagged = ?,"
            " status = ?, asks = ?, due = ?, classified_at = ?, updated_at = ?"
            " WHERE id = ? AND edited = ? AND classified_at IS NULL AND status != 'removed'",
            (found.intent, found.language, found.confidence, json.dumps(found.pii), int(found.urgent),
             int(found.flagged), found.status, int(found.asks), found.due, now, now, question_id, edited))
        return cursor.rowcount == 1

    def request_reclassification(self, external_id: str, now: float) -> int | None:
        """Have an edited question judged again; returns its id (None if unknown or removed)."""
        row = self.conn.execute(
            "UPDATE questions SET classified_at = NULL, updated_at = ? WHERE external_id = ? AND status != 'removed'"
            " RETURNING id", (now, external_id)).fetchone()
        return row[0] if row else None

    def id_for(self, external_id: str) -> int | None:
        """The id of the question with this comment id or message mid."""
        row = self.conn.execute("SELECT id FROM questions WHERE external_id = ?", (external_id,)).fetchone()
        return row[0] if row else None

    def get(self, question_id: int) -> Question | None:
        """One question as stored, or None."""
        row = self.conn.execute("SELECT * FROM questions WHERE id = ?", (question_id,)).fetchone()
        return Question(**_decoded(row)) if row else None

    def set_answered(self, question_id: int, answered: bool, now: float) -> None:
        """An admin gave a judged question a reply ('suggested') or none ('no_reply')."""
        self.conn.execute(
            "UPDATE questions SET status = ?, updated_at = ? WHERE id = ? AND status IN ('suggested', 'no_reply')",
            ("suggested" if answered else "no_reply", now, question_id))

    def record_staff_reply(self, question_id: int, text: str, at: float, now: float) -> None:
        """A person answered this comment from the Page, outside groupbot: keep what they said and when."""
        self.conn.execute("UPDATE questions SET staff_reply = ?, staff_reply_at = ?, updated_at = ? WHERE id = ?",
                          (text, at, now, question_id))

    def mark_alerted(self, question_id: int, now: float) -> None:
        """Note that the admins were alerted about this question (once is enough)."""
        self.conn.execute("UPDATE questions SET alerted_at = ? WHERE id = ?", (now, question_id))

    def set_hide_status(self, question_id: int, status: str, now: float) -> None:
        """Record where hiding the question's comment stands: queued, hidden or failed."""
        with self._store.writing() as conn:
            conn.execute("UPDATE questions SET hide_status = ?, updated_at = ? WHERE id = ?",
                         (status, now, question_id))

    def dismiss(self, question_id: int, by: str, now: float) -> bool:
        """An admin decided that a question needs no reply: it leaves the Pending list; False if it did not wait."""
        cursor = self.conn.execute(
            "UPDATE questions SET dismissed_by = ?, dismissed_at = ?, updated_at = ? WHERE id = ? AND waiting = 1",
            (by, now, now, question_id))
        return cursor.rowcount == 1

    def last_message_time(self, author_id: str) -> float | None:
        """When this member last wrote to the Page in Messenger (opens the 24-hour window)."""
        # A message without Meta's timestamp counts from when it was stored.
        return self.conn.execute(LAST_MESSAGE_TIME_SQL, (author_id,)).fetchone()[0]

    def triaged(self, limit: int = 50) -> list[TriagedQuestion]:
        """Questions with their verdict and reply status: urgent first, then newest first."""
        rows = self.conn.execute(TRIAGED_SQL, (limit,)).fetchall()
        return [TriagedQuestion(**_decoded(row)) for row in rows]


def _decoded(row: sqlite3.Row) -> dict:
    """A question row's columns with the JSON lists and the 0/1 flags decoded."""
    item = dict(row)
    item["attachments"] = json.loads(item["attachments"] or "[]")
    item["pii"] = json.loads(item["pii"] or "[]")
    if "mentions" in item:
        item["mentions"] = json.loads(item["mentions"] or "[]")
    item["urgent"], item["flagged"] = bool(item["urgent"]), bool(item["flagged"])
    for flag in ("asks", "waiting"):
        if flag in item:
            item[flag] = bool(item[flag])
    return item
