"""Signing in and out, and the sign-in requirement on every ``/admin`` page."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from bot.accounts import admins as accounts
from webhooks.admin.blueprint import bp
from webhooks.services import services

PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.static"})
WRONG_CREDENTIALS = lazy_gettext("Wrong email or password.")


@bp.before_app_request
def require_sign_in():
    """Send anyone without a live session to the sign-in page, remembering where they were."""
    if not _is_admin_path(request.path) or request.endpoint == "admin.static":
        return None
    g.admin = accounts.session_admin(services().store, session.get("token"))
    if g.admin or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    session.pop("token", None)
    # Only a page can be returned to; a form's target cannot be replayed with GET.
    wanted = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login", next=wanted))


@bp.route("/login", methods=("GET", "POST"))
def login():
    """The sign-in form; on success a fresh session and a redirect to where the admin was going."""
    next_path = safe_next(request.args.get("next"))
    if request.method == "GET":
        if g.admin:
            return redirect(next_path)
        return render_template("admin/login.html", next=next_path)
    email = request.form.get("email", "")
    address = request.remote_addr or "unknown"
    result = accounts.sign_in(services().store, email, request.form.get("password", ""), address)
    if result.throttled:
        minutes = math.ceil(result.retry_after / 60)
        error = ngettext("Too many failed sign-ins. Wait %(num)d minute, then try again.",
                         "Too many failed sign-ins. Wait %(num)d minutes, then try again.", minutes)
        return render_template("admin/login.html", next=next_path, email=email, error=error), 429
    if not result.token:
        return render_template("admin/login.html", next=next_path, email=email, error=WRONG_CREDENTIALS), 401
    # A new session from scratch: nothing set before signing in survives it (session fixation).
    session.clear()
    session.permanent = True
    session["token"] = result.token
    return redirect(next_path)


@bp.post("/logout")
def logout():
    """End the session here and in the database, then show the sign-in page."""
    accounts.end_session(services().store, session.get("token"))
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("admin.login"))


def safe_next(target: str | None) -> str:
    """``target`` when it is a dashboard path on this site; the queue otherwise."""
    fallback = url_for("admin.queue")
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not _is_admin_path(parts.path) or target.startswith("//"):
        return fallback
    return target


def _is_admin_path(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")
