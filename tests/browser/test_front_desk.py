"""The front desk in a real browser: a question no suggestion fits is answered by hand and sent with the
disclaimer, and every page says when sending is paused."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from bot.outbox.pause import PAUSE_KEY, pause_sending, token_fingerprint
from bot.store import Store
from tests.browser.support import ADMIN_EMAIL, simulate
from tests.support.groupbot import db_path, wait_for

pytestmark = pytest.mark.browser

DISCLAIMER = "General information, not legal advice."


def test_a_question_no_suggestion_fits_is_answered_by_hand_with_the_disclaimer(live_visitor, live_server,
                                                                               fake_graph):
    question = "do you also handle DUI cases?"
    simulate(live_server, "group-comment", question, name="Rosa Díaz")
    live_visitor.open_signed_in("/admin/")
    card = live_visitor.card(question)
    expect(card).to_contain_text("It asks something, and no suggested reply fits")

    card.get_by_role("textbox", name="Your answer").fill("We only handle immigration cases; for a DUI, ask a "
                                                         "criminal defense lawyer.")
    expect(card.get_by_role("checkbox", name="Add the disclaimer")).to_be_checked()
    card.get_by_role("button", name="Send answer").click()

    expect(live_visitor.page.get_by_role("status").first).to_contain_text("your answer is being sent")
    sent_card = live_visitor.card(question, show="sent")
    expect(sent_card.locator(".status")).to_have_text(re.compile(rf"^Sent \(written by {re.escape(ADMIN_EMAIL)}\)"))
    expect(sent_card.locator(".reply")).to_contain_text(DISCLAIMER)
    [delivered] = wait_for(lambda: [m for m in fake_graph.messages if m["kind"] == "private_reply"
                                    and "DUI" in m["text"]])
    assert delivered["text"].endswith(f"criminal defense lawyer.\n\n{DISCLAIMER}")
    live_visitor.open("/admin/")
    expect(live_visitor.page.locator("#main > ol.cards .card").filter(has_text=question)).to_have_count(0)


def test_every_page_shows_the_banner_while_sending_is_paused(live_visitor, live_server):
    store = Store(db_path(live_server.env))
    try:
        # The server's own token: a pause set for another token would be lifted by its next pass.
        fingerprint = token_fingerprint(live_server.env["META_PAGE_ACCESS_TOKEN"])
        pause_sending(store, "Error validating access token (code 190)", fingerprint, time.time())
        live_visitor.open_signed_in("/admin/posts")
        banner = live_visitor.page.locator(".banner")
        expect(banner).to_contain_text("Sending is paused: Meta refused the Page token")
        expect(banner).to_contain_text("Approved replies wait until it resumes.")
        live_visitor.open("/admin/faq")
        expect(live_visitor.page.locator(".banner")).to_be_visible()
        banner.get_by_role("link", name="Health").click()
        expect(live_visitor.page.get_by_role("heading", name="Sending")).to_be_visible()
    finally:
        store.state.delete(PAUSE_KEY)
        store.close()
    live_visitor.open("/admin/faq")
    expect(live_visitor.page.locator(".banner")).to_have_count(0)
