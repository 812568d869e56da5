"""When sending stops for everyone: the pause after an invalid token (190) and the hold after a rate limit.

Both live in the database so every process (worker, web, cron `poll`) obeys them. A pause
names the token that failed by a fingerprint, never the token: a different token in the
settings lifts it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass

from bot.notify.alerts import notify_admins
from bot.store import Store

log = logging.getLogger(__name__)

PAUSE_KEY = "sending_paused"
HOLD_KEY = "sending_held_until"


@dataclass(frozen=True)
class SendingPause:
    """All sending stopped because Meta refused the token with this fingerprint."""

    reason: str
    token_fingerprint: str
    since: float

    def describe(self) -> str:
        """One line for logs, `doctor` and `list posts`."""
        since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.since))
        return (f"sending paused since {since}: Meta refused the Page token {self.token_fingerprint} "
                f"({self.reason}); put a new token in META_PAGE_ACCESS_TOKEN")


def token_fingerprint(token: str) -> str:
    """A short, non-reversible name for a token (sha256 prefix), safe to store and show."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def current_pause(store: Store) -> SendingPause | None:
    """The active pause, or None."""
    return read_pause(store.state.get(PAUSE_KEY))


def read_pause(raw: str | None) -> SendingPause | None:
    """The pause a stored record holds (the value of PAUSE_KEY), or None."""
    if not raw:
        return None
    try:
        return SendingPause(**json.loads(raw))
    except (TypeError, ValueError):
        log.error("unreadable sending pause record; treating sending as paused until a new token is set")
        return SendingPause("unreadable pause record", "", 0.0)


def pause_sending(store: Store, reason: str, fingerprint: str, now: float) -> None:
    """Stop all sending until the token changes; alerts the admins the first time."""
    existing = current_pause(store)
    if existing and existing.token_fingerprint == fingerprint:
        return
    pause = SendingPause(reason, fingerprint, now)
    store.state.set(PAUSE_KEY, json.dumps(pause.__dict__), now)
    log.error("%s", pause.describe())
    notify_admins("Facebook sending paused", pause.describe())


def active_pause(store: Store, fingerprint: str) -> SendingPause | None:
    """The pause that still applies to the token with `fingerprint`; lifts a pause set for another token."""
    pause = current_pause(store)
    if pause is None or pause.token_fingerprint == fingerprint:
        return pause
    if store.state.delete(PAUSE_KEY, only_if=store.state.get(PAUSE_KEY)):
        log.info("the Page token changed (%s -> %s); sending resumes", pause.token_fingerprint, fingerprint)
    return None


def hold_sending(store: Store, until: float, now: float) -> None:
    """Stop all sending until `until` (Meta's advertised wait); extends, never shortens, a hold."""
    held = held_until(store, now)
    if held is None or until > held:
        store.state.set(HOLD_KEY, repr(until), now)
        log.warning("Meta rate limit: no Graph calls for %.0f s", until - now)


def held_until(store: Store, now: float) -> float | None:
    """When a rate-limit hold ends, or None when there is none now."""
    return read_hold(store.state.get(HOLD_KEY), now)


def read_hold(raw: str | None, now: float) -> float | None:
    """When the hold a stored record holds (the value of HOLD_KEY) ends, or None when it is over or absent."""
    try:
        until = float(raw) if raw else None
    except ValueError:
        return None
    return until if until is not None and until > now else None
