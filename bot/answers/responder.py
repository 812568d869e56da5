"""What groupbot would answer to one message: intent, language, personal data, urgency and the reply text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answers import guard
from bot.answers.combine import decide
from bot.answers.knowledge import KnowledgeBase, fill_template, reply_language
from bot.answers.loading import load_knowledge_base
from bot.answers.matcher import URGENT_INTENT, FaqMatcher
from bot.answers.memory import MISSING, Corrections
from bot.answers.signals import asks_something
from bot.answers.versions import ModelSlot
from bot.config import Settings

REMEMBERED_CONFIDENCE = 0.99  # an admin judged this very message


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
    """Judges messages with the firm's knowledge base, its trained model and its corrections; fills replies from
    the settings.

    Without a trained model (a fresh install) the rules answer alone; `bot.answers.combine` says how the two
    make one verdict once a model is there. An admin's correction of the same message wins over both.
    """

    def __init__(self, kb: KnowledgeBase, values: dict[str, str], auto_approve: frozenset[str] = frozenset(),
                 *, models: ModelSlot | None = None, corrections: Corrections | None = None):
        self.kb = kb
        self.matcher = FaqMatcher(kb)
        self.values = dict(values)
        self.auto_approve = auto_approve
        self.models = models
        self.corrections = corrections or Corrections()

    @classmethod
    def from_settings(cls, settings: Settings, store=None) -> "Responder":
        """The responder for these settings (the model in DATA_DIR, the corrections in `store`); raises
        FaqFileError (one line) for an unusable FAQ_FILE."""
        kb = load_knowledge_base(settings.faq_file or None)
        return cls(kb, reply_values(settings), settings.auto_approve_intents,
                   models=ModelSlot(settings.data_dir), corrections=Corrections(store))

    def answer(self, text: str) -> Answer:
        """Classify a message and write the reply it would get; never raises for odd text."""
        if not isinstance(text, str):
            text = str(text)
        rule_urgent = guard.is_urgent(text)
        match = self.matcher.match(text, urgent=rule_urgent)
        model = self.models.get() if self.models is not None else None
        remembered = self.corrections.lookup(text)
        if remembered is not MISSING and (remembered is None or remembered in self.kb.intents):
            intent, confidence = remembered, REMEMBERED_CONFIDENCE
            urgent = rule_urgent or intent == URGENT_INTENT or bool(
                model and model.scores(text).urgent_probability >= model.urgent_threshold)
        elif model is not None:
            verdict = decide(model.scores(text), rule_intent=match.intent, rule_confidence=match.confidence,
                             rule_urgent=rule_urgent, known_intents=self.kb.intents,
                             answer_threshold=model.answer_threshold, urgent_threshold=model.urgent_threshold,
                             strong_rule_accuracy=model.strong_rule_accuracy)
            intent, confidence, urgent = verdict.intent, verdict.confidence, verdict.urgent
        else:
            intent, confidence = match.intent, match.confidence
            urgent = intent == URGENT_INTENT or rule_urgent
        automated = intent in self.auto_approve
        reply = self.render(intent, match.language, automated=automated) if intent else None
        return Answer(text=text, intent=intent, confidence=confidence, language=match.language,
                      reply_language=reply_language(match.language), reply=reply,
                      pii=guard.find_sensitive(text), urgent=urgent, automated=automated,
                      asks=intent is not None or asks_something(text))

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
