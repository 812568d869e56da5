"""``/admin/stats``: questions per intent per week, and how long members waited for a reply.

The chart is SVG drawn on the server (no script, no chart library); a table holds the same numbers.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from babel.dates import format_date
from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from webhooks.admin.blueprint import bp
from webhooks.admin.chart import NARROW, WIDE, stacked_bars
from webhooks.admin.words import intent_label
from webhooks.services import services

WEEKS = 8
WEEK = 7 * 86400
MONDAY_OFFSET = 4 * 86400  # 1970-01-01 was a Thursday; the 5th, a Monday
NO_ANSWER = "no FAQ answer"  # the key of questions the FAQ had no answer for; shown in the page's language


@bp.get("/stats")
def stats():
    """The last eight weeks (Monday to Sunday, UTC), the current one last."""
    weeks = week_starts(time.time(), WEEKS)
    store = services().store
    no_answer = _("no FAQ answer")
    counts = {no_answer if intent == NO_ANSWER else intent_label(intent): values
              for intent, values in intents_per_week(store.dashboard.intents_per_week(weeks[0], WEEK, WEEKS),
                                                     len(weeks)).items()}
    waits, overall = store.dashboard.waits_per_week(weeks[0], WEEK, WEEKS)
    labels = [week_label(start) for start in weeks]
    return render_template(
        "admin/stats.html", labels=labels, counts=counts, totals=[sum(c) for c in zip(*counts.values())],
        medians=[waits[n].median if n in waits else None for n in range(len(weeks))],
        replies=[waits[n].replies if n in waits else 0 for n in range(len(weeks))],
        overall=overall.median if overall else None, answered=overall.replies if overall else 0,
        charts={size: stacked_bars(labels, counts, none_label=no_answer, size=dims)
                for size, dims in (("wide", WIDE), ("narrow", NARROW))} if counts else None,
    )


def week_starts(now: float, weeks: int) -> list[float]:
    """The starts (Monday 00:00 UTC) of the last ``weeks`` weeks, oldest first, this week last."""
    this_week = now - (now - MONDAY_OFFSET) % WEEK
    return [this_week - WEEK * back for back in range(weeks - 1, -1, -1)]


def week_label(start: float) -> str:
    """'Week of Mar 3'-style label, shortened to 'Mar 3' ('3 mar' in Spanish)."""
    day = datetime.fromtimestamp(start, timezone.utc).date()
    locale = str(get_locale() or "en")
    return format_date(day, "d MMM" if locale == "es" else "MMM d", locale=locale)


def intents_per_week(counted: list[tuple[int, str | None, int]], weeks: int) -> dict[str, list[int]]:
    """Questions per intent (``NO_ANSWER`` when the FAQ had none) per week, biggest intent first, from
    (week number, intent, questions) as the store counts them."""
    counts: dict[str, list[int]] = {}
    for week, intent, questions in counted:
        counts.setdefault(intent or NO_ANSWER, [0] * weeks)[week] += questions
    return dict(sorted(counts.items(), key=lambda item: (item[0] == NO_ANSWER, -sum(item[1]), item[0])))
