"""The second development set (Spanish heavy): its rows are well formed and new to the project."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).parents[2] / "bot" / "answers" / "data"
DEV_B = DATA / "messages_dev_b.jsonl"
KEYS = ["text", "intent", "urgent", "language"]
INTENTS = {"contact", "consultation", "resource_center", "urgent_detention", "asylum", "work_permit", "green_card",
           "citizenship", "daca", "visa", "language", "location_hours", "fees"}
LANGUAGES = {"en", "es", "mixed"}


def normalised(text: str) -> str:
    """The text as a duplicate check sees it: casefolded, unaccented, without punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (" " if unicodedata.category(c)[0] in "PZ" or c == "\ufe0f" else c
            for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(kept).split())


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return read_rows(DEV_B)


def test_every_row_has_the_four_keys_in_order_and_allowed_values(rows):
    for row in rows:
        assert list(row) == KEYS, row
        assert isinstance(row["text"], str) and row["text"].strip() == row["text"] != "", row
        assert "\n" not in row["text"], row  # `groupbot answer` reads one message a line
        assert row["intent"] is None or row["intent"] in INTENTS, row
        assert isinstance(row["urgent"], bool), row
        assert row["language"] in LANGUAGES, row


def test_the_set_is_large_spanish_heavy_and_a_third_needs_no_reply(rows):
    languages = Counter(row["language"] for row in rows)
    assert len(rows) >= 900
    assert sum(row["intent"] is None for row in rows) / len(rows) >= 0.30
    assert languages["es"] / len(rows) >= 0.6
    assert languages["en"] and languages["mixed"]


def test_every_intent_and_urgency_is_well_represented(rows):
    intents = Counter(row["intent"] for row in rows)
    assert min(intents[name] for name in INTENTS) >= 35, intents
    assert sum(row["urgent"] for row in rows) >= 70
    assert all(row["urgent"] for row in rows if row["intent"] == "urgent_detention")


def test_no_message_repeats_within_the_set_or_another_labelled_file(rows):
    texts = [normalised(row["text"]) for row in rows]
    repeated = [text for text, count in Counter(texts).items() if count > 1]
    assert not repeated
    elsewhere = {normalised(row["text"]) for path in sorted(DATA.glob("messages_*.jsonl")) if path != DEV_B
                 for row in read_rows(path)}
    assert not elsewhere & set(texts)
