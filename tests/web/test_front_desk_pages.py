"""The front desk in the dashboard: Pending holds who waits for a person and why, the answer-by-hand box, "Done, no
reply needed", the banner on every page when sending is paused or alert e-mails fail, and the hint on Health."""

from __future__ import annotations

import html
import re
import time

import pytest

from bot.accounts import admins as accounts
from bot.answers.responder import Responder
from bot.config import Settings
from bot.outbox.pause import hold_sending, pause_sending
from bot.replies.review import approve_question
from bot.replies.suggest import suggest_replies
from bot.store.intake import NewQuestion
from tests.support.groupbot import PAGE_ID
from webhooks import create_app

EMAIL = "ana@example-firm.test"
PASSWORD = "Mar-Azul 2024 casa"
SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
PAGES = ("/admin/", "/admin/posts", "/admin/health", "/admin/faq", "/admin/stats", "/admin/audit")


@pytest.fixture
def app(tmp_path, base_env):
    app = create_app(Settings.from_env(base_env(tmp_path / "var"), env_file=None))
    accounts.add_admin(app.extensions["groupbot"].store, EMAIL, PASSWORD, actor="test")
    return app


@pytest.fixture
def client(app):
    client = app.test_client()
    token = csrf_token(client.get("/admin/login").text)
    client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    return client


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def ask(app, text: str, *, source: str = "group_comment", name: str = "Maria Lopez") -> int:
    """Store a member's question and let the bot judge it, as the worker does; returns the question id."""
    store = app.extensions["groupbot"].store
    number = store.questions.count() + 1
    question_id = store.questions.insert(NewQuestion(
        source=source, external_id=f"777_{number}", author_id=str(5550000 + number), author_name=name, text=text,
        event_time=time.time()), time.time())
    suggest_replies(store, Responder.from_settings(app.extensions["groupbot"].settings), page_id=PAGE_ID,
                    now=time.time())
    return question_id


def words(page: str) -> str:
    """A page's text as a reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def card(page: str, question_id: int) -> str:
    """The HTML of one question's card on a queue page."""
    found = re.search(rf'<li class="card[^"]*" id="q{question_id}">(.*?)</li>\s*(?:<li class="card|</ol>)', page,
                      re.DOTALL)
    assert found, f"question {question_id} is not on the page"
    return html.unescape(found.group(1))


def test_pending_shows_each_waiting_question_with_why_it_waits(app, client):
    dui = ask(app, "do you also handle DUI cases?", name="Dui Asker")
    ssn = ask(app, "my social is 123-45-6789, thanks for the help", source="page_comment", name="Ssn Writer")
    fees = ask(app, "cuanto cuesta la consulta?", name="Fee Asker")
    urgent = ask(app, "ICE se llevó a mi esposo hoy", name="Urgent Member")
    ask(app, "gracias, Dios los bendiga", name="Just Thanks")

    page = client.get("/admin/").text

    assert 'Pending <span class="count">4</span>' in page and "Just Thanks" not in page
    assert page.index("Urgent Member") < min(page.index(n) for n in ("Dui Asker", "Ssn Writer", "Fee Asker"))
    assert "no suggested reply fits: answer by hand, or mark it done." in card(page, dui)
    assert "A public comment shows personal data: hide it." in card(page, ssn)
    assert "A suggested reply waits for your approval." in card(page, fees)
    assert "Urgent." in card(page, urgent)
    for question_id in (dui, ssn, fees, urgent):
        shown = card(page, question_id)
        assert f'action="/admin/questions/{question_id}/reply"' in shown and "Done, no reply needed" in shown
        assert 'name="disclaimer" value="1" checked' in shown
    assert f'action="/admin/questions/{fees}/approve"' in card(page, fees)


