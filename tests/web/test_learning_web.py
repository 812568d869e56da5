"""Learning in the dashboard, on a real `groupbot serve` and the fake Graph API: "Change answer", why a reply waits,
and the FAQ page's figures on the admins' decisions."""

from __future__ import annotations

import html
import re
import time

import pytest
import requests

from bot.config import Settings
from bot.store import store_for
from tests.support.groupbot import query, run_cli, wait_for
from tests.support.replies import comment, earn_auto_approval, private_replies

EMAIL = "rosa@example-firm.test"
PASSWORD = "Lago-Norte 2029 sierra"
SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}


@pytest.fixture
def start(tmp_path, fake, live_env, groupbot_server):
    """start(**settings): a live groupbot with one admin; returns (server, env)."""

    def start(prepare=None, **extra: str):
        env = live_env(tmp_path / "var", fake, None, **extra)
        added = run_cli("admin", "add", EMAIL, "--password-stdin", input=PASSWORD + "\n", env=env, cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        if prepare is not None:
            store = store_for(Settings.from_env(env, env_file=None))
            try:
                prepare(store)
            finally:
                store.close()
        return groupbot_server(tmp_path, env), env

    return start


def signed_in(server, headers: dict | None = None) -> requests.Session:
    session = requests.Session()
    session.headers.update(headers or {})
    page = session.get(f"{server.url}/admin/login").text
    response = session.post(f"{server.url}/admin/login", allow_redirects=False,
                            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token(page)})
    assert response.status_code == 302
    return session


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def card(page: str, question_id: int) -> str:
    return html.unescape(re.search(rf'<li class="card[^"]*" id="q{question_id}">(.*?)</li>\s*(?=<li|</ol>)', page,
                                   re.S).group(1))


def flashes(page: str) -> str:
    return html.unescape(" ".join(re.findall(r'role="(?:status|alert)"[^>]*>(.*?)<', page, re.S)))


def test_change_answer_replaces_a_spanish_suggestion_and_approve_sends_the_new_text(start, fake):
    server, env = start()
    server.post_delivery(comment("hola, cual es su numero de telefono?", field="group_feed"), secret=fake.app_secret)
    [(question_id,)] = wait_for(lambda: query(env, "SELECT question_id FROM replies"))
    session = signed_in(server, SPANISH)
    page = session.get(f"{server.url}/admin/").text
    shown = card(page, question_id)
    assert "Cambiar respuesta" in shown and '<option value="contact" selected>Contacto</option>' in shown
    assert '<option value="none">Sin respuesta</option>' in shown

    answered = session.post(f"{server.url}/admin/questions/{question_id}/relabel",
                            data={"intent": "fees", "csrf_token": token(page), "back": "/admin/"})

    assert "La pregunta %d ahora recibe la respuesta sobre Honorarios" % question_id in flashes(answered.text)
    shown = card(answered.text, question_id)
    assert '<option value="fees" selected>Honorarios</option>' in shown and "Nuestros honorarios" in shown
    [(intent, text, edited)] = query(env, "SELECT intent, text, edited FROM replies")
    assert (intent, edited) == ("fees", 0) and text.endswith("Información general, no es asesoría legal.")

    session.post(f"{server.url}/admin/questions/{question_id}/approve", data={"text": text, "csrf_token": token(page)})
    wait_for(lambda: query(env, "SELECT status FROM replies") == [("sent",)], timeout=20)
    server.stop()
    [sent] = private_replies(fake)
    assert sent["text"] == text
    assert query(env, "SELECT suggested, intent, decision, decided_by FROM learned_examples") == [
        ("contact", "fees", "relabelled", EMAIL)]


