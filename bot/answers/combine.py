"""How the rules and the learned model make one verdict.

The model decides the intent; the rules keep the last word where they are sure or where the
model cannot know:

- an admin's correction of the same message (the memory) wins over both;
- the rules' urgency cues (someone detained, ICE at the door, a hearing within days) make the
  intent `urgent_detention`, the top of the priority order;
- an intent the model was not trained on (a firm's own, from FAQ_FILE) is the rules' to find;
- the model answers at or above its answer threshold, chosen on cross-validation of the model
  alone; below it (or when it says "no reply"), a strong rule hit (a trigger phrase and a clear
  ask, rule confidence STRONG_RULE or more) still answers, but only when such hits were right
  out of fold at least as often as the threshold asks of the model. Otherwise no suggestion is
  made: a message that asks something still waits for a person at the front desk, which costs
  less than a wrong suggestion to review.

Urgency is judged apart, for recall: the rules' cues OR the model's urgency probability at or
above its low threshold flag a message urgent, whatever its intent.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answers.model import NO_REPLY, Scores

URGENT_INTENT = "urgent_detention"
RULE_URGENT_CONFIDENCE = 0.95
STRONG_RULE = 0.9


@dataclass(frozen=True)
class Verdict:
    """The intent (None: no reply), the probability that this verdict is right, and urgency."""

    intent: str | None
    confidence: float
    urgent: bool
    source: str  # 'memory' | 'model' | 'rules'


def decide(scores: Scores, *, rule_intent: str | None, rule_confidence: float, rule_urgent: bool,
           known_intents, answer_threshold: float, urgent_threshold: float,
           strong_rule_accuracy: float | None = None) -> Verdict:
    """One message's verdict from the model's calibrated scores and the rules' findings.

    `strong_rule_accuracy` is how often a strong rule hit the model did not back was right on cross-validation:
    the confidence of such an answer.
    """
    urgent = rule_urgent or scores.urgent_probability >= urgent_threshold
    probability = dict(zip(scores.classes, scores.probabilities))
    if rule_urgent and URGENT_INTENT in known_intents:
        return Verdict(URGENT_INTENT, _round(max(probability.get(URGENT_INTENT, 0.0), RULE_URGENT_CONFIDENCE)),
                       True, "rules")
    if rule_intent is not None and rule_intent not in probability:
        return Verdict(rule_intent, rule_confidence, urgent, "rules")
    best, p = scores.best()
    if best == NO_REPLY or best not in known_intents or p < answer_threshold:
        trusted = strong_rule_accuracy is None or strong_rule_accuracy >= answer_threshold
        if rule_intent is not None and rule_confidence >= STRONG_RULE and trusted:
            confidence = rule_confidence if strong_rule_accuracy is None else strong_rule_accuracy
            return Verdict(rule_intent, _round(confidence), urgent or rule_intent == URGENT_INTENT, "strong-rule")
        return Verdict(None, _round(probability.get(NO_REPLY, 0.0)), urgent, "model")
    return Verdict(best, _round(p), urgent or best == URGENT_INTENT, "model")


def _round(probability: float) -> float:
    return round(min(float(probability), 0.99), 3)
