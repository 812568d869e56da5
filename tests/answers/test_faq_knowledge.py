"""The knowledge base: the bundled replies, rendering them, and checking a firm's FAQ file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.answers.knowledge import FaqFileError, KnowledgeBase
from bot.answers.loading import load_knowledge_base

DESIGN_INTENTS = {
    "contact", "consultation", "resource_center", "urgent_detention", "asylum", "work_permit",
    "green_card", "citizenship", "daca", "visa", "language", "location_hours", "fees",
}
VALUES = {
    "text_number": "619-569-1768",
    "call_number": "619-819-9204",
    "resource_center_url": "https://example.org/resource-center",
    "group_url": "https://www.facebook.com/groups/example",
    "firm_name": "Example Immigration Law",
}
DISCLAIMER = {"en": "General information, not legal advice.",
              "es": "Información general, no es asesoría legal."}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "faq-format.md"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def write_faq(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "firm-faq.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD_INTENT = """
[[intent]]
name = "travel_permit"
triggers.en = ["advance parole"]
triggers.es = ["permiso de viaje"]
reply.en = "Advance parole: call {call_number}."
reply.es = "Permiso de viaje: llame al {call_number}."
"""


def test_bundled_knowledge_base_has_the_designs_intents_in_both_languages(kb):
    assert set(kb.intents) == DESIGN_INTENTS
    for intent in kb.intents.values():
        assert set(intent.replies) == {"en", "es"}
        assert all(len(reply) < 1000 for reply in intent.replies.values())
        assert intent.triggers["en"] and intent.triggers["es"]


@pytest.mark.parametrize(("intent", "english", "spanish"), [
    ("work_permit", "EAD", "permiso de trabajo"),
    ("asylum", "one year", "primer año"),
    ("citizenship", "N-400", "ciudadanía"),
    ("green_card", "I-90", "residencia"),
    ("daca", "renew", "renueve"),
    ("visa", "U or T", "U o T"),
    ("urgent_detention", "Detainee Locator", "localizador"),
    ("fees", "payment plans", "planes de pago"),
    ("language", "Spanish", "español"),
    ("consultation", "schedule a consultation", "agendar una consulta"),
    ("resource_center", "Resource Center", "Centro de Recursos"),
])
def test_replies_are_specific_to_their_topic(kb, intent, english, spanish):
    assert english in kb.render(intent, "en", VALUES)
    assert spanish in kb.render(intent, "es", VALUES)


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_reply_fills_placeholders_points_to_the_firm_and_ends_with_disclaimer(kb, language):
    for name in kb.intents:
        reply = kb.render(name, language, VALUES)
        assert "{" not in reply and "}" not in reply
        assert VALUES["call_number"] in reply or VALUES["text_number"] in reply
        assert reply.endswith(DISCLAIMER[language])
        assert len(reply) < 2000


def test_mixed_language_gets_the_spanish_reply(kb):
    assert kb.render("fees", "mixed", VALUES) == kb.render("fees", "es", VALUES)


@pytest.mark.parametrize(("language", "notice"), [
    ("en", "Automated reply from Example Immigration Law."),
    ("es", "Respuesta automática de Example Immigration Law."),
])
def test_automated_replies_say_so_on_their_first_line(kb, language, notice):
    reply = kb.render("contact", language, VALUES, automated=True)
    assert reply.splitlines()[0] == notice
    assert reply.endswith(DISCLAIMER[language])
    assert notice not in kb.render("contact", language, VALUES)


def test_long_values_are_cut_to_messengers_limit_keeping_the_notices(kb):
    values = dict(VALUES, resource_center_url="https://example.org/" + "x" * 3000)
    for name in kb.intents:
        reply = kb.render(name, "es", values, automated=True)
        assert len(reply) < 2000
        assert reply.startswith("Respuesta automática")
        assert reply.endswith(DISCLAIMER["es"])


def test_render_refuses_unknown_intents_languages_and_missing_values(kb):
    with pytest.raises(KeyError):
        kb.render("no_such_intent", "en", VALUES)
    with pytest.raises(ValueError):
        kb.render("contact", "fr", VALUES)
    with pytest.raises(KeyError, match="call_number"):
        kb.render("contact", "en", {k: v for k, v in VALUES.items() if k != "call_number"})


def test_personal_topics_are_answered_privately_by_default(kb):
    private = {name for name, intent in kb.intents.items() if not intent.public_reply}
    assert {"urgent_detention", "asylum", "green_card", "daca", "work_permit"} <= private
    assert kb.intents["location_hours"].public_reply


def test_priority_follows_the_labelling_guide(kb):
    rank = {name: intent.priority for name, intent in kb.intents.items()}
    legal = ("asylum", "work_permit", "green_card", "citizenship", "daca", "visa")
    assert all(rank["urgent_detention"] < rank[topic] < rank["consultation"] for topic in legal)
    order = ("consultation", "fees", "location_hours", "language", "contact", "resource_center")
    assert [rank[name] for name in order] == sorted({rank[name] for name in order})


def test_firm_file_rewords_an_intent_and_adds_one(tmp_path, kb):
    path = write_faq(tmp_path, GOOD_INTENT + """
