"""SQL for what a dry-run leaves behind: demo blog entries, recorded calls, simulated questions and replies."""

from __future__ import annotations

from bot.store.base import Repository

# Children before parents (foreign keys). Kept: admins, their sessions and sign-in throttling, the audit log, and
# the schema; generated secrets live in a file, not here.
DRY_RUN_TABLES = ("replies", "blog_entries", "events", "questions", "deliveries", "page_echoes", "outbox_jobs",
                  "graph_calls", "websub_subscriptions", "feed_state", "admin_emails", "kv", "leases")
# What the confirmation names, in words an office reads.
DESCRIBED = {"deliveries": "deliveries", "questions": "questions", "replies": "replies",
             "blog_entries": "blog entries", "outbox_jobs": "outbox jobs", "graph_calls": "recorded Meta calls"}


class DryRunData(Repository):
    """Everything groupbot stored except the admins and the audit log."""

    def counts(self) -> dict[str, int]:
        """Rows per table that `remove` would delete, for the tables an office would recognise."""
        return {name: self.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in DESCRIBED}

    def remove(self) -> None:
        """Delete every row of the dry-run tables in one transaction, then give the space back to the disk."""
        with self._store.transaction() as conn:
            for name in DRY_RUN_TABLES:
                conn.execute(f"DELETE FROM {name}")
        # VACUUM rewrites the file, so deleted text is not left in free pages.
        self.conn.execute("VACUUM")
