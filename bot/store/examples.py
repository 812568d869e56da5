"""SQL for learned examples: the admins' decisions on member messages, kept as labels to train and measure on."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repository

DECISIONS = ("approved", "edited", "relabelled")
_COLUMNS = "id, question_id, text, language, suggested, intent, decision, decided_by, decided_at"
# The answer engine asks these before each message it judges (are there corrections it has not read?).
LATEST_ID_SQL = "SELECT coalesce(max(id), 0) FROM learned_examples"
AFTER_SQL = f"SELECT {_COLUMNS} FROM learned_examples WHERE id > ? ORDER BY id"


@dataclass(frozen=True)
class LearnedExample:
    """One admin decision: the message, what groupbot suggested, and the intent the admin settled on."""

    id: int
    question_id: int | None
    text: str
    language: str
    suggested: str | None
    intent: str | None  # None: the admin decided no reply is right
    decision: str  # one of DECISIONS
    decided_by: str | None
    decided_at: float


class LearnedExamples(Repository):
    """The admins' decisions, oldest first."""

    def add(self, *, question_id: int | None, text: str, language: str, suggested: str | None,
            intent: str | None, decision: str, decided_by: str | None, now: float) -> int:
        """Keep one decision as a labelled example; returns its id."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        with self._store.writing() as conn:
            cursor = conn.execute(
                "INSERT INTO learned_examples (question_id, text, language, suggested, intent, decision, decided_by,"
                " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (question_id, text, language, suggested, intent, decision, decided_by, now))
            return int(cursor.lastrowid)

    def after(self, example_id: int = 0) -> list[LearnedExample]:
        """The examples kept after `example_id`, oldest first (all of them for 0)."""
        rows = self.conn.execute(AFTER_SQL, (example_id,)).fetchall()
        return [LearnedExample(*row) for row in rows]

    def decided_since(self, since: float) -> list[LearnedExample]:
        """The examples decided at or after `since`, oldest first."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM learned_examples WHERE decided_at >= ? ORDER BY decided_at, id",
            (since,)).fetchall()
        return [LearnedExample(*row) for row in rows]

    def latest_id(self) -> int:
        """The id of the newest example, or 0 when there is none."""
        return int(self.conn.execute(LATEST_ID_SQL).fetchone()[0])
