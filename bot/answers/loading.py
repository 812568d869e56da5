"""Reading knowledge-base TOML files: the bundled default, then a firm's file laid over it."""

from __future__ import annotations

import os
import re
from importlib import resources
from typing import Any, Mapping

import tomllib

from bot.answers.knowledge import (
    DEFAULT_PRIORITY_CLASS,
    LANGUAGE_NAMES,
    LANGUAGES,
    PLACEHOLDERS,
    PRIORITY_CLASSES,
    TEMPLATE_LIMIT,
    FaqFileError,
    Intent,
    KnowledgeBase,
    frozen_mapping,
    template_fields,
)
from bot.answers.text import phrase_tokens

DEFAULT_FILE = "default.toml"
TOP_KEYS = frozenset({"notices", "intent"})
INTENT_KEYS = frozenset({"name", "priority", "public_reply", "reply", "triggers", "exclude"})
NOTICE_KEYS = ("disclaimer", "automated")
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def load_knowledge_base(path: str | os.PathLike | None = None) -> KnowledgeBase:
    """Load the bundled knowledge base, with a firm's file laid over it when ``path`` is given.

    A firm's intent replaces the bundled one of the same name (its triggers add to the
    bundled ones); new names are added after the bundled intents. Raises FaqFileError with
    one line naming the file and the problem.
    """
    bundled = resources.files("bot.answers").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    base = _build(_parse(bundled, f"bundled {DEFAULT_FILE}"), f"bundled {DEFAULT_FILE}", None)
    if path is None:
        return base
    label = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise FaqFileError(f"{label}: cannot read FAQ file: {exc.__class__.__name__}") from None
    return _build(_parse(text, label), label, base)


