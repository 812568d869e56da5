"""SQL for the Graph calls dry-run recorded instead of sending them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from bot.store.base import Repository


@dataclass(frozen=True)
class GraphCall:
    """A Graph API call dry-run recorded (params decoded), with the id it made up for the result."""

    id: int
    method: str
    path: str
    params: dict
    result_id: str | None
    created_at: float


class GraphCalls(Repository):
    """The Graph calls dry-run recorded instead of sending, newest first."""

    def record(self, method: str, path: str, params: dict, now: float,
               result_id: Callable[[int], str | None]) -> tuple[int, str | None]:
        """Store a Graph call that dry-run did not send; returns its number and the id made for it."""
        with self._store.writing() as conn:
            call_id = conn.execute(
                "INSERT INTO graph_calls (method, path, params, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                (method, path, json.dumps(params, ensure_ascii=False), now)).fetchone()[0]
            made = result_id(call_id)
            conn.execute("UPDATE graph_calls SET result_id = ? WHERE id = ?", (made, call_id))
        return call_id, made

    def recent(self, limit: int = 50, *, method: str | None = None, path: str | None = None) -> list[GraphCall]:
        """Recorded calls newest first, optionally only one method and path."""
        where, params = "WHERE 1 = 1", []
        if method:
            where, params = where + " AND method = ?", params + [method]
        if path:
            where, params = where + " AND path = ?", params + [path]
        rows = self.conn.execute(
            f"SELECT id, method, path, params, result_id, created_at FROM graph_calls {where}"
            " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        return [GraphCall(**{**dict(row), "params": json.loads(row["params"])}) for row in rows]
