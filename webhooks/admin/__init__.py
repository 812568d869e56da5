"""The dashboard: pages under ``/admin``, behind sign-in, with CSRF checks and a strict CSP.

Each page lives in its own module and adds its routes to ``bp``. A page that belongs in the
nav adds one ``NavEntry`` line to ``NAV``, at the place it should appear.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Flask

from bot.config import Settings

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")


@dataclass(frozen=True)
class NavEntry:
    """A link in the dashboard's nav: its label and the endpoint it opens."""

    label: str
    endpoint: str


# In display order. "Sign out" is always last and is not listed here.
NAV: list[NavEntry] = [
    NavEntry("Queue", "admin.queue"),
    NavEntry("Posts", "admin.posts"),
    NavEntry("Health", "admin.health"),
    NavEntry("FAQ", "admin.faq"),
    NavEntry("Stats", "admin.stats"),
    NavEntry("Audit", "admin.audit"),
]


def init_app(app: Flask, settings: Settings) -> None:
    """Secure the app's sessions and forms, then mount the dashboard."""
    from webhooks.admin import security

    security.init_app(app, settings)
    app.register_blueprint(bp)


@bp.app_context_processor
def _nav() -> dict:
    return {"nav": NAV}


@bp.app_template_filter("when")
def when(value: float | str | None) -> str:
    """A stored time (epoch seconds or ISO 8601) as 'YYYY-MM-DD HH:MM UTC'; '' when missing."""
    epoch = _epoch(value)
    return "" if epoch is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


@bp.app_template_filter("iso")
def iso(value: float | str | None) -> str:
    """A stored time as ISO 8601 UTC, for <time datetime>; '' when missing."""
    epoch = _epoch(value)
    return "" if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _epoch(value: float | str | None) -> float | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return value


# The page modules register their routes on bp when imported.
from webhooks.admin import (  # noqa: E402,F401
    audit,
    auth,
    faq,
    formatting,
    health,
    posts,
    queue,
    queue_actions,
    stats,
)
