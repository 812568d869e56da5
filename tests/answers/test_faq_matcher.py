"""The FAQ matcher: quality on the held-out messages, and a table of cases members write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answers.language import detect_language
from bot.answers.loading import load_knowledge_base
from bot.answers.matcher import FaqMatch, FaqMatcher

DATA = Path(__file__).parents[2] / "bot" / "answers" / "data"
LANGUAGES = {"en", "es", "mixed"}


def read_messages(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(load_knowledge_base())


@pytest.fixture(scope="module")
def eval_results(matcher) -> list[tuple[dict, FaqMatch]]:
    return [(row, matcher.match(row["text"])) for row in read_messages("messages_eval.jsonl")]


@pytest.fixture(scope="module", params=["messages_eval.jsonl", "messages_fresh.jsonl"])
def held_out_results(request, matcher) -> list[tuple[dict, FaqMatch]]:
    """Both held-out sets: the eval set and the fresh set written before the last tuning."""
    return [(row, matcher.match(row["text"])) for row in read_messages(request.param)]


# The rules were tuned on these sets after they were relabelled to the guide, so the figures
# below are upper bounds for messages nobody has seen; the test split gives the honest one.
def test_answers_on_held_out_messages_are_right(held_out_results):
    answered = [(row, got) for row, got in held_out_results if got.intent is not None]
    wrong = [(row["text"], row["intent"], got.intent) for row, got in answered
             if got.intent != row["intent"]]
    assert 1 - len(wrong) / len(answered) >= 0.95, wrong


def test_most_questions_in_held_out_messages_get_their_answer(held_out_results):
    questions = [(row, got) for row, got in held_out_results if row["intent"] is not None]
    missed = [(row["text"], row["intent"], got.intent) for row, got in questions
              if got.intent != row["intent"]]
    assert 1 - len(missed) / len(questions) >= 0.85, missed


def test_messages_needing_no_reply_rarely_get_one(held_out_results):
    quiet = [(row, got) for row, got in held_out_results if row["intent"] is None]
    replied = [(row["text"], got.intent) for row, got in quiet if got.intent is not None]
    assert len(replied) / len(quiet) <= 0.03, replied


def test_language_is_detected_on_held_out_messages(held_out_results):
    wrong = [(row["text"], row["language"], got.language) for row, got in held_out_results
             if got.language != row["language"]]
    assert 1 - len(wrong) / len(held_out_results) >= 0.90, wrong


@pytest.mark.parametrize(("text", "intent"), [
    # several needs in one message: the most urgent and specific wins
    ("my husband was detained by ICE, he has a work permit, how much do you charge?",
     "urgent_detention"),
    ("detuvieron a mi hermano ayer, tiene DACA, necesito una consulta", "urgent_detention"),
    ("necesito una cita para mi permiso de trabajo", "work_permit"),
    ("quiero una consulta sobre asilo, me pueden llamar?", "asylum"),
    ("can you call me about an appointment?", "consultation"),
    ("me pueden llamar? y donde esta el link del centro de recursos", "contact"),
    ("info porfa, donde esta el link del centro de recursos?", "resource_center"),
    ("where can I read the covid guide?", "resource_center"),
    ("cuanto cobran por el tramite de residencia?", "fees"),
    ("do you speak spanish? I want a consultation", "consultation"),
    ("¿hablan español en la oficina?", "language"),
    ("do your lawyers speak Spanish?", "language"),
    ("I have DACA, can I get a green card?", "green_card"),
    ("tengo la residencia desde 2016, puedo sacar la ciudadania?", "citizenship"),
    ("how much time does the work permit take?", "work_permit"),
    # the question, not the story around it, names the topic
    ("I came on a student visa in 2019. anyway my question is how do I renew my EAD",
     "work_permit"),
    ("soy soñadora, puedo pedir la residencia por mi esposo?", "green_card"),
    ("i need to know if my wife can work while her asylum is pending", "work_permit"),
    ("mi esposa puede trabajar mientras sale su residencia?", "work_permit"),
    # benefits questions want the public-charge guide, not a price or a legal topic
    ("will using medicaid hurt my green card case?", "resource_center"),
    ("does public charge apply to DACA?", "resource_center"),
    ("how do I reach the lawyer handling my case?", "contact"),
])
def test_most_urgent_and_specific_need_wins(matcher, text, intent):
    assert matcher.match(text).intent == intent


@pytest.mark.parametrize(("text", "intent"), [
    # 1. a topic named as the reason for a consult wins
    ("quisiera agendar para que me expliquen lo de la residencia", "green_card"),
    # 2. a topic named only as the thing being priced does not
    ("What would you charge to handle a green card application?", "fees"),
    ("¿y por la ciudadanía cuánto? tuve un DUI hace años, ¿califico todavía?", "citizenship"),
    ("cuánto cobra el abogado por un caso de asilo?", "fees"),
    # 3. government fees take the topic; a bond is the detention's
    ("cuanto cobra USCIS por el I-485?", "green_card"),
    ("is there a fee waiver for the N-400?", "citizenship"),
    # 4. the consultation's price is the consultation's
    ("what do you charge for a consult, can I pay by card", "consultation"),
    ("la primera consulta no cobran?", "consultation"),
    ("y el costo??", "fees"),
    # 5. a hypothetical is not a detention
    ("que derechos tengo si llega la migra a mi trabajo?", "resource_center"),
    # 6. a CBP One cita is asylum; a USCIS cita closed by COVID is news
    ("tengo mi cita de CBP One mañana, que llevo?", "asylum"),
    ("my USCIS appointment was cancelled because of covid, when do they reopen?",
     "resource_center"),
    # 8. a bare info request wants the resources; info on a topic takes the topic
    ("info?", "resource_center"),
    ("quiero saber más", "resource_center"),
    ("info sobre DACA", "daca"),
    # 9. language words that are not about staff
    ("is the citizenship test in spanish?", "citizenship"),
    ("pueden hacer un video en español sobre el anuncio?", "resource_center"),
    # 10. a number left for alerts is not a callback
    ("keep me posted, my number is 619 555 0101", "resource_center"),
    ("call me back at 619 555 0101", "contact"),
])
def test_the_labelling_guide_rules_decide_borderline_cases(matcher, text, intent):
    assert matcher.match(text).intent == intent


@pytest.mark.parametrize("text", [
    "Buenas, una duda",
    "tengo una pregunta",
    "por fin me aprobaron el permiso de trabajo 🙏",
])
def test_a_question_still_to_come_or_good_news_gets_no_reply(matcher, text):
    assert matcher.match(text).intent is None


@pytest.mark.parametrize(("text", "intent"), [
    ("pemiso de trabajo?", "work_permit"),
    ("requisitos de la ciudadania", "citizenship"),
    ("cuidadania como aplico", "citizenship"),
    ("cual es su numero", "contact"),
    ("abogadoo por favor", "consultation"),
    ("holaaaa infooo porfaaa", "resource_center"),
    ("nesesito abogado", "consultation"),
    ("kiero sacar mi residensia", "green_card"),
    ("CUANTO COBRAN X LA CONSULTA", "consultation"),
    ("perniso de trabajo porfavor", "work_permit"),
    ("DACA?????", "daca"),
    ("como renuevo el daca 🙏🙏 https://example.org/daca", "daca"),
    ("do you do I-130s and I-485s?", "green_card"),
    ("whats the best way to reach you", "contact"),
    ("wheres your office", "location_hours"),
    ("me preguntaba si hacen casos de visa T", "visa"),
    ("is the N-400 interview in english", "citizenship"),
])
def test_typos_shouting_and_no_accents_are_understood(matcher, text, intent):
    assert matcher.match(text).intent == intent


@pytest.mark.parametrize("text", [
    "asylum is abused, close the border",
    "Dios los bendiga, gracias",
    "Amen 🙏",
    "@Maria Lopez mira esto",
    "@Juan Perez aqui te pueden ayudar con tu permiso de trabajo",
    "why do illegals get work permits and citizens don't?",
    "gracias a ellos ya tengo mi residencia, los recomiendo",
    "great info, thanks for sharing",
    "Earn $3000 a week from home, inbox me for details",
    "Get your green card fast, 100% guaranteed, whatsapp me",
    "vendo carro buen precio",
    "mi hermano tiene DACA",
    "I have my consultation on Monday",
    "detention centers are inhumane",
    "Amén, que Dios proteja a los detenidos",
    "la migra es lo peor",
    "DACA recipients deserve citizenship, shame on congress",
    "Trump 2024",
    "jajaja",
    "thats not how citizenship works lol",
    "anyone else still waiting for their work permit?",
    "same question, my DACA expires in june",
    "ya les mande mis datos por inbox",
    "el precio de la gasolina esta carisimo",
    "Was at the consulate for my visa today, so slow",
    "are you kidding? green cards for everyone now",
])
def test_opinions_thanks_tags_and_spam_get_no_reply(matcher, text):
    assert matcher.match(text).intent is None


@pytest.mark.parametrize(("text", "language"), [
    ("how much for a consultation", "en"),
    ("cuanto cobran por la consulta?", "es"),
    ("donde estan ubicados", "es"),
    ("do you guys hablan español?", "mixed"),
    ("Hola, I need help con mi permiso de trabajo", "mixed"),
    ("mi esposo necesita la green card", "es"),
    ("DACA?", "es"),
    ("", "es"),
])
def test_reply_language_follows_the_member(matcher, text, language):
    assert detect_language(text) == language
    assert matcher.match(text).language == language


@pytest.mark.parametrize("text", [
    "",
    " \n\t ",
    "\x00\x00\x00",
    "permiso\x00de\x00trabajo?",
    "a" * 100_000,
    "info " * 20_000,
    "🙏" * 1_000,
    "مرحبا، أحتاج إلى تصريح عمل؟",
    "שלום, האם אתם מדברים עברית?",
    "\ud800\udfff broken surrogates",
    "?" * 5_000,
    "@" * 5_000,
    "http://" * 1_000,
    "1" * 50_000,
    "\u202eRTL override\u202c cuanto cobran?",
])
def test_weird_input_never_raises(matcher, text):
    found = matcher.match(text)
    assert found.intent is None or found.intent in matcher.kb.intents
    assert 0.0 <= found.confidence <= 1.0
    assert found.language in LANGUAGES


def test_confidence_is_higher_for_clear_questions(matcher):
    clear = matcher.match("necesito permiso de trabajo, como lo saco?")
    vague = matcher.match("permiso de trabajo como")
    assert clear.intent == vague.intent == "work_permit"
    assert clear.confidence > vague.confidence
    assert matcher.match("Amen").confidence == 0.0


def test_firm_added_intent_is_matched_and_ranks_with_legal_topics(tmp_path):
    firm_file = tmp_path / "faq.toml"
    firm_file.write_text(
        """
[[intent]]
name = "travel_permit"
triggers.en = ["advance parole", "travel permit"]
triggers.es = ["permiso de viaje", "parole"]
reply.en = "Advance parole lets some people travel and return. Call {call_number}."
reply.es = "El permiso de viaje (advance parole) permite salir y regresar. Llame al {call_number}."
""",
        encoding="utf-8",
    )
    matcher = FaqMatcher(load_knowledge_base(firm_file))
    assert matcher.match("necesito consulta para un permiso de viaje").intent == "travel_permit"
    assert matcher.match("can I get advance parole? call me").intent == "travel_permit"
    assert matcher.match("la migra detuvo a mi papa, tenia permiso de viaje").intent == (
        "urgent_detention"
    )
    assert matcher.match("me ayudaron con mi permiso de viaje, gracias").intent is None
