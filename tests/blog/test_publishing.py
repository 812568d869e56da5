"""Blog feed -> Page posts and Group drafts, against the fake blog and the fake Graph API on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.blog.compose import compose_group_draft, compose_page_post
from bot.blog.entries import list_posts, post_values
from bot.blog.feed import fetch_feed
from bot.blog.group_drafts import mark_group_posted
from bot.blog.page_posts import PublishingError, approve_page_post
from bot.config import SettingsError
from bot.ops.doctor import examine
from bot.runtime.dispatcher import poll_once
from bot.store import Store, store_for
from tests.fakes.fake_blog import FakeBlog, FakePost, make_posts

SITE = "https://blog.example-immigration-firm.test"


@pytest.fixture
def blog():
    with FakeBlog(slow_seconds=2.0) as server:
        server.set_posts(make_posts(3))
        yield server


@pytest.fixture
def make(tmp_path, fake, blog, live_settings, publisher_for):
    """make(**settings) -> (settings, store, publisher) for a live groupbot on the fakes."""
    stores = []

    def build(**extra):
        settings = live_settings(tmp_path / "var", fake, blog, **extra)
        store = store_for(settings)
        store.migrate(time.time())
        stores.append(store)
        return settings, store, publisher_for(settings, store)

    yield build
    for store in stores:
        store.close()


def run(publisher, now: float | None = None) -> None:
    """One worker pass of the publishing jobs: poll the blog, send what is due."""
    now = time.time() if now is None else now
    publisher.poll_now(now)
    publisher.outbox.process_due(now)


def new_post(n: int) -> FakePost:
    return FakePost(f"New rule for asylum seekers #{n}", f"{SITE}/2026/11/new-rule-{n}/", guid=f"{SITE}/?p={5000 + n}",
                    content_html="<p>USCIS published a new rule today. Here is what it means for you.</p>",
                    published=datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=n))


def publish_on_blog(blog: FakeBlog, *posts: FakePost) -> None:
    blog.set_posts([*reversed(posts), *make_posts(3)])


def statuses(store: Store) -> dict[str, str]:
    return {row["title"]: row["page_status"] for row in list_posts(store)}


# -- first run and backfill ------------------------------------------------------------------

def test_first_run_records_existing_entries_and_posts_none(make, fake):
    settings, store, publisher = make()

    run(publisher)

    assert fake.posts == []
    assert set(statuses(store).values()) == {"seen"}
    assert len(list_posts(store)) == 3


def test_backfill_posts_the_newest_entries_oldest_first(make, fake):
    settings, store, publisher = make(BACKFILL="2")

    run(publisher)

    assert [p["link"] for p in fake.posts] == [f"{SITE}/update-2/", f"{SITE}/update-3/"]
    assert statuses(store) == {"Immigration update #3": "posted", "Immigration update #2": "posted",
                               "Immigration update #1": "seen"}


# -- new entries -----------------------------------------------------------------------------

def test_a_new_entry_becomes_exactly_one_page_post_and_a_group_draft(make, fake, blog):
    settings, store, publisher = make()
    run(publisher)
    publish_on_blog(blog, new_post(1))

    run(publisher)
    run(publisher)

    [entry] = fetch_feed(blog.feed_url).entries[:1]
    message, link = compose_page_post(entry, post_values(settings))
    assert [(p["message"], p["link"]) for p in fake.posts] == [(message, link)]
    assert link == f"{SITE}/2026/11/new-rule-1/"
    row = list_posts(store)[0]
    assert (row["page_status"], row["page_post_id"], row["page_error"]) == ("posted", fake.posts[0]["id"], None)
    assert row["group_status"] == "draft"
    assert row["group_draft"] == compose_group_draft(entry, post_values(settings)) and link in row["group_draft"]


def test_an_unchanged_feed_costs_one_304_and_nothing_else(make, fake, blog):
    settings, store, publisher = make()
    run(publisher)
    blog.reset_stats()
    before = len(fake.requests)

    run(publisher)

    assert (blog.feed_requests, blog.not_modified) == (1, 1)
    assert len(fake.requests) == before


def test_an_edited_entry_is_not_posted_again(make, fake, blog):
    settings, store, publisher = make()
    run(publisher)
    post = new_post(1)
    publish_on_blog(blog, post)
    run(publisher)
    post.title, post.content_html = "New rule for asylum seekers (corrected)", "<p>Corrected text.</p>"
    publish_on_blog(blog, post)

    run(publisher)

    assert len(fake.posts) == 1
    assert blog.not_modified == 0  # the edit changed the feed: it was read, and found to be no new post


def test_spanish_line_and_the_firms_template_shape_the_post(make, fake, blog):
    settings, store, publisher = make(PAGE_POST_TEMPLATE="{title}\\n\\n{call_to_action}", PAGE_POST_SPANISH="1")
    run(publisher)
    publish_on_blog(blog, new_post(1))

    run(publisher)

    [post] = fake.posts
    assert post["message"] == ("New rule for asylum seekers #1\n\nQuestions? Text 619-569-1768 or call 619-819-9204.\n"
                               "¿Preguntas? Envíe un mensaje de texto al 619-569-1768 o llame al 619-819-9204.")
    assert post["link"] == f"{SITE}/2026/11/new-rule-1/"
    assert list_posts(store)[0]["group_draft"].startswith("New on our blog / Nuevo en nuestro blog")


def test_a_template_with_an_unknown_placeholder_stops_start_up(tmp_path, fake, blog, live_settings):
    with pytest.raises(SettingsError, match=r"PAGE_POST_TEMPLATE has an unknown placeholder \{titel\}"):
        live_settings(tmp_path, fake, blog, PAGE_POST_TEMPLATE="{titel}")


def test_many_new_entries_at_once_wait_for_an_admin_instead_of_flooding_the_page(make, fake, blog):
    settings, store, publisher = make()
    run(publisher)
    publish_on_blog(blog, *(new_post(n) for n in range(12)))

    run(publisher)

    assert fake.posts == []
    assert list(statuses(store).values()).count("awaiting_approval") == 12


# -- broken feeds ----------------------------------------------------------------------------

@pytest.mark.parametrize("fault, reason", [
    ("html", "not a feed: got an HTML page"),
    ("truncated", "truncated XML"),
    ("not_found", "HTTP 404"),
    ("server_error", "HTTP 500"),
    ("slow", "timed out"),
    ("redirect_loop", "redirect loop"),
])
def test_a_broken_feed_is_logged_shown_by_doctor_and_the_next_poll_works(make, fake, blog, caplog, fault, reason):
    settings, store, publisher = make()
    run(publisher)
    publish_on_blog(blog, new_post(1))
    blog.set_fault(fault)

    with caplog.at_level(logging.WARNING):
        assert publisher.poll_if_due(time.time() + settings.poll_interval) is False
    publisher.outbox.process_due(time.time())

    assert reason in caplog.text
    assert fake.posts == []
    doctor = examine(settings, store, publisher.graph, fetch=lambda url, **kw: fetch_feed(url, timeout=0.5))
    assert any(f.level == "problem" and f.subject == "feed" and reason in f.detail for f in doctor)
    assert any(f.subject == "feed" and "the last 1 poll(s) failed" in f.detail and reason in f.detail for f in doctor)

    blog.set_fault(None)
    later = time.time() + 2 * settings.poll_interval
    assert publisher.poll_if_due(later) is True
    publisher.outbox.process_due(later)
    assert [p["link"] for p in fake.posts] == [f"{SITE}/2026/11/new-rule-1/"]


def test_poll_once_reports_a_broken_feed(make, blog):
    settings, store, publisher = make()
    blog.set_fault("not_found")

    outcome = poll_once(store, publisher)

    assert outcome.report.status == "error" and "HTTP 404" in outcome.report.error


# -- approval and the Group ------------------------------------------------------------------

def test_with_approval_a_new_entry_waits_until_an_admin_approves_it(make, fake, blog):
    settings, store, publisher = make(PAGE_POST_APPROVAL="1")
    run(publisher)
    publish_on_blog(blog, new_post(1))
    run(publisher)
    entry = list_posts(store)[0]
    assert entry["page_status"] == "awaiting_approval" and fake.posts == []

    approve_page_post(store, entry["id"], by="maria@firm.example")
    run(publisher)

    row = list_posts(store)[0]
    assert (row["page_status"], row["approved_by"]) == ("posted", "maria@firm.example")
    assert [p["link"] for p in fake.posts] == [entry["link"]]
    with pytest.raises(PublishingError, match="not waiting for approval"):
        approve_page_post(store, entry["id"], by="maria@firm.example")


def test_an_admin_marks_the_group_draft_posted_once(make, blog):
    settings, store, publisher = make()
    run(publisher)
    publish_on_blog(blog, new_post(1))
    run(publisher)
    entry_id = list_posts(store)[0]["id"]

    mark_group_posted(store, entry_id, "maria@firm.example", "https://www.facebook.com/groups/demo/posts/99")

    row = list_posts(store)[0]
    assert (row["group_status"], row["group_posted_by"], row["group_posted_url"]) == (
        "posted", "maria@firm.example", "https://www.facebook.com/groups/demo/posts/99")
    assert row["group_posted_at"]
    with pytest.raises(PublishingError, match="already marked posted"):
        mark_group_posted(store, entry_id, "jose@firm.example")
    seen_id = list_posts(store)[-1]["id"]
    with pytest.raises(PublishingError, match="no Group draft"):
        mark_group_posted(store, seen_id, "jose@firm.example")



def test_publishing_decisions_are_in_the_audit_log_whoever_makes_them(make, blog):
    settings, store, publisher = make(PAGE_POST_APPROVAL="1")
    run(publisher)
    publish_on_blog(blog, new_post(1))
    run(publisher)
    entry_id = list_posts(store)[0]["id"]

    approve_page_post(store, entry_id, by="maria@firm.example")
    mark_group_posted(store, entry_id, "jose@firm.example", "https://www.facebook.com/groups/demo/posts/7")

    logged = [(row.actor, row.action, row.subject) for row in store.audit.newest()]
    assert logged == [
        ("jose@firm.example", "mark_group_posted", f"blog entry {entry_id}"),
        ("maria@firm.example", "approve_post", f"blog entry {entry_id}"),
    ]
