"""The dashboard in Spanish: the browser's Accept-Language first, then each admin's choice, kept across sessions."""

from __future__ import annotations

import re
import time

import pytest

from bot.accounts import admins as accounts
from bot.answers.loading import load_knowledge_base
from bot.answers.responder import Responder
from bot.config import Settings
from bot.replies.suggest import suggest_replies
from bot.store import NewQuestion
from tests.support.groupbot import PAGE_ID
from webhooks import create_app
from webhooks.admin.words import HIGH_CONFIDENCE, INTENT_LABELS, MEDIUM_CONFIDENCE, confidence_label, intent_label

EMAIL = "lucia@example-firm.test"
PASSWORD = "Nube-Verde 2031 playa"
SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
def app(tmp_path, base_env):
    settings = Settings.from_env(base_env(tmp_path / "var"), env_file=None)
    app = create_app(settings)
    accounts.add_admin(app.extensions["groupbot"].store, EMAIL, PASSWORD, actor="test")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, headers):
    token = csrf_token(client.get("/admin/login", headers=headers).text)
    response = client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
                           headers=headers)
    assert response.status_code == 302


def sign_out(client, headers):
    token = csrf_token(client.get("/admin/", headers=headers).text)
    client.post("/admin/logout", data={"csrf_token": token}, headers=headers)


def choose(client, language, headers, back="/admin/"):
    token = csrf_token(client.get(back, headers=headers).text)
    return client.post("/admin/language", data={"csrf_token": token, "language": language, "back": back},
                       headers=headers)


def ask(app, text: str) -> None:
    """A member's question, judged by the bot as the worker does."""
    services = app.extensions["groupbot"]
    number = services.store.questions.count() + 1
    services.store.questions.insert(NewQuestion(
        source="group_comment", external_id=f"888_{number}", author_id=str(6660000 + number), author_name="Rosa Díaz",
        text=text, event_time=time.time()), time.time())
    suggest_replies(services.store, Responder.from_settings(services.settings), page_id=PAGE_ID, now=time.time())


def test_a_spanish_browser_gets_the_sign_in_page_and_the_queue_in_spanish(app, client):
    login = client.get("/admin/login", headers=SPANISH).text
    assert '<html lang="es">' in login and "<h1>Iniciar sesión</h1>" in login and "Contraseña" in login
    ask(app, "ICE detuvo a mi hermano hoy, que hacemos?")
    sign_in(client, SPANISH)
    queue = client.get("/admin/", headers=SPANISH).text
    assert "<h1>Cola</h1>" in queue and "Pendientes" in queue and "Cerrar sesión" in queue
    # Intent names appear only as the "Change answer" choices' values, never as words on the page.
    assert "<dd>Detención urgente</dd>" in queue and "urgent_detention" not in re.sub(r'value="\w+"', "", queue)
    assert '<option value="urgent_detention" selected>Detención urgente</option>' in queue
    assert "Comentario en el Grupo" in queue and "Aprobar" in queue and "Rechazar" in queue
    assert re.search(r"quedan \d+ (h|días?)", queue)
    # The control offers the other language, named in itself.
    assert re.search(r'<button type="submit" class="nav-button" name="language" value="en" lang="en"[^>]*>English<',
                     queue)


@pytest.mark.parametrize("accept", ["es", "es-ES", "fr;q=1.0, es;q=0.8, en;q=0.5"])
def test_any_browser_that_prefers_spanish_to_english_gets_spanish(client, accept):
    assert "<h1>Iniciar sesión</h1>" in client.get("/admin/login", headers={"Accept-Language": accept}).text


def test_an_english_or_unknown_browser_gets_english(client):
    for headers in (ENGLISH, {"Accept-Language": "fr-FR,fr;q=0.9"}, {}):
        page = client.get("/admin/login", headers=headers).text
        assert '<html lang="en">' in page and "<h1>Sign in</h1>" in page


def test_wrong_credentials_and_flash_messages_are_in_spanish(app, client):
    token = csrf_token(client.get("/admin/login", headers=SPANISH).text)
    refused = client.post("/admin/login", data={"email": EMAIL, "password": "no es", "csrf_token": token},
                          headers=SPANISH)
    assert refused.status_code == 401 and "Correo o contraseña incorrectos." in refused.text
    ask(app, "cual es su numero?")
    question_id = app.extensions["groupbot"].store.replies.triaged(status="pending")[0].question_id
    sign_in(client, SPANISH)
    token = csrf_token(client.get("/admin/", headers=SPANISH).text)
    client.post(f"/admin/questions/{question_id}/reject", data={"csrf_token": token}, headers=SPANISH)
    assert (f"Pregunta {question_id}: respuesta rechazada; no se enviará nada."
            in client.get("/admin/", headers=SPANISH).text)
    sign_out(client, SPANISH)
    assert "Ha cerrado la sesión." in client.get("/admin/login", headers=SPANISH).text


