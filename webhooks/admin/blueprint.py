"""The dashboard's blueprint, its nav and its template filters; the page modules add their routes to ``bp``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, request
from flask_babel import lazy_gettext
from werkzeug.routing import IntegerConverter

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")

# SQLite integers are signed 64-bit: a larger id or page in a URL would overflow in the query.
MAX_SQL_INT = 2**63 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` limited to what SQLite can hold, so a larger number is a 404, not a 500."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_SQL_INT,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def page_number() -> int:
    """The ``?page=`` of a paged list (1 when absent or not a number); 404 when too large to query."""
    page = max(request.args.get("page", 1, type=int), 1)
    if page > MAX_SQL_INT // 100:  # the offset is (page - 1) * page size
        abort(404)
    return page


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
