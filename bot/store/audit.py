"""SQL for the audit log: who did what in the dashboard or on the command line."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repository


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: float
    actor: str
    action: str
    subject: str
    detail: str


class AuditLog(Repository):
    """The append-only audit log."""

    def add(self, at: float, actor: str, action: str, subject: str, detail: str) -> None:
        """Append an audit entry (joins the caller's transaction when inside one)."""
        self.conn.execute(
            "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (at, actor, action, subject, detail),
        )

    def newest(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Audit entries, newest first."""
        rows = self.conn.execute(
            "SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [AuditEntry(**dict(row)) for row in rows]
