"""SQL for the small key-value table: flags and markers shared between processes (pause, poll requests...)."""

from __future__ import annotations

from bot.store.base import Repository


class KeyValues(Repository):
    """Small named values shared between processes, in the kv table."""

    def get(self, key: str) -> str | None:
        """A stored value, or None."""
        row = self.conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set(self, key: str, value: str, now: float) -> None:
        """Store or replace a value."""
        with self._store.writing() as conn:
            conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, now),
            )

    def delete(self, key: str, *, only_if: str | None = None) -> bool:
        """Remove a value (only when it still equals `only_if`, if given); True if one was removed."""
        with self._store.writing() as conn:
            if only_if is None:
                cursor = conn.execute("DELETE FROM kv WHERE key = ?", (key,))
            else:
                cursor = conn.execute("DELETE FROM kv WHERE key = ? AND value = ?", (key, only_if))
        return cursor.rowcount > 0