[[intent]]
name = "contact"
public_reply = true
reply.en = "Call {firm_name} at {call_number}."
reply.es = "Llame a {firm_name} al {call_number}."
""")
    firm = load_knowledge_base(path)
    assert list(firm.intents)[: len(kb.intents)] == list(kb.intents)
    assert firm.render("contact", "en", VALUES).startswith("Call Example Immigration Law at")
    assert firm.intents["contact"].triggers == kb.intents["contact"].triggers
    assert firm.intents["travel_permit"].priority == kb.intents["asylum"].priority
    assert firm.intents["travel_permit"].public_reply is False


@pytest.mark.parametrize(("body", "expected"), [
    ("[[intent]\nname = 'x'", r"not valid TOML: .*line 1"),
    (GOOD_INTENT.replace("{call_number}", "{phone}", 1),
     r"intent 'travel_permit' reply\.en: unknown placeholder \{phone\}"),
    (GOOD_INTENT.replace('reply.es = "Permiso de viaje: llame al {call_number}."', ""),
     r"intent 'travel_permit' reply: missing Spanish \('es'\) text"),
    (GOOD_INTENT + GOOD_INTENT, r"duplicate intent 'travel_permit'"),
    (GOOD_INTENT.replace("reply.en", "answer.en").replace("reply.es", "answer.es"),
     r"intent 'travel_permit': unknown key 'answer'"),
    ("[[intent]]\nname = 'x'\ntriggers.en = ['x']\n",
     r"intent 'x' is missing required key 'reply'"),
    ("[[intent]]\nreply.en = 'a'\nreply.es = 'b'\n", r"intent #1 is missing required key 'name'"),
    (GOOD_INTENT.replace('triggers.en = ["advance parole"]', "").replace(
        'triggers.es = ["permiso de viaje"]', ""),
     r"intent 'travel_permit' is missing required key 'triggers'"),
    (GOOD_INTENT.replace('name = "travel_permit"', 'name = "travel_permit"\npriority = "vip"'),
     r"unknown priority 'vip'"),
    (GOOD_INTENT.replace('name = "travel_permit"', 'name = "travel_permit"\npublic_reply = "yes"'),
     r"public_reply must be true or false"),
    (GOOD_INTENT.replace("Advance parole:", "x" * 1200),
     r"reply\.en: 12\d\d characters, the limit is 1000"),
    (GOOD_INTENT.replace("{call_number}", "{call_number", 1), r"reply\.en: .*"),
    (GOOD_INTENT.replace('name = "travel_permit"', 'name = "Travel Permit"'),
     r"name must be lowercase"),
    (GOOD_INTENT.replace('["advance parole"]', '["🙏"]'),
     r"phrase '🙏' has no letters or digits"),
    ('[notices.disclaimer]\nen = "Not advice."\n', r"notices\.disclaimer: missing Spanish"),
    ("title = 'faq'\n" + GOOD_INTENT, r"unknown top-level key 'title'"),
])
def test_bad_faq_files_fail_with_one_clear_line(tmp_path, body, expected):
    path = write_faq(tmp_path, body)
    with pytest.raises(FaqFileError) as caught:
        load_knowledge_base(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert re.search(expected, message), message


def test_missing_faq_file_is_a_clear_error(tmp_path):
    with pytest.raises(FaqFileError, match="cannot read FAQ file"):
        load_knowledge_base(tmp_path / "nope.toml")


def test_example_in_the_format_docs_loads(tmp_path):
    example = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert example, "docs/faq-format.md has a ```toml example"
    firm = load_knowledge_base(write_faq(tmp_path, example.group(1)))
    reply = firm.render("contact", "es", VALUES)
    firm_disclaimer = "Información general de Example Immigration Law, no es asesoría legal."
    assert reply.endswith(firm_disclaimer)
    assert "travel_permit" in firm.intents
