"""SQL for what the Page was seen saying (Messenger echoes, its own comments), which settles lost sends."""

from __future__ import annotations

from bot.store.base import Repository


class PageEchoes(Repository):
    """What the Page was seen saying, by echo key (first sighting wins)."""

    def record(self, echo_key: str, external_id: str, now: float) -> bool:
        """Remember that the Page was seen saying something (first sighting wins)."""
        cursor = self.conn.execute(
            "INSERT INTO page_echoes (echo_key, external_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (echo_key, external_id, now))
        return cursor.rowcount == 1

    def get(self, echo_key: str) -> str | None:
        """The id of what the Page was seen saying under this key, or None."""
        row = self.conn.execute("SELECT external_id FROM page_echoes WHERE echo_key = ?", (echo_key,)).fetchone()
        return row[0] if row else None
