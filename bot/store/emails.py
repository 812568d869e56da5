"""SQL for the queue of alert e-mails to the admins."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repository

# The worker's statements, named so the query-plan test can check them.
QUEUED_SINCE_SQL = "SELECT 1 FROM admin_emails WHERE subject = ? AND created_at >= ? LIMIT 1"
DUE_SQL = ("SELECT id, subject, body, attempts FROM admin_emails WHERE status = 'pending' AND next_attempt_at <= ?"
           " ORDER BY id LIMIT ?")
HAS_DUE_SQL = "SELECT 1 FROM admin_emails WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1"


@dataclass(frozen=True)
class QueuedEmail:
    """An alert e-mail waiting to be sent."""

    id: int
    subject: str
    body: str
    attempts: int


@dataclass(frozen=True)
class AdminEmail:
    """An alert e-mail as stored, whatever its status."""

    id: int
    dedupe_key: str | None
    subject: str
    body: str
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: float
    sent_at: float | None


class AdminEmails(Repository):
    """Alert e-mails to the admins, queued in a transaction and sent by the worker."""

    def queue(self, subject: str, body: str, now: float, *, dedupe_key: str | None = None) -> int | None:
        """Queue an e-mail due now; None when one with this dedupe key exists. Joins the caller's transaction."""
        with self._store.writing() as conn:
            row = conn.execute(
                "INSERT INTO admin_emails (dedupe_key, subject, body, next_attempt_at, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (dedupe_key, subject, body, now, now)).fetchone()
        return row[0] if row else None

    def queued_since(self, subject: str, since: float) -> bool:
        """Whether an e-mail with this subject was queued at or after `since` (to damp repeated alerts)."""
        return self.conn.execute(QUEUED_SINCE_SQL, (subject, since)).fetchone() is not None

    def due(self, now: float, limit: int = 20) -> list[QueuedEmail]:
        """Pending e-mails that are due, oldest first."""
        rows = self.conn.execute(
DUE_SQL, (now, limit)).fetchall()
        return [QueuedEmail(*row) for row in rows]

    def has_due(self, now: float) -> bool:
        """Whether any pending e-mail is due (cheap: asked on every worker pass)."""
        return self.conn.execute(HAS_DUE_SQL, (now,)).fetchone() is not None

    def finish(self, email_id: int, now: float, *, error: str | None = None,
               retry_at: float | None = None) -> None:
        """Record an attempt: sent (no error), retried at `retry_at`, or failed for good."""
        status = "sent" if error is None else "pending" if retry_at is not None else "failed"
        with self._store.writing() as conn:
            conn.execute(
                "UPDATE admin_emails SET status = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = coalesce(?, next_attempt_at), sent_at = CASE WHEN ? = 'sent' THEN ? END"
                " WHERE id = ?", (status, error, retry_at, status, now, email_id))

    def failing(self) -> tuple[int, AdminEmail | None]:
        """How many e-mails the server has refused and are not sent (retrying or given up), and the newest."""
        where = "FROM admin_emails WHERE status != 'sent' AND last_error IS NOT NULL"
        count = self.conn.execute(f"SELECT count(*) {where}").fetchone()[0]
        row = self.conn.execute(f"SELECT * {where} ORDER BY id DESC LIMIT 1").fetchone()
        return count, AdminEmail(**dict(row)) if row else None

    def newest(self, limit: int = 50) -> list[AdminEmail]:
        """Alert e-mails newest first (for checks and tests)."""
        rows = self.conn.execute("SELECT * FROM admin_emails ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [AdminEmail(**dict(row)) for row in rows]
