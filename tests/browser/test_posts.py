"""The Posts page in a real browser: Page status from the fake Graph API, Group drafts, a hostile blog title.

The fake blog holds two posts and BACKFILL=2 sends both to the Page at start; Meta refuses
the first attempt (error 100), so one post shows Meta's message and "Retry".
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN_EMAIL
from tests.fakes.fake_blog import FakeBlog, FakePost
from tests.support.groupbot import wait_for

pytestmark = pytest.mark.browser

GROUP_URL = "https://www.facebook.com/groups/demo-immigration-group"
# Feeds carry titles as HTML; this one, escaped in the feed, reaches groupbot as markup.
HOSTILE_TITLE = '<img src=x onerror=alert(3)>Nuevas reglas de "asilo" y <b>parole</b>'
OLDER_TITLE = "Work Permit Renewals: Automatic Extension of Your EAD"
BLOG = "https://blog.example-immigration-firm.test"
BODY = "<p>USCIS announced changes that affect families in San Diego &amp; Tijuana.</p>" * 3


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, fake_graph, start_live_server):
    posts = [
        FakePost(html.escape(HOSTILE_TITLE, quote=False), f"{BLOG}/nuevas-reglas/", f"{BLOG}/?p=2002", BODY, "Resumen",
                 datetime(2026, 10, 2, 17, 0, tzinfo=timezone.utc)),
        FakePost(OLDER_TITLE, f"{BLOG}/ead-extension/", f"{BLOG}/?p=2001", BODY, "Summary",
                 datetime(2026, 10, 1, 17, 0, tzinfo=timezone.utc)),
    ]
    with FakeBlog() as blog:
        blog.set_posts(posts, with_hub=False)
        # The older post is sent first (the Page shows them in the blog's order): Meta refuses it once.
        fake_graph.fault("graph_error", method="POST", path="/feed", code=100, message="Invalid parameter")
        workdir = tmp_path_factory.mktemp("live-posts")
        server = start_live_server(workdir, fake_graph, blog, BACKFILL="2", GROUP_URL=GROUP_URL)
        yield server
        server.stop()


def post_card(visitor, title: str, until: str):
    """The Posts page's card for ``title``, once its Page status reads ``until`` (the worker posts at start)."""
    card = visitor.page.locator(".post").filter(has=visitor.page.get_by_role("heading", name=title, exact=True))

    def ready() -> bool:
        visitor.open("/admin/posts")
        return card.count() == 1 and until in card.locator(".status").first.inner_text()

    wait_for(ready, timeout=20, interval=0.3)
    return card


def test_posts_show_their_page_status_and_a_refused_one_can_be_retried(live_visitor, fake_graph):
    live_visitor.open_signed_in("/admin/posts")
    posted = post_card(live_visitor, HOSTILE_TITLE, "Posted on the Page")
    [page_post] = [p for p in fake_graph.posts if p["link"] == f"{BLOG}/nuevas-reglas/"]
    link = posted.get_by_role("link", name="see the Facebook post")
    expect(link).to_have_attribute("href", f"https://www.facebook.com/{page_post['id']}")

    failed = post_card(live_visitor, OLDER_TITLE, "Failed")
    expect(failed.locator(".status").first).to_have_text(re.compile(r"Meta said: \(#100\) Invalid parameter"))
    failed.get_by_role("button", name="Retry").click()
    expect(live_visitor.page.get_by_role("status").first).to_contain_text("tried again")
    post_card(live_visitor, OLDER_TITLE, "Posted on the Page")
    assert [p["link"] for p in fake_graph.posts].count(f"{BLOG}/ead-extension/") == 1


def test_a_hostile_blog_title_shows_as_text_and_runs_nothing(live_visitor):
    live_visitor.open_signed_in("/admin/posts")
    card = post_card(live_visitor, HOSTILE_TITLE, "Posted")
    expect(card.get_by_role("heading", level=2)).to_have_text(HOSTILE_TITLE)
    expect(card.get_by_role("textbox", name="Draft to paste in the Group")).to_have_value(
        re.compile(re.escape(HOSTILE_TITLE)))
    assert live_visitor.page.locator("main img, main b").count() == 0
    assert live_visitor.dialogs == []


def test_copy_text_puts_the_group_draft_on_the_clipboard(browser, live_server, make_visitor):
    visitor = make_visitor(browser, live_server.url, permissions=["clipboard-read", "clipboard-write"])
    try:
        visitor.open_signed_in("/admin/posts")
        card = post_card(visitor, OLDER_TITLE, "")
        draft = card.get_by_role("textbox", name="Draft to paste in the Group").input_value()
        assert OLDER_TITLE in draft and "619-569-1768" in draft
        card.get_by_role("button", name="Copy text").click()
        expect(card.get_by_role("status")).to_have_text("Copied")
        assert visitor.page.evaluate("navigator.clipboard.readText()") == draft
    finally:
        visitor.page.context.close()


def test_open_group_opens_the_group_in_a_new_tab(live_visitor):
    live_visitor.open_signed_in("/admin/posts")
    link = post_card(live_visitor, OLDER_TITLE, "").get_by_role("link", name="Open group")
    expect(link).to_have_attribute("href", GROUP_URL)
    expect(link).to_have_attribute("target", "_blank")


def test_mark_posted_refuses_a_non_facebook_address_then_records_the_group_post(live_visitor):
    live_visitor.open_signed_in("/admin/posts")
    card = post_card(live_visitor, HOSTILE_TITLE, "")
    address = card.get_by_role("textbox", name="Group post's address (optional)")
    address.fill("https://evil.example/groups/1/posts/2")
    card.get_by_role("button", name="Mark posted").click()
    expect(card.get_by_role("alert")).to_contain_text("That is not a Facebook address.")
    expect(address).to_have_value("https://evil.example/groups/1/posts/2")

    group_post = "https://www.facebook.com/groups/demo-immigration-group/posts/1234567890"
    address.fill(group_post)
    card.get_by_role("button", name="Mark posted").click()
    expect(live_visitor.page.get_by_role("status").first).to_have_text("Marked as posted in the Group.")
    expect(card.locator(".status").last).to_contain_text(f"Posted in the Group by {ADMIN_EMAIL}")
    expect(card.get_by_role("link", name="see the Group post")).to_have_attribute("href", group_post)
    expect(card.get_by_role("button", name="Mark posted")).to_have_count(0)


def test_the_posts_page_fits_a_phone(browser, live_server, make_visitor):
    phone = make_visitor(browser, live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                         has_touch=True)
    try:
        phone.open_signed_in("/admin/posts")
        post_card(phone, OLDER_TITLE, "")
        assert phone.width() <= 390
        for name in ("Copy text", "Mark posted"):
            box = phone.page.get_by_role("button", name=name).first.bounding_box()
            assert box["height"] >= 44, name
    finally:
        phone.page.context.close()