def test_every_page_reads_in_spanish(app, client):
    ask(app, "how much do you charge for a case?")
    sign_in(client, SPANISH)
    headings = {"/admin/posts": "<h1>Entradas</h1>", "/admin/health": "<h1>Estado</h1>",
                "/admin/faq": "<h1>Preguntas frecuentes</h1>", "/admin/stats": "<h1>Estadísticas</h1>",
                "/admin/audit": "<h1>Auditoría</h1>", "/admin/?show=all": "<h1>Cola</h1>"}
    for path, heading in headings.items():
        page = client.get(path, headers=SPANISH).text
        assert heading in page, path
    stats = client.get("/admin/stats", headers=SPANISH).text
    assert '<th scope="row">Honorarios</th>' in stats and "Preguntas por semana, por intención" in stats
    audit = client.get("/admin/audit", headers=SPANISH).text
    assert '<td data-label="Acción">inicio de sesión</td>' in audit


def test_the_faq_trial_gives_the_intent_and_how_sure_in_words(client):
    sign_in(client, SPANISH)
    page = client.get("/admin/faq", headers=SPANISH).text
    assert "Detención urgente <code class=\"name\">urgent_detention</code>" in page
    answer = client.post("/admin/faq", data={"message": "cuanto cobran por el caso?", "csrf_token": csrf_token(page)},
                         headers=SPANISH).text
    assert "<dd>Honorarios (confianza: alta)</dd>" in answer and "% sure" not in answer


def test_an_admins_choice_overrides_the_browser_and_lasts_across_sign_ins(app, client):
    sign_in(client, SPANISH)
    chosen = choose(client, "en", SPANISH, back="/admin/posts")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/admin/posts"
    page = client.get("/admin/posts", headers=SPANISH).text
    assert "The dashboard is now in English." in page and "<h1>Posts</h1>" in page
    sign_out(client, SPANISH)
    sign_in(client, SPANISH)
    assert "<h1>Queue</h1>" in client.get("/admin/", headers=SPANISH).text
    choose(client, "es", ENGLISH)
    assert "El panel ahora está en español." in client.get("/admin/", headers=ENGLISH).text
    other = app.test_client()
    sign_in(other, ENGLISH)
    assert "<h1>Cola</h1>" in other.get("/admin/", headers=ENGLISH).text
    entry = app.extensions["groupbot"].store.audit.newest()[1]
    assert (entry.actor, entry.action, entry.detail) == (EMAIL, "language_set", "es")


def test_choosing_a_language_needs_the_forms_token_and_a_known_language(client):
    sign_in(client, ENGLISH)
    assert client.post("/admin/language", data={"language": "es"}, headers=ENGLISH).status_code == 400
    refused = client.post("/admin/language", data={"language": "es"}, headers=SPANISH)
    assert "Solicitud rechazada" in refused.text and "Falta el token de seguridad del formulario." in refused.text
    assert "<h1>Queue</h1>" in client.get("/admin/", headers=ENGLISH).text
    choose(client, "fr", ENGLISH)
    assert "That language is not available." in client.get("/admin/", headers=ENGLISH).text


def test_every_default_intent_has_words_in_both_languages_and_a_firms_own_intent_reads_well(app):
    names = list(load_knowledge_base(None).intents)
    assert len(names) == 13 and set(names) == set(INTENT_LABELS)
    with app.test_request_context(headers=SPANISH):
        spanish = {name: intent_label(name) for name in names}
    assert spanish["urgent_detention"] == "Detención urgente" and spanish["work_permit"] == "Permiso de trabajo"
    assert intent_label("urgent_detention") == "Urgent detention" and intent_label("location_hours") == \
        "Location and hours"
    assert all("_" not in label and label[0].isupper() for label in spanish.values())
    assert intent_label("tps_renewal") == "Tps renewal" and intent_label(None) == ""


@pytest.mark.parametrize("confidence, words", [
    (0.99, "high"), (HIGH_CONFIDENCE, "high"), (0.84, "medium"), (MEDIUM_CONFIDENCE, "medium"), (0.59, "low"),
    (0.0, "low"),
])
def test_confidence_is_high_medium_or_low(confidence, words):
    assert confidence_label(confidence) == words
