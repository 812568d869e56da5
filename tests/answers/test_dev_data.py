"""The development set (batch A): its shape, its share of messages needing no reply, and that its texts are new."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from bot.answers.loading import load_knowledge_base

DATA = Path(__file__).resolve().parents[2] / "bot" / "answers" / "data"
DEV_FILE = DATA / "messages_dev_a.jsonl"
KEYS = ["text", "intent", "urgent", "language"]
LANGUAGES = {"en", "es", "mixed"}


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def normalised(text: str) -> str:
    """Casefolded, without accents or punctuation: the key under which two texts count as the same message."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Punctuation goes but emoji stay, so "🙏🙏" and "👍" remain different messages.
    kept = "".join(" " if unicodedata.category(char).startswith("P") else char
                   for char in decomposed if not unicodedata.combining(char))
    return " ".join(kept.split())


def test_every_row_has_the_four_keys_in_order_with_allowed_values():
    rows = read_rows(DEV_FILE)
    intents = set(load_knowledge_base().intents)
    assert len(rows) >= 900
    for row in rows:
        assert list(row) == KEYS, row
        assert isinstance(row["text"], str) and row["text"].strip() and "\n" not in row["text"], row
        assert row["intent"] is None or row["intent"] in intents, row
        assert isinstance(row["urgent"], bool), row
        assert row["language"] in LANGUAGES, row
        assert row["urgent"] or row["intent"] != "urgent_detention", row


def test_every_intent_and_language_is_present_and_many_messages_need_no_reply():
    rows = read_rows(DEV_FILE)
    assert {row["intent"] for row in rows} == set(load_knowledge_base().intents) | {None}
    assert {row["language"] for row in rows} == LANGUAGES
    assert sum(row["intent"] is None for row in rows) / len(rows) >= 0.30


def test_no_text_repeats_within_the_file_or_any_other_labelled_file():
    texts = [normalised(row["text"]) for row in read_rows(DEV_FILE)]
    assert len(texts) == len(set(texts))
    others = {normalised(row["text"]) for path in DATA.glob("messages_*.jsonl") if path != DEV_FILE
              for row in read_rows(path)}
    assert not set(texts) & others
