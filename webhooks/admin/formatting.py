"""Template filters for durations and deadlines, in plain words."""

from __future__ import annotations

import time

from flask_babel import gettext as _
from flask_babel import ngettext

from webhooks.admin.blueprint import bp

MINUTE, HOUR, DAY = 60, 3600, 86400


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """A length of time the way people say it: '45 s', '12 min', '3 h 5 min', '2 days 4 h'; '' when missing."""
    if seconds is None:
        return ""
    seconds = max(int(seconds), 0)
    if seconds < MINUTE:
        return f"{seconds} s"
    if seconds < HOUR:
        return f"{seconds // MINUTE} min"
    if seconds < DAY:
        hours, minutes = divmod(seconds // MINUTE, 60)
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(seconds // HOUR, 24)
    return ngettext("%(num)d day", "%(num)d days", days) + (f" {hours} h" if hours else "")


@bp.app_template_filter("time_left")
def time_left(deadline: float | None, now: float | None = None) -> str:
    """How long until Meta stops accepting a reply: '5 h 10 min left', 'deadline passed', or 'no deadline'."""
    if deadline is None:
        return _("no deadline")
    left = deadline - (time.time() if now is None else now)
    return _("deadline passed") if left <= 0 else _("%(duration)s left", duration=duration(left))


def sentence(text: str) -> str:
    """A one-line reason as a sentence: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@bp.app_template_filter("rows_for")
def rows_for(text: str | None) -> int:
    """Rows for a text area that shows all of ``text`` on a desktop screen, within 4 to 14."""
    lines = sum(len(line) // 100 + 1 for line in (text or "").splitlines() or [""])
    return min(max(lines, 4), 14)