def test_an_answer_by_hand_is_sent_with_the_disclaimer_unless_the_admin_unticks_it(app, client):
    store = app.extensions["groupbot"].store
    dui = ask(app, "do you also handle DUI cases?")
    fees = ask(app, "how much is a consultation?")
    token = csrf_token(client.get("/admin/").text)

    client.post(f"/admin/questions/{dui}/reply", data={"csrf_token": token, "text": "No, sorry.\r\nCall us.",
                                                       "disclaimer": "1"})
    shown = client.get("/admin/").text
    client.post(f"/admin/questions/{fees}/reply", data={"csrf_token": token, "text": "It is $100."})

    assert f"Question {dui}: your answer is being sent." in shown
    assert store.replies.of_question(dui).text == "No, sorry.\nCall us.\n\nGeneral information, not legal advice."
    replaced = store.replies.of_question(fees)
    assert (replaced.text, replaced.origin, replaced.status, replaced.channel) == (
        "It is $100.", "hand", "approved", "private_reply")
    page = client.get("/admin/").text
    assert 'Pending <span class="count">0</span>' in page
    assert "Answer written by hand" in card(page, dui)
    assert [e.action for e in store.audit.newest()][:2] == ["hand_reply", "hand_reply"]


def test_done_no_reply_needed_takes_the_question_out_of_pending(app, client):
    question_id = ask(app, "alguien sabe si el consulado abre el sabado?")
    token = csrf_token(client.get("/admin/").text)

    client.post(f"/admin/questions/{question_id}/done", data={"csrf_token": token})

    page = client.get("/admin/").text
    assert f"Question {question_id}: done, no reply needed." in page and f'id="q{question_id}"' not in page
    assert f"Done: no reply needed (said {EMAIL})." in card(client.get("/admin/?show=all").text, question_id)
    again = client.post(f"/admin/questions/{question_id}/done", data={"csrf_token": token}, follow_redirects=True)
    assert f"Question {question_id} is not waiting for anyone." in again.text


def test_every_page_says_when_sending_is_paused_and_approved_replies_say_why_they_wait(app, client):
    store, now = app.extensions["groupbot"].store, time.time()
    question_id = ask(app, "cual es su numero?")
    approve_question(store, question_id, "test")
    assert all('class="banner"' not in client.get(path).text for path in PAGES)

    pause_sending(store, "Error validating access token (code 190)", "sha256:abc", now)

    for path in PAGES:
        page = words(client.get(path).text)
        assert "Sending is paused: Meta refused the Page token (Error validating access token (code 190))" in page
    assert ("Waiting: sending is paused because Meta refused the Page token"
            in card(client.get("/admin/").text, question_id))
    spanish = words(client.get("/admin/", headers=SPANISH).text)
    assert "El envío está en pausa: Meta rechazó el token de la página" in spanish
    assert 'class="banner"' not in app.test_client().get("/admin/login").text


def test_a_rate_limit_hold_and_failing_alert_emails_show_in_the_banner(app, client):
    store, now = app.extensions["groupbot"].store, time.time()
    hold_sending(store, now + 600, now)
    email_id = store.emails.queue("Urgent question", "body", now)
    store.emails.finish(email_id, now, error="535 authentication failed", retry_at=now + 60)

    page = words(client.get("/admin/stats").text)

    assert "Sending is paused: Meta's rate limit holds every call until " in page
    assert "Alert e-mails to the admins are failing: 535 authentication failed" in page
    later = store.emails.queue("Another alert", "body", now)
    store.emails.finish(later, now)
    assert "Alert e-mails" not in client.get("/admin/stats").text


def test_health_names_the_command_that_retries_a_reply_meta_refused(app, client):
    store = app.extensions["groupbot"].store
    question_id = ask(app, "cual es su numero?")
    job_id = approve_question(store, question_id, "test")
    now = time.time()
    store.jobs.claim_due(now, "me", 60)
    store.jobs.finish(job_id, "me", "dead", now, error="(#200) Requires pages_messaging permission")

    page = html.unescape(client.get("/admin/health").text)

    assert f"(question {question_id})" in page
    assert f"Meta refused it: fix the cause, then try again at once with <code>groupbot retry {question_id}</code>." \
        in page
