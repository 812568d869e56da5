"""/webhooks/blog: signed pings and WebSub, through the Flask app, a local HTTP server and the real `serve`."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from datetime import datetime, timezone

import pytest
import requests
from werkzeug.serving import make_server

from bot.blog.entries import POLL_REQUEST_KEY
from bot.intake import signature
from bot.store import store_for
from tests.fakes.fake_blog import FakeBlog, FakePost, make_posts
from tests.support.groupbot import query, wait_for
from tests.support.publishing import BLOG_SECRET
from webhooks import create_app

SITE = "https://blog.example-immigration-firm.test"
LINK = f"{SITE}/2026/11/green-card-interviews/"
PING = json.dumps({"post_id": 7002, "status": "publish", "url": "https://evil.example/not-trusted"}).encode()


@pytest.fixture
def live(tmp_path, fake, blog, live_settings, publisher_for):
    """(settings, store, publisher, client) of a live groupbot whose first poll is done."""
    settings = live_settings(tmp_path / "var", fake, blog, BLOG_WEBHOOK_SECRET=BLOG_SECRET)
    store = store_for(settings)
    store.migrate(time.time())
    publisher = publisher_for(settings, store)
    publisher.poll_now(time.time())
    yield settings, store, publisher, create_app(settings, store=store).test_client()
    store.close()


def publish_new_entry(blog: FakeBlog) -> None:
    blog.set_posts([FakePost("Green card interviews resume", LINK, guid=f"{SITE}/?p=7002",
                             content_html="<p>USCIS field offices resume interviews.</p>",
                             published=datetime(2026, 11, 5, tzinfo=timezone.utc)), *make_posts(2)])


def signed(body: bytes, secret: str = BLOG_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", signature.HEADER: signature.sign(body, secret)}


# -- signed JSON pings -----------------------------------------------------------------------------

def test_a_signed_ping_makes_the_next_pass_poll_at_once_and_post_the_new_entry(live, fake, blog):
    settings, store, publisher, client = live
    publish_new_entry(blog)

    answer = client.post("/webhooks/blog", data=PING, headers=signed(PING))
    soon = time.time() + 1  # well inside POLL_INTERVAL_SECONDS: only the ping makes this poll due
    publisher.poll_if_due(soon)
    publisher.send_due(soon)

    assert answer.status_code == 202
    assert [p["link"] for p in fake.posts] == [LINK]
    assert store.state.get(POLL_REQUEST_KEY) is None


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/json"},
    signed(PING, secret="not-the-secret"),
    {signature.HEADER: "sha256=" + "0" * 64},
], ids=["unsigned", "wrong-secret", "forged"])
def test_an_unsigned_or_badly_signed_ping_is_refused_and_polls_nothing(live, headers):
    settings, store, publisher, client = live

    answer = client.post("/webhooks/blog", data=PING, headers=headers)

    assert answer.status_code == 403
    assert store.state.get(POLL_REQUEST_KEY) is None


def test_without_a_secret_every_ping_is_refused_with_a_clear_log_line(tmp_path, fake, blog, caplog, live_settings):
    settings = live_settings(tmp_path / "var", fake, blog)
    app = create_app(settings)

    with caplog.at_level(logging.WARNING):
        answer = app.test_client().post("/webhooks/blog", data=PING, headers=signed(PING))

    assert answer.status_code == 403
    assert "blog ping refused: BLOG_WEBHOOK_SECRET is not set" in caplog.text


# -- WebSub ----------------------------------------------------------------------------------------

@pytest.fixture
def served(live, publisher_for):
    """The app on a real local HTTP server, with PUBLIC_URL pointing at it."""
    settings, store, publisher, client = live
    server = make_server("127.0.0.1", 0, client.application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    settings = dataclasses.replace(settings, public_url=url)
    yield settings, store, publisher_for(settings, store), url
    server.shutdown()


def test_websub_subscribes_at_the_advertised_hub_and_its_push_brings_the_new_entry(served, fake, blog):
    settings, store, publisher, url = served
    publisher.keep_websub(time.time())

    [subscription] = blog.subscriptions
    assert (subscription.callback, subscription.topic) == (f"{url}/webhooks/blog", blog.feed_url)
    assert blog.hub_verify(subscription.callback) is True
    assert store.blog.websub_subscriptions()[0].state == "verified"

    publish_new_entry(blog)
    assert blog.hub_publish() == [202]
    publisher.poll_if_due(time.time() + 1)
    publisher.send_due(time.time() + 1)
    assert [p["link"] for p in fake.posts] == [LINK]


def test_the_websub_lease_is_renewed_before_it_ends_and_not_every_pass(served, blog):
    settings, store, publisher, url = served
    now, day = time.time(), 86400
    publisher.keep_websub(now)
    blog.hub_verify(f"{url}/webhooks/blog")

    for later in (now + 60, now + 5 * day):
        publisher.keep_websub(later)
    assert blog.paths.count("/hub") == 1
    publisher.keep_websub(now + 9.5 * day)
    publisher.keep_websub(now + 9.5 * day + 60)  # the renewal is asked once while the hub checks it
    assert blog.paths.count("/hub") == 2


def test_websub_checks_are_answered_only_for_our_topic(served, blog):
    settings, store, publisher, url = served
    publisher.keep_websub(time.time())
    check = {"hub.mode": "subscribe", "hub.topic": blog.feed_url, "hub.challenge": "c-123", "hub.lease_seconds": "600"}

    ours = requests.get(f"{url}/webhooks/blog", params=check, timeout=5)
    other = requests.get(f"{url}/webhooks/blog", params={**check, "hub.topic": "http://127.0.0.1:9/other"}, timeout=5)
    leave = requests.get(f"{url}/webhooks/blog", params={**check, "hub.mode": "unsubscribe"}, timeout=5)

    assert (ours.status_code, ours.text) == (200, "c-123")
    assert (other.status_code, leave.status_code) == (404, 404)
    assert store.blog.websub_subscriptions()[0].expires_at == pytest.approx(time.time() + 600, abs=30)


def test_a_push_not_signed_with_our_hub_secret_is_refused(served, blog):
    settings, store, publisher, url = served
    publisher.keep_websub(time.time())
    blog.hub_verify(f"{url}/webhooks/blog")

    answer = requests.post(f"{url}/webhooks/blog", data=b"<rss/>", timeout=5,
                           headers={"X-Hub-Signature": "sha256=" + "1" * 64})

    assert answer.status_code == 403 and store.state.get(POLL_REQUEST_KEY) is None


# -- the real server ---------------------------------------------------------------------------------

def test_a_ping_to_the_running_server_gets_the_new_entry_posted(tmp_path, fake, blog, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, blog, BLOG_WEBHOOK_SECRET=BLOG_SECRET)
    server = groupbot_server(tmp_path, env)
    try:
        wait_for(lambda: query(env, "SELECT initialized FROM feed_state")[:1] == [(1,)])
        publish_new_entry(blog)

        answer = requests.post(f"{server.url}/webhooks/blog", data=PING, headers=signed(PING), timeout=5)

        assert answer.status_code == 202
        wait_for(lambda: fake.posts)
        assert [p["link"] for p in fake.posts] == [LINK]
    finally:
        server.stop()
    assert BLOG_SECRET not in server.log and fake.token not in server.log
