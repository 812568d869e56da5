"""Feed fetching and parsing, against fixture files and a real fake blog on 127.0.0.1."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from bot.blog.feed import FeedError, fetch_feed, parse_feed
from tests.fakes.fake_blog import FakeBlog, FakePost, make_posts

FEEDS = Path(__file__).parents[1] / "data" / "feeds"
DEMO_FEED = Path(__file__).parents[2] / "bot" / "data" / "demo_feed.xml"
SITE = "https://blog.example-immigration-firm.test"


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.fixture
def blog():
    with FakeBlog(slow_seconds=3.0, huge_bytes=8 * 1024 * 1024) as fake:
        fake.set_posts(make_posts(3))
        yield fake


# --- parsing ----------------------------------------------------------------------------------

def test_wordpress_feed_gives_entries_newest_first_keyed_by_guid():
    entries, hub_url, self_url = parse_feed(fixture("wordpress.xml"))

    assert [e.title[:20] for e in entries] == ["The United States an", "DACA Update: USCIS C", "Citizenship Test Tip"]
    first = entries[0]
    assert first.key == first.guid == f"{SITE}/?p=2871"  # isPermaLink="false" guid, not the link
    assert first.link == f"{SITE}/2026/10/13/united-states-mexico-bilateral-action/"
    assert first.published == datetime(2026, 10, 13, 18, 15, tzinfo=timezone.utc)  # -0700 converted
    assert "San Diego &amp; Tijuana" in first.content_html  # content:encoded, not the excerpt
    assert "[&#8230;]" in first.summary_html or "[…]" in first.summary_html
    assert hub_url == "https://hub.example-immigration-firm.test/"
    assert self_url == f"{SITE}/feed/"


def test_entry_without_guid_is_keyed_by_link_and_entry_without_link_is_skipped():
    entries, _, _ = parse_feed(fixture("wordpress.xml"))

    daca = next(e for e in entries if e.title.startswith("DACA"))
    assert daca.guid is None
    assert daca.key == daca.link == f"{SITE}/2026/09/29/daca-update-renewals/"
    assert all(e.title != "Draft without a link" for e in entries)


def test_atom_feed_resolves_relative_links_and_strips_html_titles():
    entries, hub_url, self_url = parse_feed(fixture("atom.xml"))

    asylum = entries[0]
    assert asylum.title == "Asylum rule change & what it means"
    assert asylum.link == f"{SITE}/2026/10/06/asylum-rule-change/"
    assert asylum.key == "tag:blog.example-immigration-firm.test,2026:post-2859"
    assert asylum.published == datetime(2026, 10, 6, 16, 0, tzinfo=timezone.utc)
    assert asylum.updated == datetime(2026, 10, 8, 19, 30, tzinfo=timezone.utc)
    assert "&amp; receipt" in entries[1].content_html  # plain-text content is escaped into HTML
    assert (hub_url, self_url) == ("https://hub.example-immigration-firm.test/", f"{SITE}/feed/atom/")


def test_latin1_feed_keeps_spanish_accents():
    entries, _, _ = parse_feed(fixture("latin1.xml"))

    assert entries[0].title == "Acción Diferida: ¿qué cambió para los soñadores?"
    assert "niños y jóvenes" in entries[0].summary_html


def test_feed_with_recoverable_problems_is_accepted():
    # Undeclared HTML entities (&nbsp; &mdash;) make the XML invalid, but nothing is lost.
    entries, _, _ = parse_feed(fixture("minor_bozo.xml"))

    assert entries[0].title == "Green card interviews — what to bring"


def test_feed_mislabelled_as_utf8_is_still_read():
    data = fixture("latin1.xml").replace(b'encoding="ISO-8859-1"', b'encoding="UTF-8"')

    entries, _, _ = parse_feed(data)

    assert "¿qué cambió" in entries[0].title


@pytest.mark.parametrize("name, reason", [
    ("html_page.html", "not a feed: got an HTML page"),
    ("truncated.xml", "truncated XML at line 22"),
])
def test_broken_documents_are_refused_with_a_one_line_reason(name, reason):
    with pytest.raises(FeedError) as error:
        parse_feed(fixture(name))

    assert str(error.value) == reason


@pytest.mark.parametrize("data", [b"", b"  \n", b'{"posts": []}', b"Service Unavailable", b"<?xml version='1.0'?><a/>"])
def test_things_that_are_not_feeds_are_refused(data):
    with pytest.raises(FeedError, match=r"^not a feed: "):
        parse_feed(data)


def test_hostile_feed_is_defanged():
    entries, _, _ = parse_feed(fixture("hostile.xml"))

    links = [e.link for e in entries]
    assert not any(link.startswith(("javascript:", "data:")) for link in links)
    assert len(entries) == 3
    scripted, huge, giant_guid = entries
    assert scripted.title == "Free green cards"
    for html in (scripted.summary_html, scripted.content_html):
        assert "<script" not in html and "onerror" not in html and "onclick" not in html
        assert "javascript:" not in html and "<iframe" not in html
    assert len(huge.title) <= 300
    assert len(giant_guid.key) < 100 and giant_guid.key.startswith("sha256:")


def test_entity_expansion_attack_neither_expands_nor_reads_files():
    entries, _, _ = parse_feed(fixture("billion_laughs.xml"))

    entry = entries[0]
    assert len(entry.title) < 100 and len(entry.summary_html) < 100
    assert "lollol" not in entry.title + entry.summary_html
    assert "root:" not in entry.title + entry.summary_html


def test_demo_feed_parses_into_five_posts():
    entries, hub_url, _ = parse_feed(DEMO_FEED.read_bytes())

    assert len(entries) == 5
    assert entries[0].title == "The United States and Mexico Announce Bilateral Action to Address Illegal Immigration"
    assert any("asilo" in e.title for e in entries)
    assert hub_url is None  # a dry run must never try to subscribe anywhere


# --- fetching ---------------------------------------------------------------------------------

def test_fetch_returns_entries_and_validators(blog):
    result = fetch_feed(blog.feed_url)

    assert result.status == "ok" and result.error is None
    assert [e.title for e in result.entries] == ["Immigration update #3", "Immigration update #2",
                                                 "Immigration update #1"]
    assert result.etag and result.last_modified
    assert result.bytes_read == len(blog.snapshot()[0]) == blog.bytes_sent
    assert result.hub_url == blog.hub_url and result.self_url == blog.feed_url


def test_unchanged_feed_costs_one_request_and_no_entries(blog):
    first = fetch_feed(blog.feed_url)

    second = fetch_feed(blog.feed_url, etag=first.etag, last_modified=first.last_modified)

    assert second.status == "not_modified"
    assert second.entries == [] and second.bytes_read == 0
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)
    assert blog.feed_requests == 2 and blog.not_modified == 1


def test_last_modified_alone_gives_not_modified(blog):
    first = fetch_feed(blog.feed_url)

    assert fetch_feed(blog.feed_url, last_modified=first.last_modified).status == "not_modified"


def test_changed_feed_is_fetched_again_with_its_new_etag(blog):
    first = fetch_feed(blog.feed_url)
    blog.set_posts(make_posts(4))

    second = fetch_feed(blog.feed_url, etag=first.etag, last_modified=first.last_modified)

    assert second.status == "ok"
    assert len(second.entries) == 4 and second.etag != first.etag
    assert fetch_feed(blog.feed_url, etag=second.etag).status == "not_modified"


def test_edited_entry_keeps_its_key(blog):
    post = FakePost("DACA update", f"{SITE}/daca/", guid=f"{SITE}/?p=7", content_html="<p>First version.</p>")
    blog.set_posts([post])
    before = fetch_feed(blog.feed_url).entries[0]
    post.title, post.content_html = "DACA update (corrected)", "<p>Second version.</p>"
    blog.set_posts([post])

    after = fetch_feed(blog.feed_url).entries[0]

    assert after.key == before.key == f"{SITE}/?p=7"
    assert after.title == "DACA update (corrected)" and "Second version" in after.content_html


@pytest.mark.parametrize("fault, reason", [
    ("html", "not a feed: got an HTML page"),
    ("truncated", "truncated XML at line"),
    ("not_found", "HTTP 404 from http://127.0.0.1:"),
    ("server_error", "HTTP 500 from http://127.0.0.1:"),
    ("slow", "timed out after 0.3s"),
    ("redirect_loop", "redirect loop at http://127.0.0.1:"),
    ("huge", "feed larger than 262144 bytes"),
])
def test_each_fault_gives_an_error_status_with_one_line_reason(blog, fault, reason):
    blog.set_fault(fault)

    result = fetch_feed(blog.feed_url, etag='"old"', timeout=0.3, max_bytes=256 * 1024)

    assert result.status == "error"
    assert reason in result.error and "\n" not in result.error
    assert result.entries == []
    assert result.etag == '"old"'  # the caller's validators survive a failed poll


def test_huge_feed_stops_reading_at_the_cap(blog):
    blog.set_fault("huge")

    result = fetch_feed(blog.feed_url, max_bytes=256 * 1024)

    assert result.status == "error"
    assert 256 * 1024 < result.bytes_read < 512 * 1024


def test_single_redirect_is_followed_but_not_beyond_the_limit(blog):
    blog.set_fault("redirect")

    assert fetch_feed(blog.feed_url).status == "ok"
    refused = fetch_feed(blog.feed_url, max_redirects=0)
    assert refused.status == "error" and "more than 0 redirects" in refused.error


def test_feed_served_with_the_wrong_content_type_is_still_read(blog):
    blog.set_fault("wrong_content_type")

    result = fetch_feed(blog.feed_url)

    assert result.status == "ok" and len(result.entries) == 3


def test_feed_in_latin1_over_http_keeps_accents(blog):
    blog.set_feed(fixture("latin1.xml"), content_type="text/xml")  # text/xml without charset: RFC says ASCII

    result = fetch_feed(blog.feed_url)

    assert result.entries[0].title == "Acción Diferida: ¿qué cambió para los soñadores?"


def test_error_messages_never_show_the_query_string(blog):
    blog.set_fault("not_found")

    result = fetch_feed(blog.feed_url + "?key=s3cr3t-token")

    assert "s3cr3t" not in result.error and "HTTP 404" in result.error


def test_unreachable_blog_is_an_error_not_an_exception():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there

    result = fetch_feed(f"http://127.0.0.1:{port}/feed", timeout=2)

    assert result.status == "error" and result.error.startswith("could not connect to")


def test_caller_session_is_used_and_left_open(blog):
    with requests.Session() as session:
        session.headers["X-Test"] = "kept"
        assert fetch_feed(blog.feed_url, session=session).status == "ok"
        assert fetch_feed(blog.feed_url, session=session).status == "ok"


def test_local_file_and_file_url_are_read(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(fixture("wordpress.xml"))

    by_path = fetch_feed(str(path))
    by_url = fetch_feed(path.as_uri())

    assert by_path.status == by_url.status == "ok"
    assert len(by_path.entries) == len(by_url.entries) == 3
    assert by_path.bytes_read == path.stat().st_size


def test_unchanged_local_file_is_not_modified(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(fixture("wordpress.xml"))
    first = fetch_feed(str(path))

    assert fetch_feed(str(path), last_modified=first.last_modified).status == "not_modified"
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 60))
    assert fetch_feed(str(path), last_modified=first.last_modified).status == "ok"


@pytest.mark.parametrize("name, reason", [
    ("missing.xml", "cannot read feed file missing.xml"),
    ("html_page.html", "not a feed: got an HTML page"),
])
def test_bad_local_files_give_an_error(tmp_path, name, reason):
    if name != "missing.xml":
        (tmp_path / name).write_bytes(fixture(name))

    result = fetch_feed(str(tmp_path / name))

    assert result.status == "error" and result.error.startswith(reason)


def test_unsupported_address_is_an_error():
    result = fetch_feed("ftp://blog.example-immigration-firm.test/feed")

    assert result.status == "error" and "unsupported" in result.error
