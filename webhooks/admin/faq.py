"""``/admin/faq``: the knowledge base's intents and answers, and what the bot would say to a message."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from flask import render_template, request

from bot.answers import guard
from bot.answers.knowledge import LANGUAGES, PRIORITY_CLASSES, FaqFileError, KnowledgeBase
from bot.answers.loading import load_knowledge_base
from bot.answers.matcher import FaqMatcher
from bot.config import Settings
from webhooks import services
from webhooks.admin import bp

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
        kb, matcher = _knowledge(settings.faq_file)
    except FaqFileError as exc:
        return render_template("admin/faq.html", problem=str(exc), intents=[], trial=None), 500
    trial = None
    if request.method == "POST":
        trial = _try(kb, matcher, request.form.get("message", "")[:MAX_TRIAL_CHARS], _values(settings))
    return render_template("admin/faq.html", problem=None, intents=_intents(kb, _values(settings)), trial=trial)


def _try(kb: KnowledgeBase, matcher: FaqMatcher, text: str, values: dict[str, str]) -> Trial:
    match = matcher.match(text)
    reply = kb.render(match.intent, match.language, values) if match.intent else None
    return Trial(
        text=text,
        language=LANGUAGE_LABELS.get(match.language, match.language),
        intent=match.intent,
        confidence=match.confidence,
        reply=reply,
        sensitive=[kind.replace("_", " ") for kind in guard.find_sensitive(text)],
        urgent=guard.is_urgent(text),
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


def _values(settings: Settings) -> dict[str, str]:
    return {
        "text_number": settings.text_number,
        "call_number": settings.call_number,
        "resource_center_url": settings.resource_center_url,
        "group_url": settings.group_url,
        "firm_name": settings.firm_name,
    }


def _knowledge(path: str) -> tuple[KnowledgeBase, FaqMatcher]:
    """The knowledge base and its matcher, reloaded when the firm's file changes."""
    modified = os.stat(path).st_mtime_ns if path and os.path.exists(path) else 0
    return _load(path or None, modified)


@functools.lru_cache(maxsize=4)
def _load(path: str | None, modified: int) -> tuple[KnowledgeBase, FaqMatcher]:
    kb = load_knowledge_base(path)
    return kb, FaqMatcher(kb)
