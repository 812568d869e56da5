"""WebSub checks from outside: only a request groupbot just made is confirmed or denied, leases are sane,
and nothing a caller sends can forge a log line. Against the real app on a local HTTP server, the fake
hub, and the real `groupbot serve`."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import datetime, timezone

import pytest
import requests
from werkzeug.serving import make_server

from bot.blog.push import LEASE_SECONDS, VERIFY_WINDOW_SECONDS
from bot.ops.logsafe import printable
from bot.store import Store, store_for
from tests.fakes.fake_blog import FakePost, make_posts
from tests.support.groupbot import query, wait_for
from webhooks import create_app

SITE = "https://blog.example-immigration-firm.test"
FORGED = "2026-12-06 03:00:00,000 INFO bot.blog.push: WebSub subscription confirmed by the hub FORGED"


@pytest.fixture
def served(tmp_path, fake, blog, live_settings, publisher_for):
    """(store, publisher, url): a live groupbot whose app answers on a real local port that PUBLIC_URL names."""
    settings = live_settings(tmp_path / "var", fake, blog)
    store = store_for(settings)
    store.migrate(time.time())
    server = make_server("127.0.0.1", 0, create_app(settings, store=store), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    publisher = publisher_for(dataclasses.replace(settings, public_url=url), store)
    publisher.poll_now(time.time())
    yield store, publisher, url
    server.shutdown()
    store.close()


def check(url: str, blog, **params: str) -> requests.Response:
    """A GET to /webhooks/blog as a hub (or anyone) sends it."""
    sent = {"hub.mode": "subscribe", "hub.topic": blog.feed_url, "hub.challenge": "c-4711",
            "hub.lease_seconds": "864000", **params}
    return requests.get(f"{url}/webhooks/blog", params=sent, timeout=5)


def state_of(store: Store) -> list[tuple]:
    return [(s.state, s.verified_at, s.expires_at, s.lease_seconds, s.last_error) for s in store.blog.websub_subscriptions()]


# -- verification --------------------------------------------------------------------------------

def test_a_check_without_any_request_of_ours_is_refused_and_nothing_is_stored(served, blog):
    store, publisher, url = served

    answer = check(url, blog, **{"hub.lease_seconds": "99999999999"})

    assert (answer.status_code, answer.text) == (404, "unknown subscription")
    assert store.blog.websub_subscriptions() == []


def test_a_check_long_after_our_request_is_refused_and_changes_nothing(served, blog):
    store, publisher, url = served
    publisher.keep_websub(time.time() - VERIFY_WINDOW_SECONDS - 60)  # the hub got it 11 minutes ago
    before = state_of(store)

    answer = check(url, blog)

    assert answer.status_code == 404 and "c-4711" not in answer.text
    assert state_of(store) == before and before[0][0] == "requested"


def test_a_check_for_a_request_the_hub_refused_is_refused(served, blog):
    store, publisher, url = served
    blog.hub_status = 500
    publisher.keep_websub(time.time())

    assert check(url, blog).status_code == 404
    assert store.blog.websub_subscriptions()[0].state == "failed"


def test_the_hubs_own_check_right_after_our_request_is_answered(served, blog):
    store, publisher, url = served
    publisher.keep_websub(time.time())

    assert blog.hub_verify(f"{url}/webhooks/blog") is True
    [subscription] = store.blog.websub_subscriptions()
    assert subscription.state == "verified"
    assert subscription.expires_at == pytest.approx(time.time() + LEASE_SECONDS, abs=30)


def test_a_lease_beyond_ten_days_is_capped_so_the_subscription_is_still_renewed(served, blog):
    store, publisher, url = served
    now = time.time()
    publisher.keep_websub(now)

    answer = check(url, blog, **{"hub.lease_seconds": "99999999999"})

    assert (answer.status_code, answer.text) == (200, "c-4711")
    [subscription] = store.blog.websub_subscriptions()
    assert subscription.lease_seconds == LEASE_SECONDS == 10 * 86400
    assert subscription.expires_at == pytest.approx(now + LEASE_SECONDS, abs=30)
    publisher.keep_websub(now + 9.5 * 86400)
    assert blog.paths.count("/hub") == 2  # renewed before the ten days are out


@pytest.mark.parametrize("lease", [str(10 ** 25), "-5", "0", "abc", "1e9", "\u0663\u0660\u0660", "3600 ", "0x100"])
def test_an_insane_lease_is_refused_not_a_server_error(served, blog, lease):
    store, publisher, url = served
    publisher.keep_websub(time.time())
    before = state_of(store)

    answer = check(url, blog, **{"hub.lease_seconds": lease})

    assert answer.status_code == 404
    assert state_of(store) == before


def test_an_unsubscribe_check_is_refused_even_right_after_our_request(served, blog):
    store, publisher, url = served
    publisher.keep_websub(time.time())

    assert check(url, blog, **{"hub.mode": "unsubscribe"}).status_code == 404
    assert store.blog.websub_subscriptions()[0].state == "requested"


# -- denial --------------------------------------------------------------------------------------

def test_a_denial_does_not_stop_the_pushes_of_a_verified_subscription(served, fake, blog):
    store, publisher, url = served
    publisher.keep_websub(time.time())
    blog.hub_verify(f"{url}/webhooks/blog")

    denied = check(url, blog, **{"hub.mode": "denied", "hub.reason": "spoofed"})
    link = f"{SITE}/2026/11/green-card-interviews/"
    blog.set_posts([FakePost("Green card interviews resume", link, guid=f"{SITE}/?p=7002",
                             published=datetime(2026, 11, 5, tzinfo=timezone.utc)), *make_posts(2)])
    pushed = blog.hub_publish()
    publisher.poll_if_due(time.time() + 1)
    publisher.send_due(time.time() + 1)

    assert denied.status_code == 404
    assert store.blog.websub_subscriptions()[0].state == "verified"
    assert pushed == [202]
    assert [p["link"] for p in fake.posts] == [link]


def test_a_denial_of_our_pending_request_is_recorded_in_one_line_and_the_hubs_check_still_counts(served, blog):
    store, publisher, url = served
    publisher.keep_websub(time.time())

    check(url, blog, **{"hub.mode": "denied", "hub.reason": "topic\r\nnot allowed\x1b[31m"})
    denied = store.blog.websub_subscriptions()[0]
    verified = blog.hub_verify(f"{url}/webhooks/blog")  # a forged denial must not shut the hub's own check out

    assert (denied.state, denied.last_error) == ("denied", "topicnot allowed[31m")
    assert verified and store.blog.websub_subscriptions()[0].state == "verified"


def test_a_denial_without_a_pending_request_changes_nothing(served, blog):
    store, publisher, url = served
    publisher.keep_websub(time.time() - VERIFY_WINDOW_SECONDS - 60)
    before = state_of(store)

    assert check(url, blog, **{"hub.mode": "denied", "hub.reason": "no"}).status_code == 404
    assert state_of(store) == before


# -- logs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, shown", [
    ("a\r\nb", "ab"),
    ("\x1b[2Jcleared", "[2Jcleared"),
    ("tab\there\x00\x7f\x85", "tabhere"),
    ("line\u2028break\u2029", "linebreak"),
    ("Acción Diferida ¿qué?", "Acción Diferida ¿qué?"),
])
def test_printable_keeps_text_and_drops_control_characters(raw, shown):
    assert printable(raw) == shown


def test_printable_cuts_long_text():
    assert printable("x" * 500, 10) == "x" * 9 + "…"


def test_nothing_sent_to_the_running_server_forges_a_log_line(tmp_path, fake, blog, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, blog)
    server = groupbot_server(tmp_path, env)
    try:
        wait_for(lambda: query(env, "SELECT state FROM websub_subscriptions"), timeout=20)  # our request is pending
        url = server.url
        forged_reason = check(url, blog, **{"hub.mode": "denied", "hub.reason": f"nope\r\n{FORGED}\x1b[2K"})
        forged_topic = check(url, blog, **{"hub.topic": f"{SITE}/feed\n{FORGED}"})
        huge_lease = check(url, blog, **{"hub.lease_seconds": str(10 ** 25)})
        wait_for(lambda: "denied the subscription" in server.log)
    finally:
        server.stop()

    assert (forged_reason.status_code, forged_topic.status_code, huge_lease.status_code) == (404, 404, 404)
    lines = server.log.splitlines()
    assert not [line for line in lines if line.startswith(FORGED[:20])]
    assert [line for line in lines if "FORGED" in line and "denied the subscription (nope2026" in line]
    assert [line for line in lines if "FORGED" in line and "never subscribed" in line]
    assert "\x1b" not in server.log and "Traceback" not in server.log
    assert query(env, "SELECT state, last_error FROM websub_subscriptions") == [("denied", f"nope{FORGED}[2K")]
