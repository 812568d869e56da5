"""``/admin/faq``: the knowledge base's intents and answers, and what the bot would say to a message."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as N_

from bot.answers.knowledge import LANGUAGES, PRIORITY_CLASSES, FaqFileError, KnowledgeBase
from bot.answers.loading import load_knowledge_base
from bot.answers.memory import Corrections
from bot.answers.responder import Answer, Responder, reply_values
from bot.answers.versions import ModelSlot
from bot.config import Settings
from webhooks.admin.blueprint import bp
from webhooks.admin.words import confidence_label, intent_label
from webhooks.services import services

MAX_TRIAL_CHARS = 2000
LANGUAGE_LABELS = {"en": N_("English"), "es": N_("Spanish"), "mixed": N_("English and Spanish (answered in Spanish)")}
PRIORITY_LABELS = {number: name for name, number in PRIORITY_CLASSES.items()}
# The ranks of bot/answers/knowledge.py's PRIORITY_CLASSES, in words.
RANK_LABELS = {"urgent": N_("urgent"), "cost": N_("cost"), "legal": N_("legal"), "practical": N_("practical"),
               "consultation": N_("consultation"), "contact": N_("contact"), "resource": N_("resource")}


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
        responder = _responder(settings)
    except FaqFileError as exc:
        return render_template("admin/faq.html", problem=str(exc), intents=[], trial=None), 500
    trial = None
    if request.method == "POST":
        trial = _trial(responder.answer(request.form.get("message", "")[:MAX_TRIAL_CHARS]))
    values = reply_values(settings)
    return render_template("admin/faq.html", problem=None, intents=_intents(responder.kb, values), trial=trial)


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


def _responder(settings: Settings) -> Responder:
    """The worker's responder for these settings, reloaded when the firm's FAQ file changes."""
    path = settings.faq_file
    modified = os.stat(path).st_mtime_ns if path and os.path.exists(path) else 0
    return _load(path or None, modified, tuple(reply_values(settings).items()), settings.auto_approve_intents,
                 str(settings.data_dir), services().store)


@functools.lru_cache(maxsize=4)
def _load(path: str | None, modified: int, values: tuple[tuple[str, str], ...],
          auto_approve: frozenset[str], data_dir: str, store) -> Responder:
    # The model slot reloads a retrained model by itself, and the corrections follow the database.
    return Responder(load_knowledge_base(path), dict(values), auto_approve,
                     models=ModelSlot(Path(data_dir)), corrections=Corrections(store))
