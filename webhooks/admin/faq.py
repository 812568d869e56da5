"""``/admin/faq``: the knowledge base's intents and answers, and what the bot would say to a message."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from flask import render_template, request

from bot.answers.knowledge import LANGUAGES, PRIORITY_CLASSES, FaqFileError, KnowledgeBase
from bot.answers.loading import load_knowledge_base
from bot.answers.responder import Answer, Responder, reply_values
from bot.config import Settings
from webhooks.admin.blueprint import bp
from webhooks.services import services

MAX_TRIAL_CHARS = 2000
LANGUAGE_LABELS = {"en": "English", "es": "Spanish", "mixed": "English and Spanish (answered in Spanish)"}
PRIORITY_LABELS = {number: name for name, number in PRIORITY_CLASSES.items()}


@dataclass(frozen=True)
class Trial:
    """What the bot would do with one message."""

    text: str
    language: str
    intent: str | None
    confidence: float
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
        language=LANGUAGE_LABELS.get(answer.language, answer.language),
        intent=answer.intent,
        confidence=answer.confidence,
        reply=answer.reply,
        sensitive=[kind.replace("_", " ") for kind in answer.pii],
        urgent=answer.urgent,
    )


def _intents(kb: KnowledgeBase, values: dict[str, str]) -> list[dict]:
    rows = []
    # Listed as the matcher ranks them: when a message fits several, the higher one answers.
    for intent in sorted(kb.intents.values(), key=lambda i: i.priority):
        replies = {}
        for language in LANGUAGES:
            try:
                replies[LANGUAGE_LABELS[language]] = kb.render(intent.name, language, values)
            except (KeyError, ValueError) as exc:
                replies[LANGUAGE_LABELS[language]] = f"(cannot be written: {exc})"
        rows.append({
            "name": intent.name,
            "rank": PRIORITY_LABELS.get(intent.priority, str(intent.priority)),
            "public_reply": intent.public_reply,
            "replies": replies,
            "triggers": {LANGUAGE_LABELS.get(lang, lang): phrases for lang, phrases in intent.triggers.items()},
        })
    return rows


def _responder(settings: Settings) -> Responder:
    """The worker's responder for these settings, reloaded when the firm's FAQ file changes."""
    path = settings.faq_file
    modified = os.stat(path).st_mtime_ns if path and os.path.exists(path) else 0
    return _load(path or None, modified, tuple(reply_values(settings).items()), settings.auto_approve_intents)


@functools.lru_cache(maxsize=4)
def _load(path: str | None, modified: int, values: tuple[tuple[str, str], ...],
          auto_approve: frozenset[str]) -> Responder:
    return Responder(load_knowledge_base(path), dict(values), auto_approve)
