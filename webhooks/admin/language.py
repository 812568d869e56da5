"""The dashboard's languages: each admin's choice, else the browser's ``Accept-Language``, else English.

Strings are marked with Flask-Babel's ``gettext``/``lazy_gettext`` (``_`` in templates); the
Spanish catalog is ``translations/es/LC_MESSAGES/messages.po``, committed with its compiled
``.mo`` so an install needs no build step (a test fails when the two disagree).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, flash, g, request
from flask_babel import Babel, force_locale, get_locale, gettext

from bot.accounts import admins as accounts
from bot.accounts.admins import DASHBOARD_LANGUAGES
from webhooks.admin.actions import back
from webhooks.admin.blueprint import bp
from webhooks.services import services

TRANSLATIONS = Path(__file__).parent / "translations"
# Each language names itself, so an admin who cannot read the current one still finds theirs.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}

babel = Babel()


def init_app(app: Flask) -> None:
    """Translate the app's pages and messages into the language ``dashboard_locale`` picks."""
    babel.init_app(app, locale_selector=dashboard_locale, default_translation_directories=str(TRANSLATIONS))


def dashboard_locale() -> str:
    """The signed-in admin's choice; before any, the browser's preferred language the dashboard has."""
    admin = getattr(g, "admin", None)
    if admin and admin.language in DASHBOARD_LANGUAGES:
        return admin.language
    return request.accept_languages.best_match(DASHBOARD_LANGUAGES) or DASHBOARD_LANGUAGES[0]


@bp.app_context_processor
def _languages() -> dict:
    current = str(get_locale() or DASHBOARD_LANGUAGES[0])
    others = [(code, LANGUAGE_NAMES[code]) for code in DASHBOARD_LANGUAGES if code != current]
    return {"page_language": current, "other_languages": others}


@bp.post("/language")
def choose_language():
    """Store the language the signed-in admin chose, for this and every later session."""
    language = request.form.get("language", "")
    try:
        accounts.set_language(services().store, g.admin, language)
    except accounts.AccountError:
        flash(gettext("That language is not available."), "error")
        return back()
    with force_locale(language):
        flash(gettext("The dashboard is now in English."))
    return back()
