"""SQL for learned examples: the admins' decisions on member messages, kept as labels to train and measure on."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repository

DECISIONS = ("approved", "edited", "relabelled")
_COLUMNS = "id, question_id, text, language, suggested, intent, decision, decided_by, decided_at"
# The answer engine asks these before each message it judges (are there corrections it has not read?).
LATEST_ID_SQL = "SELECT coalesce(max(id), 0) FROM learned_examples"
AFTER_SQL = f"SELECT {_COLUMNS} FROM learned_examples WHERE id > ? ORDER BY id"

# The auto-approve gate, per suggestion: the decisions on one intent's suggestions since a time, by kind.
# A relabel back to the suggested intent undoes an earlier relabel: it counts neither way.
DECISIONS_ON_SQL = (
    "SELECT decision, count(*) FROM learned_examples WHERE suggested = ? AND decided_at >= ?"
    " AND (decision != 'relabelled' OR coalesce(intent, '') != coalesce(suggested, '')) GROUP BY decision")
# The FAQ page: the decisions on every intent's suggestions since a time, and the labels kept per intent.
DECISIONS_SINCE_SQL = (
    "SELECT suggested, decision, count(*) FROM learned_examples WHERE decided_at >= ? AND suggested IS NOT NULL"
    " AND (decision != 'relabelled' OR coalesce(intent, '') != coalesce(suggested, '')) GROUP BY suggested, decision")
LABELS_SINCE_SQL = "SELECT intent, count(*) FROM learned_examples WHERE decided_at >= ? GROUP BY intent"
# An admin's decision already kept for a question (approving a relabelled reply adds no second label).
OF_QUESTION_SQL = f"SELECT {_COLUMNS} FROM learned_examples WHERE question_id = ? ORDER BY id"


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
            row = conn.execute(
                "INSERT INTO learned_examples (question_id, text, language, suggested, intent, decision, decided_by,"
                " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (question_id, text, language, suggested, intent, decision, decided_by, now)).fetchone()
            return int(row[0])

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

    def of_question(self, question_id: int) -> list[LearnedExample]:
        """The decisions kept for one question, oldest first."""
        return [LearnedExample(*row) for row in self.conn.execute(OF_QUESTION_SQL, (question_id,)).fetchall()]

    def remove(self, example_id: int) -> None:
        """Forget one decision (an admin's later relabel of the same question replaces it)."""
        with self._store.writing() as conn:
            conn.execute("DELETE FROM learned_examples WHERE id = ?", (example_id,))

    def decisions_on(self, suggested: str, since: float) -> dict[str, int]:
        """Decisions on suggestions of one intent since `since`: {'approved': n, 'edited': n, 'relabelled': n}."""
        counted = dict(self.conn.execute(DECISIONS_ON_SQL, (suggested, since)).fetchall())
        return {decision: int(counted.get(decision, 0)) for decision in DECISIONS}

    def decisions_since(self, since: float) -> dict[str, dict[str, int]]:
        """Per suggested intent, the decisions on its suggestions since `since` (as `decisions_on`)."""
        found: dict[str, dict[str, int]] = {}
        for suggested, decision, count in self.conn.execute(DECISIONS_SINCE_SQL, (since,)).fetchall():
            found.setdefault(suggested, dict.fromkeys(DECISIONS, 0))[decision] = int(count)
        return found

    def labels_since(self, since: float) -> dict[str | None, int]:
        """How many examples label each intent (None: no reply) since `since`."""
        return {intent: int(count) for intent, count in self.conn.execute(LABELS_SINCE_SQL, (since,)).fetchall()}

    def latest_id(self) -> int:
        """The id of the newest example, or 0 when there is none."""
        return int(self.conn.execute(LATEST_ID_SQL).fetchone()[0])
