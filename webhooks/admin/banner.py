"""The banner on every dashboard page when the desk cannot work normally: sending paused (a refused token, Meta's
rate limit) or alert e-mails to the admins failing. Read with one query per page (``Dashboard.staff_notices``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import g
from flask_babel import gettext as _

from bot.outbox.pause import HOLD_KEY, PAUSE_KEY, read_hold, read_pause
from webhooks.admin.blueprint import bp, when
from webhooks.services import services


@dataclass(frozen=True)
class DeskState:
    """Why sending stops (one sentence, or None) and why alert e-mails fail (Meta's or the mail server's words)."""

    sending_stopped: str | None
    email_error: str | None


def desk_state() -> DeskState:
    """This request's desk state, read once."""
    if "desk_state" not in g:
        notices = services().store.dashboard.staff_notices(PAUSE_KEY, HOLD_KEY)
        pause, held = read_pause(notices.paused), read_hold(notices.held, time.time())
        stopped = None
        if pause is not None:
            stopped = _("Meta refused the Page token (%(reason)s); put a new token in META_PAGE_ACCESS_TOKEN.",
                        reason=pause.reason)
        elif held is not None:
            stopped = _("Meta's rate limit holds every call until %(time)s.", time=when(held))
        g.desk_state = DeskState(stopped, notices.email_error)
    return g.desk_state


@bp.app_context_processor
def _banner() -> dict:
    # Only signed-in pages show it: the sign-in page says nothing about the firm's state.
    return {"desk_state": desk_state() if g.get("admin") else None}
