"""``/admin/stats``: questions per intent per week, and how long members waited for a reply.

The chart is SVG drawn on the server (no script, no chart library); a table holds the same numbers.
"""

from __future__ import annotations

import bisect
import statistics
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
              for intent, values in intents_per_week(store.dashboard.question_intents_since(weeks[0]), weeks).items()}
    waits = waits_per_week(store.dashboard.reply_times_since(weeks[0]), weeks)
    labels = [week_label(start) for start in weeks]
    every_wait = [wait for week in waits for wait in week]
    return render_template(
        "admin/stats.html", labels=labels, counts=counts, totals=[sum(c) for c in zip(*counts.values())],
        medians=[statistics.median(w) if w else None for w in waits], replies=[len(w) for w in waits],
        overall=statistics.median(every_wait) if every_wait else None, answered=len(every_wait),
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


def intents_per_week(questions: list[tuple[float, str | None]], weeks: list[float]) -> dict[str, list[int]]:
    """Questions per intent (``NO_ANSWER`` when the FAQ had none) per week, biggest intent first."""
    counts: dict[str, list[int]] = {}
    for received_at, intent in questions:
        label = intent or NO_ANSWER
        counts.setdefault(label, [0] * len(weeks))[_week_index(received_at, weeks)] += 1
    return dict(sorted(counts.items(), key=lambda item: (item[0] == NO_ANSWER, -sum(item[1]), item[0])))


def waits_per_week(replies: list[tuple[float, float]], weeks: list[float]) -> list[list[float]]:
    """Seconds from receiving a question to sending its reply, grouped by the week the question came in."""
    waits: list[list[float]] = [[] for _ in weeks]
    for received_at, sent_at in replies:
        waits[_week_index(received_at, weeks)].append(max(sent_at - received_at, 0.0))
    return waits


def _week_index(moment: float, weeks: list[float]) -> int:
    return max(bisect.bisect_right(weeks, moment) - 1, 0)
