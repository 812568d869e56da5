"""SQL for the worker's upkeep: the admin e-mail queue and the purge of member text after the retention period."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable

# Outbox job kinds whose payload holds reply text (kept in step with bot.reply_sending).
REPLY_JOB_KINDS = ("private_reply", "comment_reply", "messenger_reply")


@dataclass(frozen=True)
class QueuedEmail:
    """An alert e-mail waiting to be sent."""

    id: int
    subject: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Purged:
    """How many rows lost their member text in one purge."""

    questions: int
    replies: int
    deliveries: int
    jobs: int
    emails: int


class UpkeepQueries:
    """Admin e-mails and retention (mixed into Store)."""

    conn: sqlite3.Connection
    writing: Callable[[], AbstractContextManager[sqlite3.Connection]]

    # -- admin e-mails ------------------------------------------------------------------------

    def queue_email(self, subject: str, body: str, now: float, *, dedupe_key: str | None = None) -> int | None:
        """Queue an e-mail due now; None when one with this dedupe key exists. Joins the caller's transaction."""
        with self.writing() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO admin_emails (dedupe_key, subject, body, next_attempt_at, created_at)"
                " VALUES (?, ?, ?, ?, ?)", (dedupe_key, subject, body, now, now))
        return cursor.lastrowid if cursor.rowcount == 1 else None

    def email_queued_since(self, subject: str, since: float) -> bool:
        """Whether an e-mail with this subject was queued at or after `since` (to damp repeated alerts)."""
        return self.conn.execute("SELECT 1 FROM admin_emails WHERE subject = ? AND created_at >= ? LIMIT 1",
                                 (subject, since)).fetchone() is not None

    def due_emails(self, now: float, limit: int = 20) -> list[QueuedEmail]:
        """Pending e-mails that are due, oldest first."""
        rows = self.conn.execute(
            "SELECT id, subject, body, attempts FROM admin_emails WHERE status = 'pending' AND next_attempt_at <= ?"
            " ORDER BY id LIMIT ?", (now, limit)).fetchall()
        return [QueuedEmail(*row) for row in rows]

    def has_due_email(self, now: float) -> bool:
        """Whether any pending e-mail is due (cheap: asked on every worker pass)."""
        return self.conn.execute("SELECT 1 FROM admin_emails WHERE status = 'pending' AND next_attempt_at <= ?"
                                 " LIMIT 1", (now,)).fetchone() is not None

    def finish_email(self, email_id: int, now: float, *, error: str | None = None,
                     retry_at: float | None = None) -> None:
        """Record an attempt: sent (no error), retried at `retry_at`, or failed for good."""
        status = "sent" if error is None else "pending" if retry_at is not None else "failed"
        with self.writing() as conn:
            conn.execute(
                "UPDATE admin_emails SET status = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = coalesce(?, next_attempt_at), sent_at = CASE WHEN ? = 'sent' THEN ? END"
                " WHERE id = ?", (status, error, retry_at, status, now, email_id))

    def list_emails(self, limit: int = 50) -> list[dict]:
        """Alert e-mails newest first (for checks and tests)."""
        rows = self.conn.execute("SELECT * FROM admin_emails ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(row) for row in rows]

    # -- retention ----------------------------------------------------------------------------

    def purge_member_text(self, before: float, now: float) -> Purged:
        """Blank member text older than `before`: question text and name, finished replies, raw bodies,
        finished reply jobs' payload text, sent alert bodies. Intents and statuses stay."""
        kinds = ",".join("?" * len(REPLY_JOB_KINDS))
        with self.writing() as conn:
            questions = conn.execute(
                "UPDATE questions SET text = '', author_name = '', purged_at = ? WHERE created_at < ?"
                " AND purged_at IS NULL", (now, before)).rowcount
            replies = conn.execute(
                "UPDATE replies SET text = '' WHERE created_at < ? AND text != ''"
                " AND status NOT IN ('pending', 'approved', 'sending')", (before,)).rowcount
            deliveries = conn.execute(
                "UPDATE deliveries SET body = x'' WHERE received_at < ? AND status != 'new' AND length(body) > 0",
                (before,)).rowcount
            jobs = conn.execute(
                f"UPDATE outbox_jobs SET payload = json_remove(payload, '$.text') WHERE created_at < ?"
                f" AND kind IN ({kinds}) AND status IN ('sent', 'failed', 'dead')"
                f" AND json_extract(payload, '$.text') IS NOT NULL", (before, *REPLY_JOB_KINDS)).rowcount
            emails = conn.execute(
                "UPDATE admin_emails SET body = '' WHERE created_at < ? AND status != 'pending' AND body != ''",
                (before,)).rowcount
        return Purged(questions, replies, deliveries, jobs, emails)
