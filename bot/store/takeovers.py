"""SQL for human takeover: Messenger members a person is answering by hand, until when."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repository

# Read for every Messenger suggestion (is a person talking to this member?), by primary key.
ACTIVE_TAKEOVER_SQL = "SELECT member_id, started_at, last_staff_at, until, by FROM human_takeovers WHERE member_id = ?"


@dataclass(frozen=True)
class Takeover:
    """A person talking to a member: since when, their last message, until when automation stays off, and who."""

    member_id: str
    started_at: float
    last_staff_at: float
    until: float
    by: str


class HumanTakeovers(Repository):
    """Members a person talks to by hand; the window runs from the person's last message, never the member's."""

    def record(self, member_id: str, at: float, until: float, by: str) -> None:
        """A person wrote to the member at `at`: automation stays off until `until` (a later echo extends it)."""
        self.conn.execute(
            "INSERT INTO human_takeovers AS t (member_id, started_at, last_staff_at, until, by) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET"
            # The stored row's columns named by its table: PostgreSQL reads a bare name as ambiguous here.
            " started_at = CASE WHEN t.until < excluded.last_staff_at THEN excluded.started_at ELSE t.started_at END,"
            " last_staff_at = max(t.last_staff_at, excluded.last_staff_at), until = max(t.until, excluded.until),"
            " by = CASE WHEN excluded.last_staff_at >= t.last_staff_at THEN excluded.by ELSE t.by END",
            (member_id, at, at, until, by))

    def active(self, member_id: str, now: float) -> Takeover | None:
        """The takeover of this member while it lasts, else None."""
        row = self.conn.execute(ACTIVE_TAKEOVER_SQL, (member_id,)).fetchone()
        return Takeover(**dict(row)) if row and row["until"] > now else None
