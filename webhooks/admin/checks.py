"""The Health page's Meta checks: `groupbot doctor`'s findings, stored with their time.

Asking Meta about the token on every page view would spend rate limit and slow the page;
an admin runs the checks with "Check now" and the page shows the stored result and its age.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass

from bot.config import Settings
from bot.meta.connect import build_graph
from bot.ops.doctor import Finding, examine
from bot.store import Store

log = logging.getLogger(__name__)

CHECKS_KEY = "dashboard_checks"


@dataclass(frozen=True)
class StoredChecks:
    """The findings of the last checks, when they ran and who asked for them."""

    checked_at: float
    by: str
    findings: list[Finding]

    def about(self, *subjects: str) -> list[Finding]:
        """The findings on these subjects ('token', 'webhooks', 'feed', ...)."""
        return [f for f in self.findings if f.subject in subjects]

    @property
    def problems(self) -> int:
        """How many findings are problems."""
        return sum(f.level == "problem" for f in self.findings)


def run_checks(settings: Settings, store: Store, by: str, now: float | None = None) -> StoredChecks:
    """Run every doctor check now (this calls Meta and the blog) and store the result; never raises for them."""
    now = time.time() if now is None else now
    checks = StoredChecks(now, by, examine(settings, store, build_graph(settings, store), now=now))
    record = {"checked_at": now, "by": by, "findings": [asdict(f) for f in checks.findings]}
    store.state.set(CHECKS_KEY, json.dumps(record), now)
    return checks


def stored_checks(store: Store) -> StoredChecks | None:
    """The last stored checks, or None before the first (or when the record cannot be read)."""
    raw = store.state.get(CHECKS_KEY)
    if not raw:
        return None
    try:
        record = json.loads(raw)
        return StoredChecks(record["checked_at"], record["by"], [Finding(**f) for f in record["findings"]])
    except (KeyError, TypeError, ValueError):
        log.warning("the stored health checks cannot be read; they are shown as never run")
        return None
