"""SQL for named leases: which process holds a singleton role (sender, feed poller...) until when."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable

from bot.store.base import Repository


@dataclass(frozen=True)
class Lease:
    """Who holds a named lease, and until when."""

    holder: str
    expires_at: float


class Leases(Repository):
    """Named leases, taken and renewed by one holder at a time."""

    def take(self, name: str, holder: str, now: float, ttl: float, *,
             holder_is_gone: Callable[[str], bool] = lambda holder: False) -> bool:
        """Take or renew the lease `name` for `ttl` seconds; True when `holder` now holds it."""

        def taken(row: sqlite3.Row | None) -> bool:
            return bool(row) and row["holder"] != holder and row["expires_at"] > now \
                and not holder_is_gone(row["holder"])

        query = "SELECT holder, expires_at FROM leases WHERE name = ?"
        # Read first without the write lock: processes that wait for the lease ask on every pass.
        if taken(self.conn.execute(query, (name,)).fetchone()):
            return False
        with self._store.writing() as conn:
            row = conn.execute(query, (name,)).fetchone()
            if taken(row):
                return False
            acquired = now if not row or row["holder"] != holder else None
            conn.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,"
                " acquired_at = coalesce(?, leases.acquired_at)",
                (name, holder, now, now + ttl, acquired),
            )
        return True

    def release(self, name: str, holder: str) -> None:
        """Give the lease up if `holder` holds it."""
        with self._store.writing() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def current(self, name: str) -> Lease | None:
        """Who holds a lease (perhaps expired), or None when nobody ever took it."""
        row = self.conn.execute("SELECT holder, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
        return Lease(row["holder"], row["expires_at"]) if row else None
