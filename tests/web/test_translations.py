"""The Spanish catalog: complete, compiled, and in step with the strings the dashboard marks for translation."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import webhooks

ROOT = Path(webhooks.__file__).parent.parent
ADMIN = ROOT / "webhooks" / "admin"
CATALOG = ADMIN / "translations" / "es" / "LC_MESSAGES" / "messages"
TEMPLATES = sorted((ADMIN / "templates" / "admin").glob("*.html"))
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
# Attributes a person reads or hears (screen readers speak aria-label and title).
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
# Not words to translate: the product's name, and an example address.
NOT_WORDS = re.compile(r"groupbot|https?://\S*")


def _catalog():
    with open(f"{CATALOG}.po", "rb") as po:
        return read_po(po)


def _messages(catalog) -> dict:
    """msgid -> translation; plural forms as tuples (a compiled catalog reads them back as lists)."""
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value
    return {key(message.id): key(message.string) for message in catalog if message.id}


def test_every_spanish_string_is_translated():
    untranslated = [message.id for message in _catalog() if message.id and (
        message.fuzzy or not message.string or (isinstance(message.string, tuple) and not all(message.string)))]
    assert untranslated == []


def test_the_compiled_catalog_is_the_committed_one():
    with open(f"{CATALOG}.mo", "rb") as mo:
        compiled = _messages(read_mo(mo))
    assert compiled == _messages(_catalog()), (
        "messages.mo is out of date: pybabel compile -d webhooks/admin/translations")


def test_every_marked_string_is_in_the_catalog():
    with open(ADMIN / "translations" / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    marked = {message for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map, keywords=KEYWORDS)}
    in_catalog = set(_messages(_catalog()))
    assert marked - in_catalog == set(), "new strings: pybabel extract, then update and translate the catalog"
    assert in_catalog - marked == set(), "strings no longer used: run pybabel update to drop them"


class _Words(HTMLParser):
    """Collects the text and the read-out attributes left once Jinja's own parts are gone."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_data(self, data):
        self.found.append(data)


def _unmarked(template: str) -> list[str]:
    """Words in a template that no ``_()``, ``ngettext()`` or ``{% trans %}`` carries."""
    text = re.sub(r"\{#.*?#\}", "", template, flags=re.S)
    text = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", "", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", text, flags=re.S)
    parser = _Words()
    parser.feed(text)
    return [part.strip() for part in parser.found if re.search(r"[A-Za-z]", NOT_WORDS.sub("", part))]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_shows_words_not_marked_for_translation(template):
    assert _unmarked(template.read_text()) == []


def test_the_unmarked_words_check_finds_them():
    assert _unmarked('<p title="Copy">{{ _("Done") }} Not marked <a href="/x">{{ name }}</a></p>') == [
        "Copy", "Not marked"]
