"""WebSub: subscribing at the fake blog's hub, answering its challenge, checking pushed content."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.blog.websub import WebSubError, content_signature_valid, subscribe, verify_intent
from tests.fakes.fake_blog import FakeBlog, make_posts

SECRET = "hub-secret-1234"
BODY = b"<rss version='2.0'><channel><title>Demo</title></channel></rss>"


class Subscriber:
    """A tiny callback endpoint on 127.0.0.1 that uses the websub helpers the way the web app will."""

    def __init__(self, topic: str, secret: str = SECRET):
        self.topic, self.secret = topic, secret
        self.deliveries: list[tuple[bytes, bool]] = []
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                params = dict(parse_qsl(urlsplit(self.path).query))
                challenge = verify_intent(params, expected_topic=subscriber.topic)
                self._answer(200 if challenge else 404, (challenge or "").encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = content_signature_valid(body, self.headers.get("X-Hub-Signature"), subscriber.secret)
                subscriber.deliveries.append((body, valid))
                self._answer(202 if valid else 403, b"")

            def _answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.callback = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/blog"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def blog():
    with FakeBlog() as fake:
        fake.set_posts(make_posts(2))
        yield fake


@pytest.fixture
def subscriber(blog):
    endpoint = Subscriber(topic=blog.feed_url)
    yield endpoint
    endpoint.close()


def sign(body: bytes, secret: str = SECRET, method: str = "sha256") -> str:
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


# --- subscribe, verify, publish end to end -----------------------------------------------------

def test_subscription_is_recorded_verified_and_receives_signed_pushes(blog, subscriber):
    subscribe(blog.hub_url, topic=blog.feed_url, callback=subscriber.callback, secret=SECRET, lease_seconds=3600)

    [sub] = blog.subscriptions
    assert (sub.callback, sub.topic, sub.secret, sub.lease_seconds) == (subscriber.callback, blog.feed_url,
                                                                        SECRET, 3600)
    assert blog.hub_verify(subscriber.callback) is True
    assert blog.hub_publish() == [202]
    [(body, valid)] = subscriber.deliveries
    assert valid and body == blog.snapshot()[0]


def test_hub_in_auto_verify_mode_checks_the_callback_by_itself(subscriber):
    with FakeBlog(auto_verify=True) as blog:
        subscriber.topic = blog.feed_url
        subscribe(blog.hub_url, topic=blog.feed_url, callback=subscriber.callback, secret=SECRET)

        deadline = time.monotonic() + 5
        while not blog.subscriptions[0].verified and time.monotonic() < deadline:
            time.sleep(0.01)

        assert blog.subscriptions[0].verified
        assert blog.hub_publish() == [202]


def test_challenge_for_another_topic_is_not_echoed(blog, subscriber):
    subscriber.topic = "https://blog.example-immigration-firm.test/other-feed/"
    subscribe(blog.hub_url, topic=blog.feed_url, callback=subscriber.callback, secret=SECRET)

    assert blog.hub_verify(subscriber.callback) is False
    assert blog.hub_publish() == []  # an unverified subscription gets nothing


def test_push_signed_with_another_secret_is_refused(blog, subscriber):
    subscribe(blog.hub_url, topic=blog.feed_url, callback=subscriber.callback, secret=SECRET)
    blog.hub_verify(subscriber.callback)
    subscriber.secret = "a-different-secret"

    assert blog.hub_publish() == [403]
    assert subscriber.deliveries[0][1] is False


def test_hub_refusal_raises_a_one_line_error_without_the_secret(blog):
    blog.hub_status = 400

    with pytest.raises(WebSubError) as error:
        subscribe(blog.hub_url, topic=blog.feed_url, callback="http://127.0.0.1:9/cb", secret=SECRET)

    assert "HTTP 400" in str(error.value) and "\n" not in str(error.value)
    assert SECRET not in str(error.value)
    assert blog.subscriptions == []


def test_unreachable_hub_raises_websub_error(blog):
    hub_url = blog.hub_url
    blog.close()

    with pytest.raises(WebSubError, match="could not reach"):
        subscribe(hub_url, topic="https://blog.example-immigration-firm.test/feed/",
                  callback="http://127.0.0.1:9/cb", secret=SECRET, timeout=2)


@pytest.mark.parametrize("secret", ["", "x" * 200])
def test_secret_outside_the_spec_length_is_refused_before_any_request(blog, secret):
    with pytest.raises(WebSubError, match="secret"):
        subscribe(blog.hub_url, topic=blog.feed_url, callback="http://127.0.0.1:9/cb", secret=secret)

    assert blog.stats()["requests"] == 0


# --- verify_intent ----------------------------------------------------------------------------

TOPIC = "https://blog.example-immigration-firm.test/feed/"


@pytest.mark.parametrize("params, expected", [
    ({"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "abc123", "hub.lease_seconds": "864000"},
     "abc123"),
    ({"hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.challenge": "xyz"}, "xyz"),
    ({"hub.mode": "subscribe", "hub.topic": TOPIC + "other", "hub.challenge": "abc123"}, None),
    ({"hub.mode": "subscribe", "hub.topic": TOPIC}, None),
    ({"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": ""}, None),
    ({"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "not allowed"}, None),
    ({"hub.mode": "publish", "hub.topic": TOPIC, "hub.challenge": "abc"}, None),
    ({}, None),
])
def test_verify_intent(params, expected):
    assert verify_intent(params, expected_topic=TOPIC) == expected


# --- content_signature_valid ------------------------------------------------------------------

@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_signatures_of_every_spec_method_are_accepted(method):
    assert content_signature_valid(BODY, sign(BODY, method=method), SECRET)


@pytest.mark.parametrize("header", [
    None,
    "",
    "sha256",
    "sha256=",
    "sha256=deadbeef",
    sign(BODY, secret="wrong-secret"),
    sign(BODY + b" ", method="sha256"),
    "md5=" + hashlib.md5(BODY).hexdigest(),
    "sha256=ñññ",
])
def test_missing_wrong_or_malformed_signatures_are_refused(header):
    assert not content_signature_valid(BODY, header, SECRET)


def test_signature_check_tolerates_case_and_spaces_but_needs_a_secret():
    header = sign(BODY).upper().replace("SHA256=", "sha256= ")

    assert content_signature_valid(BODY, header, SECRET)
    assert not content_signature_valid(BODY, sign(BODY, secret=""), "")
