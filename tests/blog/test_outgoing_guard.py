"""The guarded way out for feed polls, their redirects and hub POSTs, against the fake blog and hub on 127.0.0.1.

Nothing here sends a packet beyond loopback: internal addresses (10.x, 169.254.x, 192.0.2.x) only appear
as values the guard must refuse, and the `connects` fixture fails any test that would connect to one.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from urllib3.util import connection as urllib3_connection

from bot.blog import outgoing, websub
from bot.blog.feed import fetch_feed
from bot.blog.outgoing import OutgoingRefused, OutgoingRules, guarded_session, internal_kind, session_with
from bot.config import Settings
from bot.runtime.assemble import assemble
from bot.store import Store
from tests.fakes.fake_blog import FakeBlog, build_rss, make_posts

PUBLIC_URL = "https://groupbot.example-immigration-firm.test"
LOCAL_RULES = OutgoingRules(internal_allowed=True, https_only=False)


class Redirector:
    """A server on 127.0.0.1 answering every GET and POST with `status` and `Location: location`."""

    def __init__(self, status: int, location: str):
        self.status, self.location = status, location
        self.requests: list[tuple[str, str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((self.command, self.path, body))
                self.send_response(outer.status)
                self.send_header("Location", outer.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def __enter__(self) -> "Redirector":
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def connects(monkeypatch) -> list[str]:
    """Every address a connection is opened to; a test that tries anything but loopback fails at once."""
    real, opened = urllib3_connection.create_connection, []

    def only_loopback(address, *args, **kwargs):
        opened.append(address[0])
        try:
            loopback = ipaddress.ip_address(address[0].split("%")[0]).is_loopback
        except ValueError:
            loopback = address[0] == "localhost"
        if not loopback:
            raise AssertionError(f"a connection to {address[0]} was attempted")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3_connection, "create_connection", only_loopback)
    return opened


@pytest.fixture
def blog_plays_public(monkeypatch):
    """The fake blog's 127.0.0.1 stands in for a public blog's address; every other address is judged as usual."""
    real = outgoing.internal_kind
    monkeypatch.setattr(outgoing, "internal_kind", lambda address: None if address == "127.0.0.1" else real(address))


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "var" / "groupbot.db")
    db.migrate(time.time())
    yield db
    db.close()


def advertise_hub(blog: FakeBlog, hub_url: str) -> None:
    """Serve the feed with `hub_url` as its WebSub hub (in the XML, as WordPress does)."""
    blog.advertise_hub = False
    blog.set_feed(build_rss(make_posts(2), self_url=blog.feed_url, hub_url=hub_url))


@pytest.fixture
def dry_run_settings(base_env):
    """dry_run_settings(tmp_path, **extra): dry-run settings with data in tmp_path."""
    return lambda tmp_path, **extra: Settings.from_env(base_env(tmp_path / "var", **extra), env_file=None)


# -- hub POSTs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("hub, refusal", [
    ("https://10.0.0.5/hub?key=abc", "it resolves to 10.0.0.5, a private address"),
    ("https://169.254.169.254/latest/", "it resolves to 169.254.169.254, a link-local address"),
    ("fake hub", "it resolves to 127.0.0.1, a loopback address"),
], ids=["private", "metadata", "loopback"])
def test_a_hub_at_an_internal_address_gets_no_post_once_public_url_is_public(
        tmp_path, fake, blog, store, connects, caplog, hub, refusal, live_settings, publisher_for):
    hub_url = blog.hub_url if hub == "fake hub" else hub
    advertise_hub(blog, hub_url)
    local = live_settings(tmp_path / "var", fake, blog)
    assert publisher_for(local, store).poll_now(time.time()).status == "ok"  # set up locally: the hub is noted
    connects.clear()

    public = dataclasses.replace(local, public_url=PUBLIC_URL)
    with caplog.at_level(logging.INFO):
        publisher_for(public, store).keep_websub(time.time())

    [subscription] = store.blog.websub_subscriptions()
    assert subscription.state == "failed"
    assert refusal in subscription.last_error and "\n" not in subscription.last_error
    assert "key=abc" not in subscription.last_error
    assert connects == [] and "/hub" not in blog.paths and blog.subscriptions == []
    assert refusal in caplog.text and subscription.secret not in caplog.text
    assert store.blog.feed_state(blog.feed_url).last_status == "ok"  # polling is untouched


def test_a_307_from_the_hub_is_not_followed(tmp_path, fake, blog, store, connects, live_settings, publisher_for):
    with Redirector(307, blog.hub_url) as hub:  # a hub that would pass the form, secret and all, to another one
        advertise_hub(blog, f"{hub.url}/hub")
        settings = live_settings(tmp_path / "var", fake, blog)
        publisher = publisher_for(settings, store)
        publisher.poll_now(time.time())
        publisher.keep_websub(time.time())

    [subscription] = store.blog.websub_subscriptions()
    assert subscription.state == "failed"
    assert "answered with a redirect (HTTP 307)" in subscription.last_error
    assert [method for method, _, _ in hub.requests] == ["POST"]
    assert "/hub" not in blog.paths and blog.subscriptions == []


def test_a_307_is_not_followed_without_a_guarded_session_either(blog):
    with Redirector(307, blog.hub_url) as hub:
        with pytest.raises(websub.WebSubError, match=r"redirect \(HTTP 307\)"):
            websub.subscribe(f"{hub.url}/hub", topic=blog.feed_url, callback="http://127.0.0.1:9/cb", secret="s" * 20)

    assert len(hub.requests) == 1 and blog.subscriptions == []


def test_a_live_groupbot_sends_the_hub_secret_over_https_only_unless_the_feed_host_itself_is_http(
        tmp_path, fake, blog, store, live_settings, publisher_for):
    advertise_hub(blog, blog.hub_url.replace("127.0.0.1", "localhost"))  # the same fake hub, under another name
    settings = live_settings(tmp_path / "var", fake, blog)
    publisher = publisher_for(settings, store)
    publisher.poll_now(time.time())

    publisher.keep_websub(time.time())

    [subscription] = store.blog.websub_subscriptions()
    assert "refused plain http to localhost" in subscription.last_error
    assert blog.subscriptions == []


def test_a_dry_run_may_use_a_plain_http_hub(tmp_path, blog, store, dry_run_settings):
    advertise_hub(blog, blog.hub_url.replace("127.0.0.1", "localhost"))
    settings = dry_run_settings(tmp_path, BLOG_FEED_URL=blog.feed_url)
    dispatcher = assemble(settings, store, feed_timeout=2).dispatcher
    dispatcher.poll_now(time.time())

    dispatcher.keep_websub(time.time())

    assert store.blog.websub_subscriptions()[0].state == "requested"
    assert [s.topic for s in blog.subscriptions] == [blog.feed_url]


# -- feed polls and their redirects -----------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_local_install_reads_a_blog_on_loopback_and_a_public_one_does_not_even_ask(
        tmp_path, fake, blog, store, host, live_settings, publisher_for):
    settings = live_settings(tmp_path / "var", fake, blog, BLOG_FEED_URL=blog.feed_url.replace("127.0.0.1", host))
    assert publisher_for(settings, store).poll_now(time.time()).status == "ok"
    assert blog.feed_requests == 1

    public = dataclasses.replace(settings, public_url=PUBLIC_URL)
    report = publisher_for(public, store).poll_now(time.time())

    assert report.status == "error" and report.error.startswith(f"refused {host}: it resolves to ")
    assert "a loopback address" in report.error and "\n" not in report.error
    assert store.blog.feed_state(settings.blog_feed_url).last_error == report.error
    assert blog.feed_requests == 1  # the blog never heard of the second poll


@pytest.mark.parametrize("target, refusal", [
    ("https://10.0.0.5/feed?token=s3cret", "refused 10.0.0.5: it resolves to 10.0.0.5, a private address"),
    ("https://169.254.169.254/latest/meta-data/", "a link-local address"),
    ("https://[::1]:9/feed", "refused ::1: it resolves to ::1, a loopback address"),
    ("https://192.0.2.10/feed", "refused 192.0.2.10: it resolves to 192.0.2.10"),
    ("http://198.51.100.7/feed", "refused plain http to 198.51.100.7"),
])
def test_a_feed_redirect_to_an_internal_address_is_refused_and_nothing_is_lost(
        tmp_path, fake, blog, store, connects, blog_plays_public, target, refusal, live_settings, publisher_for):
    with Redirector(302, blog.feed_url) as moved:
        settings = live_settings(tmp_path / "var", fake, blog, BLOG_FEED_URL=f"{moved.url}/feed",
                                 PUBLIC_URL=PUBLIC_URL)
        publisher = publisher_for(settings, store)
        assert publisher.poll_now(time.time()).status == "ok"
        before = store.blog.feed_state(settings.blog_feed_url)

        moved.location = target
        report = publisher.poll_now(time.time())
        after = store.blog.feed_state(settings.blog_feed_url)
        moved.location = blog.feed_url
        again = publisher.poll_now(time.time())

    assert report.status == "error" and refusal in report.error
    assert "\n" not in report.error and "s3cret" not in report.error
    assert after.last_error == report.error
    assert (after.etag, after.last_modified, after.hub_url) == (before.etag, before.last_modified, before.hub_url)
    assert len(store.blog.list_entries()) == 2
    assert again.status in ("ok", "not_modified")
    assert all(ipaddress.ip_address(a).is_loopback for a in connects)


def test_a_redirect_is_never_followed_by_the_session_itself(blog):
    blog.set_fault("redirect")
    with session_with(LOCAL_RULES) as session:
        answer = session.get(blog.feed_url, timeout=5)

    assert answer.status_code == 302 and answer.headers["Location"] == "/moved-feed"
    assert fetch_feed(blog.feed_url, session=session_with(LOCAL_RULES)).status == "ok"  # the poll follows it, checked


def test_the_connection_goes_to_the_address_that_was_checked(blog, monkeypatch):
    name, real, lookups = "blog.example-immigration-firm.test", socket.getaddrinfo, []

    def rebinding_dns(host, port, *args, **kwargs):
        if host != name:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        # The first answer is the one checked; any later one points where nothing listens (still this machine).
        return real("127.0.0.1" if len(lookups) == 1 else "127.0.0.2", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    url = blog.feed_url.replace("127.0.0.1", name)

    with session_with(LOCAL_RULES) as session:
        pinned = fetch_feed(url, session=session)
    unpinned = fetch_feed(url)  # a plain session asks DNS again, and gets the second answer

    assert pinned.status == "ok" and lookups[:1] == [name]
    assert unpinned.status == "error" and unpinned.error.startswith("could not connect")


def test_one_internal_answer_refuses_the_whole_name(monkeypatch):
    real = socket.getaddrinfo

    def two_answers(host, port, *args, **kwargs):
        if host != "mixed.example-immigration-firm.test":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in ("93.184.216.34", "10.1.2.3")]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    rules = OutgoingRules(internal_allowed=False, https_only=True)

    with pytest.raises(OutgoingRefused, match="resolves to 10.1.2.3, a private address"):
        rules.addresses("mixed.example-immigration-firm.test", 443)


def test_proxies_are_neither_taken_from_the_environment_nor_accepted(blog, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.9:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.9:3128")

    with session_with(LOCAL_RULES) as session:
        assert fetch_feed(blog.feed_url, session=session).status == "ok"
        with pytest.raises(OutgoingRefused, match="proxy"):
            session.get(blog.feed_url, proxies={"http": "http://10.0.0.9:3128"}, timeout=5)

    assert blog.feed_requests == 1


@pytest.mark.parametrize("address", [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.8.9.10", "169.254.169.254", "0.0.0.0",
    "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255", "100.64.0.1", "192.0.2.1", "198.51.100.7",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:10.0.0.1",
    "::ffff:127.0.0.1", "2002:a00:1::", "64:ff9b::a00:1", "2001:db8::1",
])
def test_internal_addresses_are_recognised(address):
    assert internal_kind(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address):
    assert internal_kind(address) is None


@pytest.mark.parametrize("public_url, dry_run, internal_allowed", [
    ("http://127.0.0.1:8000", True, True),
    ("http://localhost:8000", False, True),
    ("http://[::1]:8000", False, True),
    ("https://groupbot.example-immigration-firm.test", False, False),
    ("http://10.0.0.2:8000", True, False),  # a LAN address is not "this machine": the office network is at stake
])
def test_rules_follow_public_url_and_dry_run(tmp_path, public_url, dry_run, internal_allowed, dry_run_settings):
    settings = dry_run_settings(tmp_path, PUBLIC_URL=public_url, DRY_RUN="1" if dry_run else "0",
                                META_PAGE_ACCESS_TOKEN="token",
                                BLOG_FEED_URL="http://blog.example-immigration-firm.test/feed")

    rules = OutgoingRules.for_settings(settings)

    assert (rules.internal_allowed, rules.https_only) == (internal_allowed, not dry_run)
    assert rules.http_hosts == {"blog.example-immigration-firm.test"}
    with guarded_session(settings) as session:
        assert isinstance(session.get_adapter("https://x.test/"), outgoing.GuardedAdapter)
