"""The dashboard: pages under ``/admin``, behind sign-in, with CSRF checks and a strict CSP.

Each page lives in its own module and adds its routes to ``bp`` (``blueprint.py``). A page that
belongs in the nav adds one ``NavEntry`` line to ``NAV`` there, at the place it should appear.
"""

from __future__ import annotations

from flask import Flask

from bot.config import Settings

# The page modules add their routes to bp when imported; importing them here is what mounts them.
from webhooks.admin import (  # noqa: F401
    audit,
    auth,
    banner,
    faq,
    formatting,
    health,
    language,
    posts,
    queue,
    queue_actions,
    security,
    stats,
)
from webhooks.admin.blueprint import RowIdConverter, bp


def init_app(app: Flask, settings: Settings) -> None:
    """Secure the app's sessions and forms, then mount the dashboard."""
    security.init_app(app, settings)
    language.init_app(app)
    # Before the blueprint is registered: its rules pick their converters when added.
    app.url_map.converters["int"] = RowIdConverter
    app.register_blueprint(bp)
