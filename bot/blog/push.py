"""Push from the blog: the WebSub subscription's life (request, hub check, renewal) and signed pings.

Whatever a push carries, it only asks for a poll: the feed is fetched and checked as usual, so
a forged or replayed ping can at worst cost one conditional GET.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

import requests

from bot.blog import websub
from bot.blog.outgoing import guarded_session
from bot.config import Settings
from bot.intake import signature
from bot.ops.logsafe import printable
from bot.store import Store
from bot.store.blog import WebSubSubscription

log = logging.getLogger(__name__)

CALLBACK_PATH = "/webhooks/blog"
LEASE_SECONDS = 10 * 86400
RETRY_REQUEST_SECONDS = 3600.0  # a request the hub never confirmed, or refused, is made again after this
# A hub checks a request within seconds; a check later than this was not caused by our request.
VERIFY_WINDOW_SECONDS = 600.0
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class PingVerdict:
    """Whether a POST to /webhooks/blog is accepted (status 202) or refused (403), and why."""

    status: int
    reason: str

    @property
    def accepted(self) -> bool:
        """True when the ping asks for a poll."""
        return self.status < 300


def callback_url(settings: Settings) -> str:
    """Where the hub pushes to and checks us: PUBLIC_URL + /webhooks/blog."""
    return settings.public_url + CALLBACK_PATH


def keep_websub_subscription(store: Store, settings: Settings, now: float, *,
                             session: requests.Session | None = None) -> str | None:
    """Subscribe (or renew) when the feed advertises a hub; returns what was done, None if nothing."""
    state = store.blog.feed_state(settings.blog_feed_url) if settings.blog_feed_url else None
    if state is None or not state.hub_url:
        return None
    topic, callback = state.self_url or settings.blog_feed_url, callback_url(settings)
    if _host(callback) in _LOCAL_HOSTS and _host(state.hub_url) not in _LOCAL_HOSTS:
        return None  # the hub could never reach a callback on this machine; set PUBLIC_URL
    existing = store.blog.websub_subscription(state.hub_url, topic)
    if not _needs_request(existing, now):
        return None
    secret = existing.secret if existing else secrets.token_hex(32)
    store.blog.save_websub_request(state.hub_url, topic, callback, secret, LEASE_SECONDS, now)
    own_session = session is None
    session = session or guarded_session(settings)
    try:
        websub.subscribe(state.hub_url, topic=topic, callback=callback, secret=secret,
                         lease_seconds=LEASE_SECONDS, session=session)
    except websub.WebSubError as exc:
        saved = store.blog.websub_subscription(state.hub_url, topic)
        if saved:
            store.blog.set_websub_state(saved.id, "failed", now, error=str(exc))
        log.warning("WebSub subscription failed (polling continues): %s", printable(exc, 500))
        return "failed"
    finally:
        if own_session:
            session.close()
    return "renewed" if existing and existing.state == "verified" else "requested"


def _needs_request(sub: WebSubSubscription | None, now: float) -> bool:
    if sub is None:
        return True
    if sub.requested_at > (sub.verified_at or 0) and now - sub.requested_at < RETRY_REQUEST_SECONDS:
        return False  # asked recently: the hub's check (or a retry) is still to come
    if sub.state == "verified":
        return sub.expires_at is None or sub.expires_at - now < sub.lease_seconds / 10
    return True


def confirm_websub(store: Store, params: Mapping[str, str], now: float) -> str | None:
    """The challenge to echo when the hub checks a request we made in the last 10 minutes; None means 404."""
    mode, topic = params.get("hub.mode"), params.get("hub.topic", "")
    ours = [s for s in store.blog.websub_subscriptions() if s.topic == topic]
    if not ours:
        log.warning("WebSub %s for a topic we never subscribed to refused (topic %s)",
                    printable(mode or "check", 20), printable(topic))
        return None
    # Anyone can send this GET: only a request the hub actually received from us, lately, may be answered.
    # A denial (possibly forged) does not close the window, so the hub's own check still gets through.
    awaited = [s for s in ours if s.state in ("requested", "verified", "denied") and _asked_recently(s, now)]
    if mode == "denied":
        _record_denial(store, awaited, params, now)
        return None
    if not awaited:
        log.warning("WebSub %s check refused: the hub accepted no request of ours for this topic in the last %d "
                    "minutes", printable(mode or "check", 20), VERIFY_WINDOW_SECONDS // 60)
        return None
    challenge = websub.verify_intent(params, expected_topic=topic)
    if challenge is None:
        return None
    if mode != "subscribe":
        log.warning("WebSub unsubscribe check refused: groupbot never unsubscribes")
        return None
    lease = _lease_seconds(params.get("hub.lease_seconds"), awaited[0].lease_seconds)
    if lease is None:
        log.warning("WebSub check refused: hub.lease_seconds is not a whole number of seconds (%s)",
                    printable(params.get("hub.lease_seconds"), 40))
        return None
    for sub in awaited:
        store.blog.set_websub_state(sub.id, "verified", now, lease_seconds=lease)
    log.info("WebSub subscription confirmed by the hub (lease %d s)", lease)
    return challenge


def _asked_recently(sub: WebSubSubscription, now: float) -> bool:
    return now - sub.requested_at <= VERIFY_WINDOW_SECONDS


def _record_denial(store: Store, awaited: list[WebSubSubscription], params: Mapping[str, str], now: float) -> None:
    reason = printable(params.get("hub.reason") or "no reason")
    pending = [s for s in awaited if s.state in ("requested", "denied")]
    for sub in pending:
        store.blog.set_websub_state(sub.id, "denied", now, error=reason)
    if pending:
        log.warning("WebSub hub denied the subscription (%s)", reason)
    elif awaited:
        # A verified subscription keeps its secret until its lease ends: a denial anyone could forge
        # must not make the hub's signed pushes bounce.
        log.warning("WebSub hub denied a renewal (%s); the current subscription stays until its lease ends", reason)
    else:
        log.warning("WebSub denial refused: groupbot has no pending request for this topic")


def check_ping(store: Store, settings: Settings, body: bytes, *, signature_256: str | None,
               hub_signature: str | None) -> PingVerdict:
    """Accept a JSON ping signed with BLOG_WEBHOOK_SECRET, or a WebSub push signed with our hub secret."""
    if signature_256:
        if not settings.blog_webhook_secret:
            return PingVerdict(403, "BLOG_WEBHOOK_SECRET is not set, so signed pings cannot be checked")
        if signature.verify(body, signature_256, settings.blog_webhook_secret):
            return PingVerdict(202, "signed ping")
        return PingVerdict(403, "bad X-Hub-Signature-256")
    if hub_signature:
        secrets_in_use = [s.secret for s in store.blog.websub_subscriptions() if s.state in ("requested", "verified")]
        if any(websub.content_signature_valid(body, hub_signature, secret) for secret in secrets_in_use):
            return PingVerdict(202, "WebSub push")
        return PingVerdict(403, "bad X-Hub-Signature")
    if not settings.blog_webhook_secret:
        return PingVerdict(403, "unsigned ping, and BLOG_WEBHOOK_SECRET is not set")
    return PingVerdict(403, "missing signature")


def _lease_seconds(raw: str | None, default: int) -> int | None:
    """The lease the hub granted, at most LEASE_SECONDS so it is renewed in time; None if not a sane number."""
    if not raw:
        return min(default, LEASE_SECONDS)
    if not re.fullmatch(r"[0-9]{1,12}", raw) or int(raw) == 0:
        return None  # 10**25 would not even fit in the database
    return min(max(60, int(raw)), LEASE_SECONDS)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
