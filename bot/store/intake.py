"""SQL for the intake's raw side: webhook deliveries and the events already handled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.base import Repository

# The worker's read of new deliveries, named so the query-plan test can check it.
UNPARSED_SQL = "SELECT id, received_at, body FROM deliveries WHERE status = 'new' ORDER BY id LIMIT ?"


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
    mentions: tuple[str, ...] = ()  # names the comment tags, left out when it is judged
    no_reply_reason: str | None = None  # why it gets no suggestion whatever it says


class Deliveries(Repository):
    """Raw webhook deliveries and the dedupe record of events handled from them."""

    def insert(self, rows: Sequence[tuple[bytes, float]], *, within: float | None = None) -> None:
        """Commit raw webhook bodies (body, received_at) in one transaction (giving up after `within` seconds).

        Not serialised: a plain insert is safe beside any other writer, and several web processes take
        deliveries side by side without waiting for the worker's transactions."""
        with (self._store.transaction(serialised=False) if within is None
              else self._store.transaction_within(within, serialised=False)) as conn:
            conn.executemany("INSERT INTO deliveries (body, received_at) VALUES (?, ?)", rows)

    def unparsed(self, limit: int = 50) -> list[Delivery]:
        """Oldest deliveries not yet turned into events."""
        rows = self.conn.execute(
            UNPARSED_SQL,
            (limit,),
        ).fetchall()
        return [Delivery(r["id"], r["received_at"], bytes(r["body"])) for r in rows]

    def finish(self, delivery_id: int, *, events: int, skipped: int, error: str | None, now: float) -> None:
        """Mark a delivery parsed (call inside the transaction that stored its events)."""
        status = "parsed" if error is None else "rejected"
        self.conn.execute(
            "UPDATE deliveries SET status = ?, events = ?, skipped = ?, error = ?, parsed_at = ?"
            " WHERE id = ?",
            (status, events, skipped, error, now, delivery_id),
        )

    def count(self, status: str | None = None) -> int:
        """How many deliveries are stored (optionally in one status)."""
        if status is None:
            return self.conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM deliveries WHERE status = ?", (status,)).fetchone()[0]

    def claim_event(self, dedupe_key: str, delivery_id: int, kind: str, now: float) -> bool:
        """Record an event as handled; False when it was seen before (Meta redelivers)."""
        cursor = self.conn.execute(
            "INSERT INTO events (dedupe_key, delivery_id, kind, handled_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (dedupe_key, delivery_id, kind, now),
        )
        return cursor.rowcount == 1
