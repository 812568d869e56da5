"""Words for the bot's own names: intents and how sure the bot is, in the dashboard's language."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext

# The intents of bot/answers/default.toml. A firm's own intents are shown by their name, made readable.
INTENT_LABELS = {
    "contact": lazy_gettext("Contact"),
    "consultation": lazy_gettext("Consultation"),
    "resource_center": lazy_gettext("Resource center"),
    "urgent_detention": lazy_gettext("Urgent detention"),
    "asylum": lazy_gettext("Asylum"),
    "work_permit": lazy_gettext("Work permit"),
    "green_card": lazy_gettext("Green card"),
    "citizenship": lazy_gettext("Citizenship"),
    "daca": lazy_gettext("DACA"),
    "visa": lazy_gettext("Visa"),
    "language": lazy_gettext("Languages spoken"),
    "location_hours": lazy_gettext("Location and hours"),
    "fees": lazy_gettext("Fees"),
}

# How sure the matcher is (0 to 1), in three words. A strong trigger phrase scores 0.9 and up,
# a weak or misspelt one about 0.7 to 0.85, and a hedged request is scaled down by 0.85.
HIGH_CONFIDENCE = 0.85
MEDIUM_CONFIDENCE = 0.6


def intent_label(name: str | None) -> str:
    """An intent's name in words ('urgent_detention' -> 'Urgent detention'); '' for none."""
    if not name:
        return ""
    label = INTENT_LABELS.get(name)
    if label is not None:
        return str(label)
    readable = name.replace("_", " ").replace("-", " ").strip()
    return readable[:1].upper() + readable[1:]


def confidence_label(confidence: float) -> str:
    """'high', 'medium' or 'low' (see the thresholds above)."""
    if confidence >= HIGH_CONFIDENCE:
        return gettext("high")
    if confidence >= MEDIUM_CONFIDENCE:
        return gettext("medium")
    return gettext("low")
