"""The labelled messages (bot/answers/data): written to the labelling guide, varied like real traffic, and never
one message in two sets, so a held-out figure is never a figure on training data."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from bot.answers.loading import load_knowledge_base

DATA = Path(__file__).parents[2] / "bot" / "answers" / "data"
KEYS = ["text", "intent", "urgent", "language"]
LANGUAGES = {"en", "es", "mixed"}
# The test split, written before the learned engine and scored once by it; the rest is development data.
TEST_SPLIT = "messages_test.jsonl"
# A second held-out split, written before the next round of changes to the answer engine and scored once by it.
SECOND_TEST_SPLIT = "messages_test_r2.jsonl"
DEVELOPMENT = ("messages_tune.jsonl", "messages_eval.jsonl", "messages_fresh.jsonl", "messages_dev_a.jsonl",
               "messages_dev_b.jsonl", "messages_dev_c.jsonl")


def read_rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def folded(text: str) -> str:
    """The key under which two texts are the same message: casefolded, without accents or punctuation (emoji kept,
    so two different emoji-only messages stay different)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (" " if unicodedata.category(c)[0] in "PZ" or c == "\ufe0f" else c
            for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(kept).split())


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict]]:
    return {name: read_rows(name) for name in (*DEVELOPMENT, TEST_SPLIT, SECOND_TEST_SPLIT)}


def test_every_file_in_the_folder_is_a_known_set():
    assert sorted(path.name for path in DATA.glob("*.jsonl")) == sorted((*DEVELOPMENT, TEST_SPLIT, SECOND_TEST_SPLIT))


@pytest.mark.parametrize("name", [*DEVELOPMENT, TEST_SPLIT, SECOND_TEST_SPLIT])
def test_every_row_is_labelled_to_the_guide(sets, name):
    intents = set(load_knowledge_base().intents)
    rows = sets[name]
    for row in rows:
        assert list(row) == KEYS, row
        assert isinstance(row["text"], str) and "\n" not in row["text"], row
        assert row["intent"] is None or row["intent"] in intents, row
        assert isinstance(row["urgent"], bool) and row["language"] in LANGUAGES, row
        assert row["urgent"] or row["intent"] != "urgent_detention", row
    assert {row["intent"] for row in rows} == intents | {None}, "every intent, and messages needing no reply"


def test_no_message_is_in_two_sets_or_twice_in_one(sets):
    seen: dict[str, str] = {}
    for name, rows in sets.items():
        for row in rows:
            key = folded(row["text"])
            if not key:
                continue  # empty or blank messages, kept on purpose as odd input
            assert key not in seen, f"{row['text']!r} is in {name} and in {seen[key]}"
            seen[key] = name


def test_the_development_data_is_large_and_varied_like_real_traffic(sets):
    # The guide's "how members really write" asks for these shares; the test split is kept out of the count.
    rows = [row for name in DEVELOPMENT for row in sets[name]]
    languages = Counter(row["language"] for row in rows)
    assert len(rows) >= 3000
    assert languages["es"] / len(rows) >= 0.45 and languages["mixed"] / len(rows) >= 0.15
    assert sum(row["intent"] is None for row in rows) / len(rows) >= 0.30
    assert sum(row["urgent"] for row in rows) >= 150


def test_the_test_split_is_varied_and_big_enough_to_judge_each_intent(sets):
    # Shape only: the test split is scored once, by the learned answer engine's first run.
    rows = sets[TEST_SPLIT]
    per_intent = Counter(row["intent"] for row in rows)
    assert len(rows) == 800
    assert all(count >= 25 for count in per_intent.values()), per_intent
    assert 0.30 <= per_intent[None] / len(rows) <= 0.40
    assert sum(row["urgent"] for row in rows) >= 60
    languages = Counter(row["language"] for row in rows)
    assert all(count / len(rows) >= 0.2 for count in languages.values())


def test_the_second_test_split_is_varied_and_judges_each_intent_and_urgency(sets):
    # Shape only, like the first test split: it is scored once, by the next round of the answer engine.
    rows = sets[SECOND_TEST_SPLIT]
    per_intent = Counter(row["intent"] for row in rows)
    assert len(rows) == 400
    assert all(count >= 14 for count in per_intent.values()), per_intent
    assert 0.30 <= per_intent[None] / len(rows) <= 0.40
    assert sum(row["urgent"] for row in rows) >= 35
    languages = Counter(row["language"] for row in rows)
    assert all(count / len(rows) >= 0.2 for count in languages.values())
