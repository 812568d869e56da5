"""Mark posted: one check of the Group post's address, read as a browser reads it, for the dashboard and the CLI."""

from __future__ import annotations

import re
import time

import pytest

from bot.accounts import admins as accounts
from bot.blog.group_drafts import group_post_url_problem, mark_group_posted
from bot.blog.page_posts import PublishingError
from bot.config import Settings
from bot.store.blog import NewEntry
from tests.support.groupbot import run_cli
from webhooks import create_app

EMAIL = "ana@example-firm.test"
PASSWORD = "Mar-Azul 2024 casa"

GOOD = [
    "https://www.facebook.com/groups/demo/posts/123",
    "https://m.facebook.com/groups/demo/permalink/123/",
    "HTTPS://WWW.FACEBOOK.COM/groups/demo/posts/1?ref=share#top",
    "http://fb.com/groups/demo/posts/1",
    "https://facebook.com:443/groups/demo",
    "https://web.facebook.com",
]
BAD = [
    ("https://evil.test\\@www.facebook.com/", "backslash"),
    ("https://www.facebook.com\\@evil.test/", "backslash"),
    ("https://evil.test@www.facebook.com/groups/1", "user@host"),
    ("https://user:pw@www.facebook.com/groups/1", "user@host"),
    ("https://www.facebook.com@evil.test/", "user@host"),
    ("https://www.face book.com/groups/1", "spaces or control"),
    ("https://www.facebook.com/groups/1\n", "spaces or control"),
    ("https://evil.test\t.facebook.com/", "spaces or control"),
    ("https://www.facebook.com/\x00", "spaces or control"),
    ("javascript:alert(1)//facebook.com", "http:// or https://"),
    ("ftp://www.facebook.com/groups/1", "http:// or https://"),
    ("www.facebook.com/groups/1", "http:// or https://"),
    ("https:www.facebook.com/groups/1", "http:// or https://"),
    ("https:/www.facebook.com/groups/1", "http:// or https://"),
    ("https:////evil.test/www.facebook.com", "not facebook.com"),
    ("https://facebook.com.evil.example/groups/1", "not facebook.com"),
    ("https://evilfacebook.com/groups/1", "not facebook.com"),
    ("https://www.facebook.com%2eevil.test/", "not facebook.com"),
    ("https://ｆacebook.com/groups/1", "not facebook.com"),
    ("https://.facebook.com/", "not facebook.com"),
    ("https://www.facebook.com:http/", "not facebook.com"),
    ("https:///groups/1", "not facebook.com"),
]


@pytest.mark.parametrize("url", GOOD)
def test_facebook_addresses_are_accepted(url):
    assert group_post_url_problem(url) is None


@pytest.mark.parametrize("url, reason", BAD)
def test_addresses_a_browser_could_read_elsewhere_are_refused(url, reason):
    assert reason in group_post_url_problem(url)


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def entry_id(store) -> int:
    return store.blog.insert_entry(NewEntry(
        entry_key="https://blog.example/news", guid=None, link="https://blog.example/news/", title="news",
        published_at=time.time(), page_status="queued", page_message="news", group_draft="news\n\nText us"),
        time.time())


def test_the_core_refuses_before_recording_anything(store, entry_id):
    with pytest.raises(PublishingError, match=r"not a Facebook address \(it has a backslash\)"):
        mark_group_posted(store, entry_id, "maria@firm.example", "https://evil.test\\@www.facebook.com/")
    assert store.blog.entry(entry_id).group_status == "draft"
    mark_group_posted(store, entry_id, "maria@firm.example", "https://www.facebook.com/groups/demo/posts/9")
    assert store.blog.entry(entry_id).group_posted_url == "https://www.facebook.com/groups/demo/posts/9"


@pytest.mark.parametrize("url", ["https://evil.test/groups/1", "https://evil.test\\@www.facebook.com/"])
def test_the_cli_refuses_any_other_host(store, settings, entry_id, workdir, url, base_env):
    result = run_cli("mark-group-posted", str(entry_id), "--url", url, env=base_env(settings.data_dir), cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.startswith("groupbot: that is not a Facebook address (")
    assert len(result.stderr.strip().splitlines()) == 1
    assert store.blog.entry(entry_id).group_status == "draft"


def test_the_dashboard_refuses_the_backslash_trick(tmp_path, base_env):
    app = create_app(Settings.from_env(base_env(tmp_path / "var"), env_file=None))
    store = app.extensions["groupbot"].store
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    entry = store.blog.insert_entry(NewEntry(
        entry_key="https://blog.example/a", guid=None, link="https://blog.example/a/", title="a",
        published_at=time.time(), page_status="queued", page_message="a", group_draft="a"), time.time())
    client = app.test_client()
    client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf(client, "/admin/login")})
    token = csrf(client, "/admin/posts")
    refused = client.post(f"/admin/posts/{entry}/group-posted",
                          data={"csrf_token": token, "url": "https://evil.test\\@www.facebook.com/"})
    assert refused.status_code == 400 and "That is not a Facebook address." in refused.text
    assert store.blog.entry(entry).group_status == "draft"


def test_an_address_stored_before_the_stricter_check_is_not_linked(tmp_path, base_env):
    app = create_app(Settings.from_env(base_env(tmp_path / "var"), env_file=None))
    store = app.extensions["groupbot"].store
    accounts.add_admin(store, EMAIL, PASSWORD, actor="test")
    for title, url in (("old", "https://evil.test\\@www.facebook.com/"), ("new", "https://www.facebook.com/groups/d/posts/1")):
        entry = store.blog.insert_entry(NewEntry(
            entry_key=f"https://blog.example/{title}", guid=None, link=f"https://blog.example/{title}/", title=title,
            published_at=time.time(), page_status="queued", page_message=title, group_draft=title), time.time())
        store.blog.mark_entry_group_posted(entry, "maria@firm.example", url, time.time())
    client = app.test_client()
    client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf(client, "/admin/login")})
    page = client.get("/admin/posts").text
    assert 'href="https://www.facebook.com/groups/d/posts/1"' in page
    assert "evil.test" not in page
