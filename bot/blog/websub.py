"""WebSub (W3C) subscriber core: subscribe to the blog's hub, answer its challenge, check content signatures."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from bot.blog.outgoing import OutgoingRefused
from bot.ops.logsafe import printable

logger = logging.getLogger(__name__)

# The spec names sha1, sha256, sha384 and sha512; anything else is refused rather than guessed.
SIGNATURE_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256,
                     "sha384": hashlib.sha384, "sha512": hashlib.sha512}
SECRET_MAX_BYTES = 200  # WebSub: hub.secret MUST be less than 200 bytes


class WebSubError(RuntimeError):
    """The hub refused or could not receive a subscription request; the message is one line."""


def subscribe(hub_url: str, *, topic: str, callback: str, secret: str, lease_seconds: int = 864000,
              session: requests.Session | None = None, timeout: float = 10.0) -> None:
    """Ask the hub to push `topic` to `callback`, signed with `secret`; raises WebSubError unless it answers 2xx."""
    if not secret or len(secret.encode("utf-8")) >= SECRET_MAX_BYTES:
        raise WebSubError(f"the WebSub secret must be 1 to {SECRET_MAX_BYTES - 1} bytes long")
    if urlsplit(hub_url).scheme != "https":
        # The secret travels in the form body; say so without refusing local test hubs.
        logger.warning("subscribing over plain HTTP to %s: the hub secret is not encrypted", _host(hub_url))
    form = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback,
            "hub.secret": secret, "hub.lease_seconds": str(lease_seconds)}
    poster = session or requests
    try:
        # Never redirected: a 307 would replay the form, hub.secret included, wherever the hub says.
        response = poster.post(hub_url, data=form, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise WebSubError(f"could not reach the WebSub hub at {_host(hub_url)} ({type(exc).__name__})") from None
    except OutgoingRefused as exc:
        raise WebSubError(f"WebSub subscription not sent: {exc}") from None
    if response.is_redirect:
        raise WebSubError(f"WebSub hub at {_host(hub_url)} answered with a redirect (HTTP {response.status_code}); "
                          "groupbot does not follow a hub's redirects")
    if not 200 <= response.status_code < 300:  # 202 Accepted is the usual answer
        raise WebSubError(f"WebSub hub at {_host(hub_url)} refused the subscription: HTTP {response.status_code}")
    logger.info("WebSub subscription requested at %s (HTTP %s)", _host(hub_url), response.status_code)


def verify_intent(params: Mapping[str, str], *, expected_topic: str) -> str | None:
    """The hub.challenge to echo for a (un)subscribe check of our topic, else None (answer 404)."""
    mode = params.get("hub.mode")
    challenge = params.get("hub.challenge")
    if mode not in ("subscribe", "unsubscribe") or not challenge:
        if mode == "denied":
            reason = printable(params.get("hub.reason") or "no reason")
            logger.warning("WebSub hub denied the subscription (%s)", reason)
        return None
    if params.get("hub.topic") != expected_topic:
        logger.warning("WebSub %s check for an unexpected topic refused", mode)
        return None
    return challenge


def content_signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """True if X-Hub-Signature ("sha256=<hex>", also sha1/sha384/sha512) is the HMAC of body; constant time."""
    if not header or not secret or "=" not in header:
        return False
    method, _, received = header.strip().partition("=")
    digest = SIGNATURE_METHODS.get(method.strip().lower())
    if digest is None:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, digest).hexdigest()
    # Bytes, not str: compare_digest raises on non-ASCII text, and a header can carry anything.
    return hmac.compare_digest(expected.encode("ascii"), received.strip().lower().encode("utf-8", "replace"))


def _host(url: str) -> str:
    parts = urlsplit(url)
    # Never the user:password part; the feed chose this URL, so no control characters either.
    return printable(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}", 200)
