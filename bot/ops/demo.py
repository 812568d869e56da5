"""Going live: removing what a dry-run made (demo entries, recorded calls, simulated questions and replies)."""

from __future__ import annotations

from bot.accounts.admins import audit
from bot.ops.running import refuse_while_running
from bot.store import Store
from bot.store.demo import DESCRIBED


def demo_summary(store: Store) -> str:
    """What a reset would remove, in one line: "3 deliveries, 3 questions, ..." (empty tables left out)."""
    counts = store.dry_run_data.counts()
    parts = [f"{count} {DESCRIBED[name]}" for name, count in counts.items() if count]
    return ", ".join(parts) or "nothing but settings and admins"


def reset_demo(store: Store, *, actor: str, now: float) -> None:
    """Remove everything groupbot stored but the admins and the audit log; refused while groupbot runs."""
    refuse_while_running(store.path or store.db.url, "reset the demo data")
    store.dry_run_data.remove()
    audit(store, actor, "reset_demo", "database", "dry-run data removed before going live", now=now)
