"""What groupbot would answer to one message: intent, language, personal data, urgency and the reply text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answers import guard
from bot.answers.knowledge import KnowledgeBase, fill_template, reply_language
from bot.answers.loading import load_knowledge_base
from bot.answers.matcher import URGENT_INTENT, FaqMatcher
from bot.answers.signals import asks_something
from bot.config import Settings


@dataclass(frozen=True)
class Answer:
    """The verdict on one message; `reply` is None when groupbot gives no reply."""

    text: str
    intent: str | None
    confidence: float
    language: str  # 'en' | 'es' | 'mixed' (the member's)
    reply_language: str  # 'en' | 'es' (the reply's)
    reply: str | None
    pii: list[str]
    urgent: bool
    automated: bool  # the reply would go out without approval, with the disclosure
    asks: bool = False  # it asks something, answered by the FAQ or not (then it waits for a person)

    def as_json(self) -> dict:
        """The fields of `groupbot answer --json`."""
        return {"text": self.text, "intent": self.intent, "confidence": self.confidence,
                "language": self.language, "reply": self.reply, "pii": self.pii, "urgent": self.urgent}


class Responder:
    """Judges messages with the firm's knowledge base and fills replies from the settings."""

    def __init__(self, kb: KnowledgeBase, values: dict[str, str], auto_approve: frozenset[str] = frozenset()):
        self.kb = kb
        self.matcher = FaqMatcher(kb)
        self.values = dict(values)
        self.auto_approve = auto_approve

    @classmethod
    def from_settings(cls, settings: Settings) -> "Responder":
        """The responder for these settings; raises FaqFileError (one line) for an unusable FAQ_FILE."""
        kb = load_knowledge_base(settings.faq_file or None)
        return cls(kb, reply_values(settings), settings.auto_approve_intents)

    def answer(self, text: str) -> Answer:
        """Classify a message and write the reply it would get; never raises for odd text."""
        match = self.matcher.match(text)
        urgent = match.intent == URGENT_INTENT or guard.is_urgent(text)
        automated = match.intent in self.auto_approve
        reply = self.render(match.intent, match.language, automated=automated) if match.intent else None
        return Answer(text=text, intent=match.intent, confidence=match.confidence, language=match.language,
                      reply_language=reply_language(match.language), reply=reply,
                      pii=guard.find_sensitive(text), urgent=urgent, automated=automated,
                      asks=match.intent is not None or asks_something(text))

    def render(self, intent: str, language: str, *, automated: bool = False) -> str:
        """An intent's reply in a language, with the disclaimer (and the disclosure when automated)."""
        return self.kb.render(intent, language, self.values, automated=automated)

    def disclaimers(self) -> dict[str, str]:
        """The firm's disclaimer per reply language ('en', 'es'), as every reply ends."""
        return {lang: fill_template(text, self.values) for lang, text in self.kb.notices["disclaimer"].items()}

    def allows_public_reply(self, intent: str) -> bool:
        """Whether the FAQ entry lets a Page comment be answered in public."""
        entry = self.kb.intents.get(intent)
        return bool(entry and entry.public_reply)


def reply_values(settings: Settings) -> dict[str, str]:
    """The firm's details that reply templates may use."""
    return {"text_number": settings.text_number, "call_number": settings.call_number,
            "resource_center_url": settings.resource_center_url, "group_url": settings.group_url,
            "firm_name": settings.firm_name}
