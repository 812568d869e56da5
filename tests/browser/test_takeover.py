"""Human takeover in a real browser: staff answer a comment from the Page while its suggestion waits in the queue."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.groupbot import query, wait_for
from tests.support.replies import comment, message, staff_comment, staff_echo

pytestmark = pytest.mark.browser

STAFF_TEXT = "Hola Rosa, soy Laura de la oficina: le llamamos hoy a las 3pm."


def test_a_suggestion_answered_by_staff_shows_their_words_and_can_no_longer_be_approved(live_visitor, live_server,
                                                                                        fake_graph):
    question = "hola, cual es su numero de telefono para una cita?"
    live_server.post_delivery(comment(question, comment_id="444_701"), secret=fake_graph.app_secret)
    live_visitor.open_signed_in("/admin/")
    card = live_visitor.card(question)
    expect(card.get_by_role("button", name="Approve")).to_be_visible()

    # Staff answer under the comment from the Page while the page is open; the open page's Approve is refused.
    live_server.post_delivery(staff_comment(STAFF_TEXT, under="444_701", comment_id="444_702"),
                              secret=fake_graph.app_secret)
    wait_for(lambda: query(live_server.env, "SELECT status FROM replies") == [("cancelled",)])
    card.get_by_role("button", name="Approve").click()

    expect(live_visitor.page.get_by_role("alert")).to_contain_text("answered by staff")
    live_visitor.open("/admin/?show=all")
    answered = live_visitor.page.locator(".card").filter(has_text=question)
    expect(answered).to_contain_text("Answered by staff")
    expect(answered.locator(".staff-reply")).to_have_text(STAFF_TEXT)
    expect(answered.locator(".status")).to_have_text("Withdrawn: answered by staff on the Page; nothing was sent.")
    expect(answered.get_by_role("button", name="Approve")).to_have_count(0)
    assert [m for m in fake_graph.messages if m.get("comment_id") == "444_701"] == []
    assert fake_graph.comment_replies == []


def test_a_members_items_say_a_person_is_talking_to_them(live_visitor, live_server, fake_graph):
    fake_graph.user_messaged("7801")
    live_server.post_delivery(staff_echo("Hola, soy Laura. La llamo en 5 minutos.", to="7801",
                                         sender_name="Laura Gomez"), secret=fake_graph.app_secret)
    question = "y cuanto cuesta la consulta?"
    live_server.post_delivery(message(question, sender="7801"), secret=fake_graph.app_secret)
    live_visitor.open_signed_in("/admin/")
    card = live_visitor.card(question)

    expect(card.locator(".takeover")).to_contain_text("A person is talking to this member")
    expect(card.locator(".takeover")).to_contain_text("Laura Gomez")
    expect(card.get_by_role("button", name="Approve")).to_be_visible()  # it waits for an admin
