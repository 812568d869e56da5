"""``/admin/faq``: the knowledge base's intents and answers, and what the bot would say to a message."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as N_

from bot.answers.knowledge import LANGUAGES, PRIORITY_CLASSES, FaqFileError, KnowledgeBase
from bot.answers.responder import Answer, reply_values
from bot.replies.quality import GATE_DAYS, Quality, quality_by_intent
from webhooks.admin.blueprint import bp
from webhooks.admin.chart import NARROW, WIDE, stacked_bars
from webhooks.admin.knowledge import current_responder
from webhooks.admin.words import confidence_label, intent_label
from webhooks.services import services

MAX_TRIAL_CHARS = 2000
QUALITY_DAYS = (30, 90)
# The admins' decisions on the bot's suggestions (bot/replies/quality.py), in the order the page lists them.
DECISION_LABELS = (("approved", N_("Approved unchanged")), ("edited", N_("Edited")), ("relabelled", N_("Relabelled")),
                   ("rejected", N_("Rejected")))
LANGUAGE_LABELS = {"en": N_("English"), "es": N_("Spanish"), "mixed": N_("English and Spanish (answered in Spanish)")}
PRIORITY_LABELS = {number: name for name, number in PRIORITY_CLASSES.items()}
# The ranks of bot/answers/knowledge.py's PRIORITY_CLASSES, in words.
RANK_LABELS = {"urgent": N_("urgent"), "cost": N_("cost"), "legal": N_("legal"), "practical": N_("practical"),
               "language": N_("language"), "consultation": N_("consultation"), "contact": N_("contact"),
               "resource": N_("resource")}


@dataclass(frozen=True)
class Trial:
    """What the bot would do with one message."""

    text: str
    language: str
    intent: str | None  # in words
    confidence: str  # high, medium or low
    reply: str | None
    sensitive: list[str]
    urgent: bool


# POST, not GET: a message pasted here may hold personal data, and URLs end up in access logs.
@bp.route("/faq", methods=("GET", "POST"))
def faq():
    """Every intent with its answers in both languages, and the "Try a message" box."""
    settings = services().settings
    try:
        responder = current_responder(settings)
    except FaqFileError as exc:
        return render_template("admin/faq.html", problem=str(exc), intents=[], trial=None), 500
    trial = None
    if request.method == "POST":
        trial = _trial(responder.answer(request.form.get("message", "")[:MAX_TRIAL_CHARS]))
    values = reply_values(settings)
    return render_template("admin/faq.html", problem=None, intents=_intents(responder.kb, values), trial=trial,
                           quality=_quality(responder.kb, settings.auto_approve_intents))


def _quality(kb: KnowledgeBase, auto_approve: frozenset[str]) -> dict:
    """How the admins decided on each intent's suggestions over 30 and 90 days, with a chart of the 90 days."""
    names = [intent.name for intent in sorted(kb.intents.values(), key=lambda i: i.priority)]
    now = time.time()
    periods = {days: quality_by_intent(services().store, names, now, days) for days in QUALITY_DAYS}
    rows = [{"name": name, "label": intent_label(name), "auto": name in auto_approve,
             "earned": periods[GATE_DAYS][name].earned,
             "periods": {days: _figures(periods[days][name]) for days in QUALITY_DAYS}} for name in names]
    decided = [row for row in rows if row["periods"][GATE_DAYS]["total"]]
    series = {str(label): [row["periods"][GATE_DAYS][kind][0] for row in decided] for kind, label in DECISION_LABELS}
    columns = [row["label"] for row in decided]
    return {"rows": rows, "days": QUALITY_DAYS, "gate_days": GATE_DAYS,
            "charts": {size: stacked_bars(columns, series, size=dims) for size, dims in (("wide", WIDE),
                                                                                        ("narrow", NARROW))}
            if decided else None,
            "columns": columns, "totals": [row["periods"][GATE_DAYS]["total"] for row in decided]}


def _figures(quality: Quality) -> dict:
    """Counts with their share of the decisions: {kind: (count, percent)}, the total, and the labels kept."""
    decided = quality.decisions
    total = decided.total
    figures = {kind: (getattr(decided, kind), round(100 * getattr(decided, kind) / total) if total else None)
               for kind, _label in DECISION_LABELS}
    return {**figures, "total": total, "examples": quality.examples}


def _trial(answer: Answer) -> Trial:
    """The worker's own verdict (`Responder.answer`), worded for the page."""
    return Trial(
        text=answer.text,
        language=str(LANGUAGE_LABELS.get(answer.language, answer.language)),
        intent=intent_label(answer.intent) or None,
        confidence=confidence_label(answer.confidence),
        reply=answer.reply,
        sensitive=[_sensitive(kind) for kind in answer.pii],
        urgent=answer.urgent,
    )


def _intents(kb: KnowledgeBase, values: dict[str, str]) -> list[dict]:
    rows = []
    # Listed as the matcher ranks them: when a message fits several, the higher one answers.
    for intent in sorted(kb.intents.values(), key=lambda i: i.priority):
        replies = {}
        for language in LANGUAGES:
            try:
                replies[str(LANGUAGE_LABELS[language])] = kb.render(intent.name, language, values)
            except (KeyError, ValueError) as exc:
                replies[str(LANGUAGE_LABELS[language])] = _("(cannot be written: %(reason)s)", reason=exc)
        rank = PRIORITY_LABELS.get(intent.priority, str(intent.priority))
        rows.append({
            "name": intent.name,
            "label": intent_label(intent.name),
            "rank": str(RANK_LABELS.get(rank, rank)),
            "public_reply": intent.public_reply,
            "replies": replies,
            "triggers": {str(LANGUAGE_LABELS.get(lang, lang)): phrases for lang, phrases in intent.triggers.items()},
        })
    return rows


def _sensitive(kind: str) -> str:
    # The queue's words for the same kinds of personal data; imported here to keep one list.
    from webhooks.admin.queue import SENSITIVE_LABELS
    return str(SENSITIVE_LABELS.get(kind, kind.replace("_", " ")))
