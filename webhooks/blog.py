"""``/webhooks/blog``: the WebSub hub's checks and pushes, and JSON pings signed with BLOG_WEBHOOK_SECRET.

Register with ``app.register_blueprint(bp, wake=callable)``: ``wake`` hurries the
worker; other processes see the poll request in the database.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, request

from bot.blog import push as blog_push
from bot.blog.entries import request_poll
from bot.intake import signature
from webhooks.services import MAX_BODY_BYTES, services

log = logging.getLogger(__name__)
bp = Blueprint("blog", __name__)
_WAKE = "groupbot.blog_wake"


@bp.record_once
def _remember_wake(state) -> None:
    state.app.extensions[_WAKE] = state.options.get("wake")


@bp.get("/webhooks/blog")
def confirm_subscription() -> Response:
    """Echo ``hub.challenge`` when the hub checks a subscription we asked for; 404 otherwise."""
    challenge = blog_push.confirm_websub(services().store, request.args, time.time())
    return _plain(challenge, 200) if challenge is not None else _plain("unknown subscription", 404)


@bp.post("/webhooks/blog")
def receive_ping() -> Response:
    """A signed ping or WebSub push: ask for a poll now. Its content is not trusted or read."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _refuse(413, "body too large")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _refuse(413, "body too large")
    app = services()
    verdict = blog_push.check_ping(app.store, app.settings, body,
                                   signature_256=request.headers.get(signature.HEADER),
                                   hub_signature=request.headers.get("X-Hub-Signature"))
    if not verdict.accepted:
        return _refuse(verdict.status, verdict.reason)
    request_poll(app.store)
    wake = current_app.extensions.get(_WAKE)
    if wake is not None:
        wake()
    log.info("blog %s received (%d bytes): poll requested", verdict.reason, len(body))
    return _plain("poll requested", 202)


def _refuse(status: int, reason: str) -> Response:
    log.warning("blog ping refused: %s", reason)
    return _plain(reason, status)


def _plain(text: str, status: int) -> Response:
    return Response(text, status=status, mimetype="text/plain")
