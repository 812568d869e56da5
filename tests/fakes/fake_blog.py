"""A fake WordPress blog on 127.0.0.1: a feed with ETag/Last-Modified, fault modes, and a WebSub hub.

Standalone: `python -m tests.fakes.fake_blog --port N --feed FILE` prints the feed URL on its first
line, then serves until interrupted. Control it over HTTP: `POST /_fake/feed` (body = the new feed),
`POST /_fake/fault` ({"mode": "html" | ... | null, "slow_seconds": 2}), `GET /_fake/stats`,
`POST /_fake/hub/verify` ({"callback": URL}), `POST /_fake/hub/publish`, `POST /_fake/reset`.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

RSS_TYPE = "application/rss+xml; charset=UTF-8"
FAULTS = ("html", "truncated", "not_found", "server_error", "slow", "redirect", "redirect_loop",
          "huge", "wrong_content_type")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAINTENANCE_PAGE = (b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>"
                    b"<h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1></body></html>")


@dataclass
class FakePost:
    """One post for build_rss; guid defaults to a WordPress-style non-permalink `?p=` id."""

    title: str
    link: str
    guid: str | None = None
    content_html: str = ""
    summary_html: str = ""
    published: datetime | None = None


@dataclass
class Subscription:
    """A WebSub subscription the hub received (verified once the callback echoed the challenge)."""

    callback: str
    topic: str
    secret: str
    lease_seconds: int
    verified: bool = False


def build_rss(posts: list[FakePost], *, site_url: str = "https://blog.example-immigration-firm.test/",
              self_url: str | None = None, hub_url: str | None = None) -> bytes:
    """A WordPress-like RSS 2.0 document for the posts, in the given order."""
    links = "".join(f'<atom:link href="{escape(u)}" rel="{rel}"/>'
                    for rel, u in (("self", self_url), ("hub", hub_url)) if u)
    items = "".join(_rss_item(post) for post in posts)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>Demo Immigration Blog</title><link>{escape(site_url)}</link>{links}"
        f"<description>Immigration news</description>{items}</channel></rss>\n"
    ).encode("utf-8")


def make_posts(count: int, *, start: datetime | None = None) -> list[FakePost]:
    """`count` realistic posts, newest first, an hour apart."""
    start = start or datetime(2026, 10, 1, 17, 0, tzinfo=timezone.utc)
    body = ("<p>USCIS announced changes that affect families in San Diego &amp; Tijuana. "
            "Here is what you need to know before your next appointment.</p>" * 4)
    return [FakePost(title=f"Immigration update #{n}", link=f"https://blog.example-immigration-firm.test/update-{n}/",
                     guid=f"https://blog.example-immigration-firm.test/?p={1000 + n}",
                     content_html=body, summary_html="USCIS announced changes [&#8230;]",
                     published=start - timedelta(hours=count - n)) for n in range(count, 0, -1)]


def _rss_item(post: FakePost) -> str:
    guid = post.guid or ""
    date = email.utils.format_datetime(post.published) if post.published else ""
    return (
        f"<item><title>{escape(post.title)}</title><link>{escape(post.link)}</link>"
        + (f'<guid isPermaLink="false">{escape(guid)}</guid>' if guid else "")
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + f"<description><![CDATA[{post.summary_html}]]></description>"
        + f"<content:encoded><![CDATA[{post.content_html}]]></content:encoded></item>"
    )


class FakeBlog:
    """A real HTTP server on 127.0.0.1 (free port, daemon thread) serving one feed and a WebSub hub."""

    def __init__(self, feed: bytes | None = None, *, port: int = 0, content_type: str = RSS_TYPE,
                 slow_seconds: float = 2.0, huge_bytes: int = 64 * 1024 * 1024, auto_verify: bool = False):
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.auto_verify = auto_verify
        self.fault: str | None = None
        self.hub_status = 202
        self.advertise_hub = True  # Link: rel="hub" header on feed responses
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.blog = self
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.feed_url = f"{self.base_url}/feed"
        self.hub_url = f"{self.base_url}/hub"
        self._subscriptions: dict[tuple[str, str], Subscription] = {}
        self.reset_stats()
        self.set_feed(feed if feed is not None else build_rss([], self_url=self.feed_url), content_type=content_type)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-blog", daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeBlog:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving; slow handlers wake up and give up."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    # --- the feed ---

    def set_feed(self, data: bytes, *, content_type: str = RSS_TYPE) -> None:
        """Serve these bytes from now on, with a new ETag and Last-Modified."""
        with self._lock:
            self._feed, self._content_type = data, content_type
            self._etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
            self._modified_at = time.time()

    def set_posts(self, posts: list[FakePost], *, with_hub: bool = True) -> bytes:
        """Serve an RSS feed built from the posts (advertising this hub); returns its bytes."""
        data = build_rss(posts, self_url=self.feed_url, hub_url=self.hub_url if with_hub else None)
        self.advertise_hub = with_hub
        self.set_feed(data)
        return data

    def set_fault(self, mode: str | None) -> None:
        """Make /feed misbehave (one of FAULTS), or behave again with None."""
        if mode is not None and mode not in FAULTS:
            raise ValueError(f"unknown fault {mode!r}; use one of {', '.join(FAULTS)}")
        self.fault = mode

    def snapshot(self) -> tuple[bytes, str, str, float]:
        """The feed bytes, content type, ETag and modification time being served."""
        with self._lock:
            return self._feed, self._content_type, self._etag, self._modified_at

    # --- counters ---

    def reset_stats(self) -> None:
        """Zero the request and byte counters."""
        with self._lock:
            self.feed_requests = self.not_modified = self.bytes_sent = 0
            self.paths: list[str] = []

    def count(self, path: str, *, feed: bool = False, body_bytes: int = 0, not_modified: bool = False) -> None:
        """Record one request (and the feed body bytes sent for it)."""
        with self._lock:
            self.paths.append(path)
            self.feed_requests += feed
            self.not_modified += not_modified
            self.bytes_sent += body_bytes

    def stats(self) -> dict:
        """Counters and subscriptions (without secrets), as the control API returns them."""
        with self._lock:
            return {"feed_requests": self.feed_requests, "not_modified": self.not_modified,
                    "bytes_sent": self.bytes_sent, "requests": len(self.paths),
                    "subscriptions": [{"callback": s.callback, "topic": s.topic, "verified": s.verified,
                                       "lease_seconds": s.lease_seconds} for s in self._subscriptions.values()]}

    # --- the hub ---

    @property
    def subscriptions(self) -> list[Subscription]:
        """The subscriptions the hub holds."""
        with self._lock:
            return list(self._subscriptions.values())

    def hub_request(self, form: dict[str, str]) -> int:
        """Record a subscribe/unsubscribe request; returns the HTTP status the hub answers."""
        mode, callback, topic = form.get("hub.mode"), form.get("hub.callback", ""), form.get("hub.topic", "")
        if mode not in ("subscribe", "unsubscribe") or not topic or urlsplit(callback).hostname not in LOCAL_HOSTS:
            return 400
        if self.hub_status >= 300:
            return self.hub_status
        with self._lock:
            if mode == "subscribe":
                self._subscriptions[(callback, topic)] = Subscription(
                    callback, topic, form.get("hub.secret", ""), int(form.get("hub.lease_seconds") or 864000))
        if self.auto_verify or mode == "unsubscribe":
            threading.Thread(target=self.hub_verify, args=(callback, mode), daemon=True).start()
        return self.hub_status

    def hub_verify(self, callback: str, mode: str = "subscribe") -> bool:
        """Send the GET challenge to the callback; the subscription is verified if it echoes it."""
        with self._lock:
            subs = [s for s in self._subscriptions.values() if s.callback == callback]
        verified = False
        for sub in subs:
            challenge = secrets.token_urlsafe(16)
            params = {"hub.mode": mode, "hub.topic": sub.topic, "hub.challenge": challenge,
                      "hub.lease_seconds": str(sub.lease_seconds)}
            try:
                response = requests.get(callback, params=params, timeout=5)
            except requests.RequestException:
                continue
            ok = response.ok and response.text.strip() == challenge
            with self._lock:
                sub.verified = ok and mode == "subscribe"
                if ok and mode == "unsubscribe":
                    self._subscriptions.pop((sub.callback, sub.topic), None)
            verified = verified or ok
        return verified

    def hub_publish(self) -> list[int]:
        """POST the current feed to every verified subscriber, signed with X-Hub-Signature sha256."""
        data, content_type, _, _ = self.snapshot()
        statuses = []
        for sub in self.subscriptions:
            if not sub.verified:
                continue
            signature = hmac.new(sub.secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
            headers = {"Content-Type": content_type, "X-Hub-Signature": f"sha256={signature}",
                       "Link": f'<{self.hub_url}>; rel="hub", <{sub.topic}>; rel="self"'}
            try:
                statuses.append(requests.post(sub.callback, data=data, headers=headers, timeout=5).status_code)
            except requests.RequestException:
                statuses.append(0)
        return statuses


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeWordPress/6.6"

    @property
    def blog(self) -> FakeBlog:
        return self.server.blog

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/_fake/stats":
            return self._reply(200, json.dumps(self.blog.stats()).encode(), "application/json")
        if path in ("/loop/a", "/loop/b"):
            self.blog.count(path)
            return self._redirect("/loop/b" if path == "/loop/a" else "/feed")
        if path in ("/feed", "/feed/", "/moved-feed"):
            return self._serve_feed(path)
        self.blog.count(path)
        self._reply(404, b"<html><body>Not found</body></html>", "text/html")

    def do_POST(self):
        path = urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.blog.count(path)
        if path == "/hub":
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            return self._reply(self.blog.hub_request(form), b"", "text/plain")
        control = {"/_fake/feed": self._control_feed, "/_fake/fault": self._control_fault,
                   "/_fake/hub/verify": self._control_verify, "/_fake/hub/publish": self._control_publish,
                   "/_fake/reset": self._control_reset}.get(path)
        if control is None:
            return self._reply(404, b"", "text/plain")
        try:
            answer = control(body)
        except (ValueError, KeyError) as exc:
            return self._reply(400, json.dumps({"error": str(exc)}).encode(), "application/json")
        self._reply(200, json.dumps(answer).encode(), "application/json")

    # --- control API ---

    def _control_feed(self, body: bytes) -> dict:
        self.blog.set_feed(body, content_type=self.headers.get("Content-Type") or RSS_TYPE)
        return {"bytes": len(body)}

    def _control_fault(self, body: bytes) -> dict:
        settings = json.loads(body or b"{}")
        self.blog.set_fault(settings.get("mode"))
        if "slow_seconds" in settings:
            self.blog.slow_seconds = float(settings["slow_seconds"])
        return {"mode": self.blog.fault}

    def _control_verify(self, body: bytes) -> dict:
        return {"verified": self.blog.hub_verify(json.loads(body)["callback"])}

    def _control_publish(self, body: bytes) -> dict:
        return {"statuses": self.blog.hub_publish()}

    def _control_reset(self, body: bytes) -> dict:
        self.blog.reset_stats()
        self.blog.set_fault(None)
        return {"reset": True}

    # --- the feed and its faults ---

    def _serve_feed(self, path: str) -> None:
        data, content_type, etag, modified_at = self.blog.snapshot()
        fault = self.blog.fault
        if fault == "redirect" and path != "/moved-feed":
            return self._count_and(path, self._redirect, "/moved-feed")
        if fault == "redirect_loop":
            return self._count_and(path, self._redirect, "/loop/a")
        if fault == "slow" and self.blog._closing.wait(self.blog.slow_seconds):
            return None
        if fault == "huge":
            return self._stream_huge(path)
        simple = {"html": (200, MAINTENANCE_PAGE, "text/html; charset=UTF-8"),
                  "not_found": (404, MAINTENANCE_PAGE.replace(b"Briefly unavailable", b"Page not found"), "text/html"),
                  "server_error": (500, b"<html><body>Internal Server Error</body></html>", "text/html"),
                  "truncated": (200, data[: len(data) * 3 // 5], content_type)}.get(fault)
        if simple:
            self.blog.count(path, feed=True, body_bytes=len(simple[1]))
            return self._reply(*simple)
        if self._not_modified(etag, modified_at):
            self.blog.count(path, feed=True, not_modified=True)
            return self._reply(304, None, None, etag=etag, modified_at=modified_at)
        self.blog.count(path, feed=True, body_bytes=len(data))
        served_type = "text/html; charset=UTF-8" if fault == "wrong_content_type" else content_type
        links = f'<{self.blog.hub_url}>; rel="hub", <{self.blog.feed_url}>; rel="self"'
        self._reply(200, data, served_type, etag=etag, modified_at=modified_at,
                    links=links if self.blog.advertise_hub else None)

    def _not_modified(self, etag: str, modified_at: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return etag in tags or "*" in tags
        since = self.headers.get("If-Modified-Since")
        try:
            return since is not None and int(modified_at) <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False

    def _stream_huge(self, path: str) -> None:
        # No Content-Length and chunks generated on the fly: the client must enforce its own cap.
        self.send_response(200)
        self.send_header("Content-Type", RSS_TYPE)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent, chunk = 0, b"<!-- " + b"padding " * 8190 + b"-->\n"
        try:
            self.wfile.write(b'<?xml version="1.0"?>\n<rss version="2.0"><channel>\n')
            while sent < self.blog.huge_bytes and not self.blog._closing.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the client hung up once it hit its cap, as it should
        self.blog.count(path, feed=True, body_bytes=sent)

    def _count_and(self, path: str, action, *args) -> None:
        self.blog.count(path, feed=True)
        action(*args)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _reply(self, status: int, body: bytes | None, content_type: str | None, *, etag: str | None = None,
               modified_at: float | None = None, links: str | None = None) -> None:
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            if etag:
                self.send_header("ETag", etag)
            if modified_at is not None:
                self.send_header("Last-Modified", email.utils.formatdate(modified_at, usegmt=True))
            if links:
                self.send_header("Link", links)
            if body is not None:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client gave up (a timeout test): nothing to tell


def main(argv: list[str] | None = None) -> None:
    """Run the fake blog until interrupted, printing the feed URL first."""
    parser = argparse.ArgumentParser(description="Fake blog with a feed and a WebSub hub on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--feed", type=Path, help="feed file to serve (default: the bundled demo feed)")
    parser.add_argument("--auto-verify", action="store_true", help="verify WebSub subscriptions at once")
    args = parser.parse_args(argv)
    feed_file = args.feed or Path(__file__).resolve().parents[2] / "bot" / "data" / "demo_feed.xml"
    blog = FakeBlog(feed_file.read_bytes(), port=args.port, auto_verify=args.auto_verify)
    print(blog.feed_url, flush=True)
    try:
        blog._closing.wait()
    except KeyboardInterrupt:
        pass
    finally:
        blog.close()


if __name__ == "__main__":
    main()
