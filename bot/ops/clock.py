"""The wall clock's sanity: a jump far forward pauses the upkeep that destroys or expires, until an admin confirms.

Blanking member text and expiring replies cannot be undone, and both are judged by the wall clock:
a clock set 100 days ahead by mistake would purge every message and expire every pending reply
within a minute. The worker notices a jump (much more wall time than monotonic time between two
passes) and records it here; the retention purge and reply expiry skip while it stands, until an
admin confirms the time or Meta's answers (their Date header) show that this machine's clock agrees
with Meta's.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from bot.store import Store

log = logging.getLogger(__name__)

CLOCK_JUMP_KEY = "clock_jump"
# More than this much wall time beyond the monotonic time between two passes is not a drift
# correction (NTP slews by seconds) but a clock set wrong, or set right after being wrong.
JUMP_BOUND_SECONDS = 86400.0
# A right clock and Meta's Date header agree to a second or two; a wrong one is off by days.
SERVER_AGREEMENT_SECONDS = 300.0


@dataclass(frozen=True)
class ClockJump:
    """A forward jump of the wall clock, seen by the worker and not yet confirmed by an admin."""

    before: float  # the last wall time the worker trusted
    after: float  # the wall time it saw next
    meta_says: float | None = None  # the time by Meta's clock, when it disagreed with ours

    @property
    def reason(self) -> str:
        """One line saying what was seen and what is paused."""
        days = (self.after - self.before) / 86400.0
        meta = (f"; Meta's clock said {_when(self.meta_says)} when this machine's said {_when(self.after)}"
                if self.meta_says is not None else "")
        return (f"the clock jumped {days:.1f} days forward (from {_when(self.before)} to {_when(self.after)}){meta}; "
                "retention purge and reply expiry are paused until an admin confirms the time "
                "(groupbot confirm-clock)")


def record_jump(store: Store, before: float, after: float) -> None:
    """Remember a forward jump (the first one stands until confirmed: it holds the last trusted time)."""
    if current_jump(store) is not None:
        return
    store.state.set(CLOCK_JUMP_KEY, json.dumps({"before": before, "after": after}), after)
    log.warning("wall clock jumped %.0f s forward between two worker passes; destructive upkeep paused",
                after - before)


def current_jump(store: Store) -> ClockJump | None:
    """The unconfirmed jump, or None when the clock is trusted."""
    raw = store.state.get(CLOCK_JUMP_KEY)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        meta = data.get("meta_says")
        return ClockJump(float(data["before"]), float(data["after"]), None if meta is None else float(meta))
    except (ValueError, KeyError, TypeError):
        # Unreadable: stay paused rather than purge on a clock nobody checked.
        return ClockJump(0.0, 0.0)


def confirm_clock(store: Store, actor: str, now: float) -> ClockJump | None:
    """An admin says the wall clock is right now: lift the pause (audited); returns the jump lifted, if any."""
    jump = current_jump(store)
    if jump is None:
        return None
    with store.transaction():
        store.state.delete(CLOCK_JUMP_KEY)
        store.audit.add(now, actor, "confirm-clock", "clock", f"confirmed {_when(now)} as the time")
    log.info("clock confirmed by an admin; retention purge and reply expiry resume")
    return jump


def settle_with_meta(store: Store, meta_now: float | None, now: float) -> bool:
    """Lift a standing jump when Meta's clock agrees with this machine's (audited); True when lifted.

    When the two disagree, Meta's time is kept with the jump, so Health and doctor can say which clock is off.
    """
    jump = current_jump(store)
    if jump is None or meta_now is None:
        return False
    if abs(meta_now - now) > SERVER_AGREEMENT_SECONDS:
        if jump.meta_says is None:
            store.state.set(CLOCK_JUMP_KEY, json.dumps({"before": jump.before, "after": jump.after,
                                                        "meta_says": meta_now - (now - jump.after)}), now)
            log.warning("Meta's clock disagrees with this machine's by %.0f s; destructive upkeep stays paused",
                        meta_now - now)
        return False
    with store.transaction():
        store.state.delete(CLOCK_JUMP_KEY)
        store.audit.add(now, "Meta's clock", "confirm-clock", "clock",
                        f"Meta's Date header agreed with {_when(now)}")
    log.info("Meta's clock agrees with this machine's; retention purge and reply expiry resume")
    return True


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
