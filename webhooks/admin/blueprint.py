"""The dashboard's blueprint, its nav and its template filters; the page modules add their routes to ``bp``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint

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
