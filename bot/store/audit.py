"""SQL for the audit log: who did what in the dashboard or on the command line."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Cursor, Page, Repository, Side, cursor_params, keyset_clauses, keyset_page

# Newest first, read from audit_log_newest.
AUDIT_SORT_KEY = ("at", "id")


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

    def newest(self, limit: int = 100) -> list[AuditEntry]:
        """The newest audit entries, newest first."""
        return self.page(limit).rows

    def page(self, limit: int = 100, cursor: Cursor | None = None) -> Page[AuditEntry]:
        """A page of audit entries, newest first, from ``cursor`` on."""
        rows = self.conn.execute(audit_page_sql(cursor.side if cursor else None),
                                 {"limit": limit + 1, **cursor_params(cursor)}).fetchall()
        return keyset_page([((row["at"], row["id"]), AuditEntry(**dict(row))) for row in rows], limit, cursor)


def audit_page_sql(side: Side | None = None) -> str:
    """The statement reading one page of the audit log (``side``: of the cursor, None for the first page)."""
    condition, order = keyset_clauses(AUDIT_SORT_KEY, True, side)
    return f"SELECT id, at, actor, action, subject, detail FROM audit_log WHERE {condition} ORDER BY {order} LIMIT :limit"
