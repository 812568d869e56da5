"""Does a message ask something? The answer engine's sense of it decides what waits for a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answers.signals import asks_something

DATA = Path(__file__).resolve().parents[2] / "bot" / "answers" / "data"

ASKS = [
    "do you also handle DUI cases?",
    "¿Atienden casos de accidentes de trabajo?",
    "atienden casos de accidentes de trabajo",  # no question mark, no accents
    "alguien sabe si el consulado ya abrió",
    "alguien sabe si el consulado ya abrio",
    "necesito ayuda con un caso de custodia",
    "quiero saber si pueden ver mi caso",
    "how do I get a copy of my court file",
    "Does anyone know if they take payment plans",
    "donde queda su oficina",
    "dónde queda su oficina",
    "cuánto tarda una visa U",
    "cuanto tarda una visa U",
    "what happens if I miss my biometrics appointment",
    "me pueden ayudar con un divorcio",
    "tienen oficina en Tijuana",
    "info porfa",
    "gracias, donde queda su oficina",
    "hola buenas tardes, trabajan los sábados",
]

SAYS = [
    "gracias licenciada",
    "Dios los bendiga",
    "amen 🙏",
    "que bonito",
    "qué bonito mensaje",
    "como siempre excelente servicio",
    "gracias, muy buena informacion",
    "excelente informacion muy util",
    "I love how you help people",
    "What a great post",
    "my cousin got her green card last week",
    "close the border, they should be deported",
    "earn money from home, link in bio",
    "ya les mande mensaje",
    "el precio de la gasolina ya no se aguanta",
    "@Maria Lopez",
]


@pytest.mark.parametrize("text", ASKS)
def test_a_question_or_request_asks_something(text):
    assert asks_something(text)


@pytest.mark.parametrize("text", SAYS)
def test_thanks_praise_news_opinions_and_spam_ask_nothing(text):
    assert not asks_something(text)


def test_nearly_every_labelled_message_the_faq_answers_asks_something():
    # Urgent news ("se llevaron a mi papá") waits as urgent, not as a question.
    for name in ("messages_eval.jsonl", "messages_fresh.jsonl"):
        rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        answered = [row["text"] for row in rows if row.get("intent") and row["intent"] != "urgent_detention"]
        missed = [text for text in answered if not asks_something(text)]
        assert len(missed) <= 0.03 * len(answered), (name, missed)
