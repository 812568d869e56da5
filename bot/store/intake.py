"""SQL for the intake: raw deliveries, handled events, member questions."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Delivery:
    """A raw webhook body as Meta sent it, waiting to be parsed."""

    id: int
    received_at: float
    body: bytes


@dataclass(frozen=True)
class NewQuestion:
    """A member message to store as a question."""

    source: str
    external_id: str
    author_id: str
    author_name: str
    text: str
    event_time: float
    post_id: str | None = None
    parent_id: str | None = None
    group_id: str | None = None
    attachments: tuple[str, ...] = ()


class IntakeQueries:
    """Deliveries, handled events and questions (mixed into Store)."""

    conn: sqlite3.Connection

    # -- deliveries ---------------------------------------------------------

    def insert_deliveries(self, rows: Sequence[tuple[bytes, float]]) -> None:
        """Commit raw webhook bodies (body, received_at) in one transaction."""
        with self.transaction() as conn:
            conn.executemany("INSERT INTO deliveries (body, received_at) VALUES (?, ?)", rows)

    def unparsed_deliveries(self, limit: int = 50) -> list[Delivery]:
        """Oldest deliveries not yet turned into events."""
        rows = self.conn.execute(
            "SELECT id, received_at, body FROM deliveries WHERE status = 'new' ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        return [Delivery(r["id"], r["received_at"], bytes(r["body"])) for r in rows]

    def finish_delivery(self, delivery_id: int, *, events: int, skipped: int, error: str | None,
                        now: float) -> None:
        """Mark a delivery parsed (call inside the transaction that stored its events)."""
        status = "parsed" if error is None else "rejected"
        self.conn.execute(
            "UPDATE deliveries SET status = ?, events = ?, skipped = ?, error = ?, parsed_at = ?"
            " WHERE id = ?",
            (status, events, skipped, error, now, delivery_id),
        )

    def count_deliveries(self, status: str | None = None) -> int:
        """How many deliveries are stored (optionally in one status)."""
        if status is None:
            return self.conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM deliveries WHERE status = ?", (status,)).fetchone()[0]

    # -- events and questions ------------------------------------------------

    def claim_event(self, dedupe_key: str, delivery_id: int, kind: str, now: float) -> bool:
        """Record an event as handled; False when it was seen before (Meta redelivers)."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO events (dedupe_key, delivery_id, kind, handled_at) VALUES (?, ?, ?, ?)",
            (dedupe_key, delivery_id, kind, now),
        )
        return cursor.rowcount == 1

    def insert_question(self, q: NewQuestion, now: float) -> int | None:
        """Store a new question; None when one already exists for that external id."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO questions (source, external_id, author_id, author_name, text,"
            " event_time, post_id, parent_id, group_id, attachments, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                q.source, q.external_id, q.author_id, q.author_name, q.text, q.event_time,
                q.post_id, q.parent_id, q.group_id, json.dumps(list(q.attachments)),
                now, now,
            ),
        )
        return cursor.lastrowid if cursor.rowcount == 1 else None

    def update_question_text(self, external_id: str, text: str, now: float) -> bool:
        """Replace a question's text after the member edited it; False if unknown."""
        cursor = self.conn.execute(
            "UPDATE questions SET text = ?, edited = edited + 1, updated_at = ? WHERE external_id = ?",
            (text, now, external_id),
        )
        return cursor.rowcount > 0

    def mark_question_removed(self, external_id: str, now: float) -> bool:
        """Note that the member deleted (or Meta hid) the comment; False if unknown."""
        cursor = self.conn.execute(
            "UPDATE questions SET status = 'removed', updated_at = ? WHERE external_id = ? AND status != 'removed'",
            (now, external_id),
        )
        return cursor.rowcount > 0

    def list_questions(self, limit: int = 50, offset: int = 0) -> list[dict]:
        """Questions, newest first, as plain dicts ready for JSON."""
        rows = self.conn.execute(
            "SELECT id, source, external_id, author_id, author_name, text, created_at, event_time,"
            " status, post_id, parent_id, group_id, attachments, edited"
            " FROM questions ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [_question_dict(row) for row in rows]

    def count_questions(self) -> int:
        """How many questions are stored."""
        return self.conn.execute("SELECT count(*) FROM questions").fetchone()[0]


def _question_dict(row: sqlite3.Row) -> dict:
    item = dict(row)
    item["attachments"] = json.loads(item["attachments"] or "[]")
    item["created_at"] = _iso(item["created_at"])
    item["event_time"] = _iso(item["event_time"])
    return item


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
