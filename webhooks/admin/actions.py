"""How every dashboard action ends: a flash message, then a redirect back to the page it came from."""

from __future__ import annotations

from typing import Callable

from flask import flash, g, redirect, request
from werkzeug.wrappers import Response

from bot.errors import Refused
from webhooks.admin.auth import safe_next
from webhooks.admin.formatting import sentence


def actor() -> str:
    """The signed-in admin's email: who the audit log says acted."""
    return g.admin.email


def back() -> Response:
    """Redirect to the dashboard page the form was on (its ``back`` field), else to the queue."""
    return redirect(safe_next(request.form.get("back")))


def run(action: Callable[[], object], success: str) -> Response:
    """Do ``action``; flash ``success``, or a refusal's one-line reason as an error; then go back.

    Only ``Refused`` becomes a message; anything else propagates (a bug is a 500, not a flash message).
    """
    try:
        action()
    except Refused as refusal:
        flash(sentence(str(refusal)), "error")
    else:
        flash(success)
    return back()