def test_no_reply_withdraws_the_suggestion_and_a_question_without_one_can_get_one(start, fake):
    server, env = start()
    server.post_delivery(comment("cual es su numero?", field="group_feed"), secret=fake.app_secret)
    server.post_delivery(comment("gracias, dios los bendiga", field="group_feed"), secret=fake.app_secret)
    wait_for(lambda: query(env, "SELECT count(*) FROM questions WHERE classified_at IS NOT NULL") == [(2,)])
    [(asked, chatter)] = query(env, "SELECT min(id), max(id) FROM questions")
    session = signed_in(server)
    page = session.get(f"{server.url}/admin/?show=all").text
    assert "Change answer" in card(page, chatter)

    withdrawn = session.post(f"{server.url}/admin/questions/{asked}/relabel",
                             data={"intent": "none", "csrf_token": token(page), "back": "/admin/?show=all"})
    given = session.post(f"{server.url}/admin/questions/{chatter}/relabel",
                         data={"intent": "location_hours", "csrf_token": token(page), "back": "/admin/?show=all"})

    assert f"Question {asked} will get no reply." in flashes(withdrawn.text)
    assert "Withdrawn: an admin decided this message needs no reply." in card(given.text, asked)
    assert query(env, "SELECT question_id, intent, status, error FROM replies ORDER BY question_id") == [
        (asked, "contact", "cancelled", "relabelled: no reply needed"), (chatter, "location_hours", "pending", None)]
    pending = session.get(f"{server.url}/admin/").text
    assert "Location and hours" in card(pending, chatter) and "Approve" in card(pending, chatter)
    refused = session.post(f"{server.url}/admin/questions/{chatter}/relabel",
                           data={"intent": "parking", "csrf_token": token(page)})
    assert "Unknown intent 'parking'; choose one of asylum" in flashes(refused.text)
    audit = html.unescape(session.get(f"{server.url}/admin/audit").text)
    assert audit.count("change answer") == 2 and "contact -> none" in audit and "none -> location_hours" in audit
    server.stop()
    assert fake.messages == []


def test_the_queue_says_why_an_auto_approved_intent_waits(start, fake):
    server, env = start(prepare=lambda store: (store.migrate(time.time()), earn_auto_approval(store, "contact", 12)),
                        AUTO_APPROVE_INTENTS="contact")
    server.post_delivery(comment("cual es su numero?", field="group_feed"), secret=fake.app_secret)
    [(question_id,)] = wait_for(lambda: query(env, "SELECT question_id FROM replies"))

    english = card(signed_in(server).get(f"{server.url}/admin/").text, question_id)
    spanish = card(signed_in(server, SPANISH).get(f"{server.url}/admin/").text, question_id)

    assert "Waiting for approval: 12 decisions on Contact in 90 days, 30 needed." in english
    assert "Esperando aprobación: 12 decisiones sobre Contacto en 90 días, se necesitan 30." in spanish
    server.stop()
    assert fake.messages == []


def test_the_faq_page_shows_each_intents_decisions_over_30_and_90_days(start, fake):
    now = time.time()

    def decided(store):
        store.migrate(now)
        for n, decision in enumerate(["approved"] * 6 + ["edited"] * 2 + ["relabelled"]):
            store.examples.add(question_id=None, text=f"q{n}", language="es", suggested="contact",
                               intent="fees" if decision == "relabelled" else "contact", decision=decision,
                               decided_by="ana", now=now - 86400)
        for n in range(3):  # two months ago: in the 90 days only
            store.examples.add(question_id=None, text=f"old{n}", language="en", suggested="contact", intent="contact",
                               decision="approved", decided_by="ana", now=now - 60 * 86400)
        store.examples.add(question_id=None, text="ancient", language="en", suggested="contact", intent="contact",
                           decision="approved", decided_by="ana", now=now - 120 * 86400)

    server, env = start(prepare=decided, AUTO_APPROVE_INTENTS="contact")
    page = html.unescape(signed_in(server).get(f"{server.url}/admin/faq").text)
    server.stop()

    def row(days: int, intent: str) -> list[str]:
        found = re.search(rf'<tr id="q-{days}-{intent}">(.*?)</tr>', page, re.S).group(1)
        return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found, re.S)]

    assert "How well it answers" in page
    # Intent, approved unchanged, edited, relabelled, rejected, learned examples (labelled with the intent).
    assert row(30, "contact") == ["Contact", "6 (67 %)", "2 (22 %)", "1 (11 %)", "0 (0 %)", "8"]
    assert row(90, "contact") == ["Contact", "9 (75 %)", "2 (17 %)", "1 (8 %)", "0 (0 %)", "11"]
    assert row(30, "fees") == ["Fees", "0", "0", "0", "0", "1"]
    chart = re.search(r'<svg class="chart-wide".*?</svg>', page, re.S).group(0)
    assert "Contact" in chart and "Contact: Approved unchanged, 9 questions" in chart
    assert "Contact, 12 decisions." in chart
    assert '<li id="auto-contact">Contact: waits for approval</li>' in page
