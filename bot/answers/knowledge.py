"""The FAQ knowledge base: intents, their bilingual reply templates, and rendering them."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
PLACEHOLDERS = frozenset(
    {"text_number", "call_number", "resource_center_url", "group_url", "firm_name"}
)
MESSENGER_LIMIT = 2000  # Meta refuses Messenger text of 2,000 characters or more
TEMPLATE_LIMIT = 1000

# Lower wins. The order is the labelling guide's (docs/answer-conventions.md): a legal topic
# beats a consultation, which beats a price question; "where / when" beats "in which language".
# A topic named only as the thing being priced loses to `cost` (see the matcher).
PRIORITY_CLASSES: Mapping[str, int] = MappingProxyType({
    "urgent": 0,
    "legal": 1,
    "consultation": 2,
    "cost": 3,
    "practical": 4,
    "language": 5,
    "contact": 6,
    "resource": 7,
})
DEFAULT_PRIORITY_CLASS = "legal"  # firm-added intents rank with the legal topics

DEFAULT_NOTICES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "disclaimer": MappingProxyType({
        "en": "General information, not legal advice.",
        "es": "Información general, no es asesoría legal.",
    }),
    "automated": MappingProxyType({
        "en": "Automated reply from {firm_name}.",
        "es": "Respuesta automática de {firm_name}.",
    }),
})


class FaqFileError(ValueError):
    """A knowledge-base file is unusable; the message is one line naming the problem."""


def frozen_mapping(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Intent:
    """One thing members ask about: its rank, whether a public reply is allowed, its replies."""

    name: str
    priority: int
    public_reply: bool
    replies: Mapping[str, str]
    triggers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: frozen_mapping({}))
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    """Intents in file order plus the disclaimer and automated-reply notice per language."""

    intents: Mapping[str, Intent]
    notices: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_NOTICES)

    def render(
        self,
        intent: str,
        language: str,
        values: Mapping[str, str],
        *,
        automated: bool = False,
    ) -> str:
        """Fill an intent's reply for a language and append the disclaimer.

        'mixed' renders in Spanish: most members are Spanish speakers, and someone who mixes
        the two reads Spanish. ``automated=True`` puts a one-line disclosure first. The result
        is always under Messenger's 2,000 characters. Raises KeyError for an unknown intent or
        a placeholder missing from ``values``, ValueError for an unknown language.
        """
        entry = self.intents[intent]
        lang = reply_language(language)
        body = fill_template(entry.replies[lang], values)
        disclaimer = fill_template(self.notices["disclaimer"][lang], values)
        head = fill_template(self.notices["automated"][lang], values) if automated else ""
        return _fit(head, body, disclaimer)


def reply_language(language: str) -> str:
    """The language to reply in ('mixed' -> 'es'); ValueError unless en, es or mixed."""
    if language == "mixed":
        return "es"
    if language not in LANGUAGES:
        raise ValueError(f"unsupported reply language: {language!r}")
    return language


def template_fields(template: str) -> list[str]:
    """Names of the placeholders in a template; ValueError for malformed braces."""
    names = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise ValueError(f"unsupported placeholder {{{name}}}")
        names.append(name)
    return names


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Substitute placeholders; KeyError names the first placeholder missing from ``values``."""
    names = template_fields(template)
    missing = [name for name in names if name not in values]
    if missing:
        raise KeyError(f"no value for placeholder {{{missing[0]}}}")
    return template.format_map({name: str(values[name]) for name in names})


def _fit(head: str, body: str, disclaimer: str) -> str:
    """Join the parts, shortening the body (never the notices) to stay under the limit."""
    fixed = len(head) + len(disclaimer) + (2 if head else 0) + 2
    room = MESSENGER_LIMIT - 1 - fixed
    if len(body) > room:
        cut = body[: max(room - 1, 0)]
        if " " in cut:
            cut = cut[: cut.rindex(" ")]
        body = cut.rstrip() + "…"
    parts = [head, body, disclaimer] if head else [body, disclaimer]
    return "\n\n".join(parts)[: MESSENGER_LIMIT - 1]