def _parse(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FaqFileError(f"{label}: not valid TOML: {exc}") from None


def _build(doc: Mapping[str, Any], label: str, base: KnowledgeBase | None) -> KnowledgeBase:
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise FaqFileError(
            f"{label}: unknown top-level key {unknown[0]!r} (allowed: intent, notices)"
        )
    intents = dict(base.intents) if base else {}
    seen: set[str] = set()
    for index, raw in enumerate(_intent_tables(doc, label), start=1):
        intent = _intent(raw, index, label, intents.get(str(raw.get("name"))))
        if intent.name in seen:
            raise FaqFileError(f"{label}: duplicate intent {intent.name!r}")
        seen.add(intent.name)
        intents[intent.name] = intent
    if not intents:
        raise FaqFileError(f"{label}: no [[intent]] tables")
    notices = _notices(doc.get("notices"), label, base)
    return KnowledgeBase(intents=frozen_mapping(intents), notices=notices)


def _intent_tables(doc: Mapping[str, Any], label: str) -> list[Mapping[str, Any]]:
    tables = doc.get("intent", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise FaqFileError(f"{label}: 'intent' must be a list of [[intent]] tables")
    return tables


def _intent(raw: Mapping[str, Any], index: int, label: str, known: Intent | None) -> Intent:
    where = f"{label}: intent #{index}"
    if "name" not in raw:
        raise FaqFileError(f"{where} is missing required key 'name'")
    name = raw["name"]
    if not isinstance(name, str) or not INTENT_NAME.fullmatch(name):
        raise FaqFileError(
            f"{where}: name must be lowercase letters, digits and '_' (got {name!r})"
        )
    where = f"{label}: intent {name!r}"
    unknown = sorted(set(raw) - INTENT_KEYS)
    if unknown:
        raise FaqFileError(f"{where}: unknown key {unknown[0]!r}")
    if "reply" not in raw:
        raise FaqFileError(f"{where} is missing required key 'reply'")
    replies = _per_language(raw["reply"], f"{where} reply", required=True)
    for lang, template in replies.items():
        _check_template(template, f"{where} reply.{lang}", TEMPLATE_LIMIT)
    triggers = _triggers(raw.get("triggers"), where, known)
    exclude = _phrases(raw.get("exclude", []), f"{where} exclude")
    public_reply = raw.get("public_reply", False)
    if not isinstance(public_reply, bool):
        raise FaqFileError(f"{where}: public_reply must be true or false")
    return Intent(
        name=name,
        priority=_priority(raw.get("priority"), where, known),
        public_reply=public_reply,
        replies=frozen_mapping(replies),
        triggers=frozen_mapping(triggers),
        exclude=tuple(exclude) + (known.exclude if known else ()),
    )


def _priority(value: Any, where: str, known: Intent | None) -> int:
    if value is None:
        return known.priority if known else PRIORITY_CLASSES[DEFAULT_PRIORITY_CLASS]
    if value not in PRIORITY_CLASSES:
        allowed = ", ".join(PRIORITY_CLASSES)
        raise FaqFileError(f"{where}: unknown priority {value!r} (allowed: {allowed})")
    return PRIORITY_CLASSES[value]


def _triggers(value: Any, where: str, known: Intent | None) -> dict[str, tuple[str, ...]]:
    if value is None:
        if known is None:
            raise FaqFileError(
                f"{where} is missing required key 'triggers' (a new intent needs them)"
            )
        return dict(known.triggers)
    given = _per_language(value, f"{where} triggers", required=False)
    merged = {}
    for lang in LANGUAGES:
        inherited = known.triggers.get(lang, ()) if known else ()
        phrases = _phrases(given.get(lang, []), f"{where} triggers.{lang}")
        merged[lang] = tuple(dict.fromkeys(inherited + tuple(phrases)))
    if not any(merged.values()):
        raise FaqFileError(f"{where}: triggers are empty")
    return merged


def _phrases(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise FaqFileError(f"{where} must be a list of strings")
    for phrase in value:
        if not phrase_tokens(phrase):
            raise FaqFileError(f"{where}: phrase {phrase!r} has no letters or digits")
    return value


def _per_language(value: Any, where: str, *, required: bool) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FaqFileError(f"{where} must be a table with 'en' and 'es' keys")
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise FaqFileError(f"{where}: unsupported language {unknown[0]!r} (allowed: en, es)")
    for lang in LANGUAGES if required else ():
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise FaqFileError(f"{where}: missing {LANGUAGE_NAMES[lang]} ({lang!r}) text")
    return {
        lang: text.strip() if isinstance(text, str) else text for lang, text in value.items()
    }


def _check_template(template: str, where: str, limit: int) -> None:
    try:
        names = template_fields(template)
    except ValueError as exc:
        raise FaqFileError(f"{where}: {exc}") from None
    for name in names:
        if name not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            raise FaqFileError(f"{where}: unknown placeholder {{{name}}} (allowed: {allowed})")
    if len(template) > limit:
        raise FaqFileError(f"{where}: {len(template)} characters, the limit is {limit}")


def _notices(
    value: Any, label: str, base: KnowledgeBase | None
) -> Mapping[str, Mapping[str, str]]:
    if value is None:
        if base is None:
            raise FaqFileError(f"{label} is missing required key 'notices'")
        return base.notices
    if not isinstance(value, dict):
        raise FaqFileError(f"{label}: 'notices' must be a table")
    unknown = sorted(set(value) - set(NOTICE_KEYS))
    if unknown:
        raise FaqFileError(f"{label}: unknown key 'notices.{unknown[0]}'")
    notices = dict(base.notices) if base else {}
    for key in NOTICE_KEYS:
        if key not in value:
            if base is None:
                raise FaqFileError(f"{label} is missing required key 'notices.{key}'")
            continue
        texts = _per_language(value[key], f"{label}: notices.{key}", required=True)
        for lang, text in texts.items():
            _check_template(text, f"{label}: notices.{key}.{lang}", 200)
            if "\n" in text:
                raise FaqFileError(f"{label}: notices.{key}.{lang} must be one line")
        notices[key] = frozen_mapping(texts)
    return frozen_mapping(notices)
