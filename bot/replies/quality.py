"""How well the bot's suggestions of each intent fare with the firm's admins, and the auto-approve gate built on it.

An intent in AUTO_APPROVE_INTENTS goes out unreviewed only when it has earned it on the firm's own decisions:

    precision = approved unchanged / (approved unchanged + edited + relabelled away + rejected)

over the decisions on that intent's suggestions in the last 90 days, which must number at least 30, with
precision at least 0.97; and the answer's confidence must reach AUTO_APPROVE_MIN_CONFIDENCE. Otherwise the
reply waits for an admin, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import Store

DAY = 86400.0
GATE_DAYS = 90
MIN_DECISIONS = 30
MIN_PRECISION = 0.97


@dataclass(frozen=True)
class Decisions:
    """The admins' decisions on one intent's suggestions over a period."""

    intent: str
    approved: int  # approved unchanged
    edited: int  # approved after an edit
    relabelled: int  # changed to another intent, or to no reply
    rejected: int

    @property
    def total(self) -> int:
        """Every decision on these suggestions."""
        return self.approved + self.edited + self.relabelled + self.rejected

    @property
    def precision(self) -> float | None:
        """The share approved unchanged; None without any decision."""
        return self.approved / self.total if self.total else None


def decisions_on(store: Store, intent: str, now: float, days: int = GATE_DAYS) -> Decisions:
    """The decisions on `intent`'s suggestions over the last `days` days (index reads only)."""
    since = now - days * DAY
    kept = store.examples.decisions_on(intent, since)
    return Decisions(intent, kept["approved"], kept["edited"], kept["relabelled"],
                     store.replies.rejected_since(intent, since))


def review_reason(store: Store, intent: str, confidence: float, min_confidence: float, now: float) -> str | None:
    """Why a suggestion of an auto-approved intent must wait for an admin, or None when it may go out by itself."""
    reasons = []
    if confidence < min_confidence:
        reasons.append(f"confidence {confidence:.2f} is below {min_confidence:.2f}")
    decided = decisions_on(store, intent, now)
    if decided.total < MIN_DECISIONS:
        reasons.append(f"{decided.total} decisions on {intent} in {GATE_DAYS} days, {MIN_DECISIONS} needed")
    elif decided.precision < MIN_PRECISION:
        reasons.append(f"{decided.approved} of {decided.total} suggestions of {intent} approved unchanged in "
                       f"{GATE_DAYS} days ({decided.precision:.1%}), {MIN_PRECISION:.0%} needed")
    return "waiting for approval: " + "; ".join(reasons) if reasons else None


@dataclass(frozen=True)
class Quality:
    """One intent's figures over a period: the decisions on its suggestions, and the examples labelled with it."""

    decisions: Decisions
    examples: int

    @property
    def earned(self) -> bool:
        """Whether these decisions (over GATE_DAYS) let the intent go out unreviewed, confidence permitting."""
        precision = self.decisions.precision
        return self.decisions.total >= MIN_DECISIONS and precision is not None and precision >= MIN_PRECISION


def quality_by_intent(store: Store, intents: list[str], now: float, days: int) -> dict[str, Quality]:
    """Each intent's figures over the last `days` days (a few index reads per intent)."""
    since = now - days * DAY
    kept = store.examples.decisions_since(since)
    labels = store.examples.labels_since(since)
    found = {}
    for intent in intents:
        counted = kept.get(intent, {})
        decided = Decisions(intent, counted.get("approved", 0), counted.get("edited", 0),
                            counted.get("relabelled", 0), store.replies.rejected_since(intent, since))
        found[intent] = Quality(decided, labels.get(intent, 0))
    return found
