"""App-wide protections for the dashboard: cookies, CSRF, proxy headers, response headers."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, render_template, request
from flask_babel import lazy_gettext as N_
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.accounts.admins import SESSION_SECONDS
from bot.config import Settings

# No inline script or style anywhere in the dashboard: member text is hostile input, and this
# makes an escaping mistake inert instead of exploitable.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Meta and the blog sign their requests; they cannot carry a CSRF token.
CSRF_EXEMPT_PREFIX = "/webhooks/"

csrf = CSRFProtect()
# Flask-WTF's reasons, worded in the dashboard's language; a reason not listed is shown as it comes.
CSRF_REASONS = {
    "The CSRF token is missing.": N_("The form's security token is missing."),
    "The CSRF session token is missing.": N_("The session's security token is missing."),
    "The CSRF token has expired.": N_("The form's security token has expired."),
    "The CSRF token is invalid.": N_("The form's security token is not valid."),
    "The CSRF tokens do not match.": N_("The form's security token does not match this session."),
    "The referrer header is missing.": N_("The browser did not say which page sent the form."),
    "The referrer does not match the host.": N_("The form was sent from another site."),
}


def init_app(app: Flask, settings: Settings) -> None:
    """Configure sessions, CSRF, proxy trust and security headers on ``app``."""
    app.config.update(
        SESSION_COOKIE_NAME="groupbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=SESSION_SECONDS),
        # The server-side session has a fixed lifetime; a sliding cookie would only mislead.
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=SESSION_SECONDS,
        WTF_CSRF_CHECK_DEFAULT=False,
    )
    if settings.trust_proxy_hops:
        hops = settings.trust_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csrf.init_app(app)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_refused)


def _check_csrf() -> None:
    """Every state-changing request carries the form's token, except signed webhooks."""
    if not request.path.startswith(CSRF_EXEMPT_PREFIX):
        csrf.protect()


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        # same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS form posts.
        response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/admin") and not request.path.startswith("/admin/static/"):
        # Pages show member messages: keep them out of shared and back-button caches.
        response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_refused(error: CSRFError):
    reason = CSRF_REASONS.get(error.description, error.description)
    return render_template("admin/refused.html", reason=reason), 400
