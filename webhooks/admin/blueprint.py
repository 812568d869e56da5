"""The dashboard's blueprint, its nav and its template filters; the page modules add their routes to ``bp``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, request, url_for
from flask_babel import lazy_gettext
from werkzeug.routing import IntegerConverter

from bot.store.base import Cursor, Page

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")

# SQLite integers are signed 64-bit: a larger id or sort key in a URL would overflow in the query.
MAX_SQL_INT = 2**63 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` limited to what SQLite can hold, so a larger number is a 404, not a 500."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_SQL_INT,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def page_cursor(length: int) -> Cursor | None:
    """The ``?after=`` or ``?before=`` of a paged list (the sort key of the row the page starts beside), or None for
    the first page; 404 when it is not ``length`` numbers."""
    for side in ("after", "before"):
        text = request.args.get(side)
        if text is None:
            continue
        try:
            key = tuple(float(part) if "." in part or "e" in part.lower() else int(part) for part in text.split(","))
        except ValueError:
            abort(404)
        if len(key) != length or not all(math.isfinite(value) and abs(value) <= MAX_SQL_INT for value in key):
            abort(404)
        return Cursor(side, key)
    return None


def pager(page: Page, endpoint: str | None = None) -> dict[str, str | None]:
    """The links to the pages around ``page`` ("newer", "older"; None where there is none), other arguments kept;
    on ``endpoint``, by default the one showing the page."""
    args = {name: value for name, value in request.args.items() if name not in ("after", "before")}
    endpoint = endpoint or request.endpoint

    def link(cursor: Cursor | None) -> str | None:
        if cursor is None:
            return None
        return url_for(endpoint, **args, **{cursor.side: ",".join(repr(value) for value in cursor.key)})

    return {"newer": link(page.newer), "older": link(page.older)}


@dataclass(frozen=True)
class NavEntry:
    """A link in the dashboard's nav: its label and the endpoint it opens."""

    label: str  # lazy: worded in each request's language
    endpoint: str


# In display order. "Sign out" is always last and is not listed here.
NAV: list[NavEntry] = [
    NavEntry(lazy_gettext("Queue"), "admin.queue"),
    NavEntry(lazy_gettext("Posts"), "admin.posts"),
    NavEntry(lazy_gettext("Health"), "admin.health"),
    NavEntry(lazy_gettext("FAQ"), "admin.faq"),
    NavEntry(lazy_gettext("Stats"), "admin.stats"),
    NavEntry(lazy_gettext("Audit"), "admin.audit"),
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
    # Stored before intake refused such times: shown as unknown rather than failing the page.
    if value is not None and (not math.isfinite(value) or abs(value) > 1e11):
        return None
    return value
