"""'Change answer' in a real browser: an admin picks the right intent for a Spanish member's question, approves the
new reply, and the member gets that text (live `groupbot serve` against the fake Graph API)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN_EMAIL, simulate
from tests.support.groupbot import query, wait_for

pytestmark = pytest.mark.browser


def test_change_answer_gives_the_spanish_reply_of_the_chosen_intent_and_approve_sends_it(live_visitor, live_server,
                                                                                         fake_graph):
    question = "buenas, me pueden dar su numero de telefono por favor?"
    simulate(live_server, "group-comment", question, name="Rosa Díaz")
    live_visitor.open_signed_in("/admin/")
    card = live_visitor.card(question)
    expect(card.get_by_role("textbox", name="Reply")).to_have_value(re.compile(r"619-569-1768"))

    card.get_by_role("combobox", name="Change answer").select_option(label="Fees")
    card.get_by_role("button", name="Change answer").click()

    expect(live_visitor.page.get_by_role("status").first).to_contain_text("now gets the answer on Fees")
    reply = card.get_by_role("textbox", name="Reply")
    expect(reply).to_have_value(re.compile(r"^Nuestros honorarios"))
    expect(card.get_by_role("combobox", name="Change answer")).to_have_value("fees")
    new_text = reply.input_value()

    card.get_by_role("button", name="Approve").click()

    expect(card.locator(".status")).to_have_text(re.compile(r"^Sent \(approved by "), timeout=15_000)
    [(comment_id,)] = query(live_server.env, "SELECT external_id FROM questions WHERE text = ?", (question,))
    [delivered] = wait_for(lambda: [m for m in fake_graph.messages if m.get("comment_id") == comment_id])
    assert delivered["text"] == new_text.replace("\r\n", "\n")
    assert query(live_server.env, "SELECT suggested, intent, decision, decided_by FROM learned_examples") == [
        ("contact", "fees", "relabelled", ADMIN_EMAIL)]
