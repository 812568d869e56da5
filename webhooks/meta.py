"""``/webhooks/meta``: Meta's verification handshake and event deliveries."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, request

from bot.intake import signature
from bot.intake.events import BadPayload, decode_body
from webhooks.services import MAX_BODY_BYTES, services

log = logging.getLogger(__name__)
bp = Blueprint("meta", __name__)


@bp.get("/webhooks/meta")
def verify_subscription() -> Response:
    """Echo ``hub.challenge`` when Meta presents our verify token; 403 otherwise."""
    token = request.args.get("hub.verify_token", "")
    expected = services().settings.verify_token
    if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(token.encode(), expected.encode()):
        log.warning("webhook verification refused (wrong mode or token)")
        return _plain("forbidden", 403)
    return _plain(request.args.get("hub.challenge", ""), 200)


@bp.post("/webhooks/meta")
def receive_delivery() -> Response:
    """Verify, commit the raw body, and answer; parsing and replies happen in the worker."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _refuse(413, "body too large", request.content_length)
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _refuse(413, "body too large", len(body))
    app = services()
    if not signature.verify(body, request.headers.get(signature.HEADER), app.settings.app_secret):
        reason = "missing signature" if signature.HEADER not in request.headers else "bad signature"
        return _refuse(403, reason, len(body))
    try:
        decode_body(body)
    except BadPayload as exc:
        return _refuse(400, str(exc), len(body))
    if not app.writer.submit(body):
        # Not committed: Meta must retry, so it must not see a 200.
        return _plain("try again", 503)
    return _plain("EVENT_RECEIVED", 200)


def _refuse(status: int, reason: str, size: int | None) -> Response:
    log.warning("webhook delivery refused: %s (%s bytes)", reason, size)
    return _plain(reason, status)


def _plain(text: str, status: int) -> Response:
    return Response(text, status=status, mimetype="text/plain")
