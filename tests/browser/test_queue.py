"""The queue in a real browser: approve an edited reply and see it sent, reject, retry, expiry, CSRF.

Live tests run `groupbot serve` against the fake Graph API (DRY_RUN=0); the others use the
dry-run server, where the Health page shows the calls groupbot would have made.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN_EMAIL, simulate
from tests.fakes.fake_graph import FakeGraph
from tests.support.groupbot import query, wait_for
from tests.support.replies import message

pytestmark = pytest.mark.browser

EDITED = "Hola Lupita: mándenos un texto al 619-569-1768 y le llamamos hoy. Información general, no es asesoría legal."
SENT = re.compile(r"^Sent \(approved by ")


def comment_id_of(server, text: str) -> str:
    [(comment_id,)] = query(server.env, "SELECT external_id FROM questions WHERE text = ?", (text,))
    return comment_id


def sends_to(graph: FakeGraph, comment_id: str) -> list[dict]:
    """The message of every request answering this comment privately that the fake got, delivered or refused."""
    sends = []
    for request in graph.requests:
        if request["method"] == "POST" and request["path"].endswith("/messages"):
            recipient, sent = (_parsed(request["params"].get(name)) for name in ("recipient", "message"))
            if recipient.get("comment_id") == comment_id:
                sends.append(sent)
    return sends


def _parsed(value) -> dict:
    """A nested Graph parameter, sent as JSON text in a form or as an object in a JSON body."""
    return json.loads(value) if isinstance(value, str) else value or {}


def test_an_edited_reply_is_approved_and_sent_once_with_the_edited_text(live_visitor, live_server, fake_graph):
    question = "hola, cual es su numero?"
    simulate(live_server, "group-comment", question, name="Lupita Ramírez")
    live_visitor.open_signed_in("/admin/")
    card = live_visitor.card(question)
    expect(card.get_by_role("heading", level=2)).to_have_text("Lupita Ramírez")
    expect(card).to_contain_text("Spanish")
    reply = card.get_by_role("textbox", name="Reply")
    expect(reply).to_have_value(re.compile(r"mensaje de texto al 619-569-1768"))

    reply.fill(EDITED)
    card.get_by_role("button", name="Approve").click()

    expect(live_visitor.page.get_by_role("status").first).to_contain_text("approved; it is being sent")
    expect(card.locator(".status")).to_have_text(SENT, timeout=15_000)  # the page follows the worker
    [sent] = sends_to(fake_graph, comment_id_of(live_server, question))
    assert sent["text"] == EDITED
    [delivered] = [m for m in fake_graph.messages if m.get("comment_id") == comment_id_of(live_server, question)]
    assert delivered["text"] == EDITED
    live_visitor.open("/admin/?show=sent")
    expect(live_visitor.page.locator(".card").filter(has_text=question).locator(".reply")).to_have_text(EDITED)


def test_a_reply_meta_refuses_shows_metas_message_and_retry_sends_it(live_visitor, live_server, fake_graph):
    question = "cuanto cobran por una consulta?"
    simulate(live_server, "group-comment", question, name="Pedro Ruiz")
    live_visitor.open_signed_in("/admin/")
    card = live_visitor.card(question)
    fake_graph.fault("graph_error", method="POST", path="/messages", code=100, message="Invalid parameter")
    card.get_by_role("button", name="Approve").click()

    expect(card.locator(".status")).to_have_text(re.compile(r"Failed\. Meta said: \(#100\) Invalid parameter"),
                                                 timeout=15_000)
    card.get_by_role("button", name="Retry").click()
    expect(live_visitor.page.get_by_role("status").first).to_contain_text("being tried again")
    expect(card.locator(".status")).to_have_text(SENT, timeout=15_000)
    assert len(sends_to(fake_graph, comment_id_of(live_server, question))) == 2  # the refused one, then the retry
    assert len([m for m in fake_graph.messages if m.get("comment_id") == comment_id_of(live_server, question)]) == 1


def test_dry_run_records_the_approved_reply_and_health_lists_the_call(visitor, admin_server):
    question = "what is your phone number? I need to talk to someone"
    simulate(admin_server, "group-comment", question)
    visitor.open_signed_in("/admin/")
    visitor.card(question).get_by_role("button", name="Approve").click()
    expect(visitor.card(question, show="sent").locator(".status")).to_have_text(SENT)

    visitor.open("/admin/health")
    expect(visitor.page.get_by_text("dry-run: no token")).to_be_visible()
    calls = visitor.page.get_by_role("table")
    expect(calls.get_by_role("row").filter(has_text="Private reply")).to_contain_text(
        f"POST /{admin_server.env['META_PAGE_ID']}/messages")
    assert ADMIN_EMAIL not in calls.inner_text() and "access_token" not in calls.inner_text()


def test_reject_takes_the_question_out_of_pending(visitor, admin_server):
    question = "como renuevo mi permiso de trabajo?"
    simulate(admin_server, "group-comment", question)
    visitor.open_signed_in("/admin/")
    visitor.card(question).get_by_role("button", name="Reject").click()

    expect(visitor.page.get_by_role("status").first).to_contain_text("rejected; nothing will be sent")
    expect(visitor.page.locator(".card").filter(has_text=question)).to_have_count(0)
    card = visitor.card(question, show="all")
    expect(card.locator(".status")).to_have_text("Rejected; nothing was sent.")


def test_a_messenger_question_past_24_hours_shows_expired_with_the_reason(visitor, admin_server):
    question = "necesito una cita, cual es su numero? (escribí ayer)"
    assert admin_server.post_delivery(message(question, at=time.time() - 25 * 3600)).status_code == 200
    visitor.open_signed_in("/admin/")
    wait_for(lambda: query(admin_server.env, "SELECT r.status FROM replies r JOIN questions q ON q.id = r.question_id"
                                             " WHERE q.text = ?", (question,)), timeout=15)
    visitor.open("/admin/")
    pending = visitor.page.locator(".card").filter(has_text=question)
    if pending.count():  # unless the worker's minute check expired it first
        pending.get_by_role("button", name="Approve").click()
        expect(visitor.page.get_by_role("alert")).to_contain_text("24-hour Messenger window closed")

    card = visitor.card(question, show="failed")
    expect(card.locator(".status")).to_have_text(re.compile(r"^Expired: the 24-hour Messenger window closed at "))
    expect(card.get_by_role("button", name="Retry")).to_have_count(0)


def test_approving_without_the_csrf_token_is_refused(visitor, admin_server):
    question = "do you do asylum cases? how much is a consultation"
    simulate(admin_server, "group-comment", question)
    visitor.open_signed_in("/admin/")
    form = visitor.card(question).locator("form.reply-form")
    action = form.get_attribute("action")
    # The page's own cookies, but no token: what a forged cross-site form would send.
    response = visitor.page.request.post(visitor.base_url + action, form={"text": "forged"})
    assert response.status == 400 and "Request refused" in response.text()
    visitor.open("/admin/")
    expect(visitor.card(question).get_by_role("textbox", name="Reply")).not_to_have_value("forged")
    [(status,)] = query(admin_server.env, "SELECT r.status FROM replies r JOIN questions q ON q.id = r.question_id"
                                          " WHERE q.text = ?", (question,))
    assert status == "pending"
