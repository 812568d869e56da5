"""Member text is kept for RETENTION_DAYS, then blanked; what was asked (intent, status) stays for the record."""

from __future__ import annotations

import logging

from bot.store import Store
from bot.store.retention import Purged

log = logging.getLogger(__name__)

DAY = 86400.0


def purge_old_text(store: Store, retention_days: int, now: float) -> Purged:
    """Blank member text older than `retention_days`: questions, finished replies, raw webhook bodies, alert bodies."""
    purged = store.retention.purge_member_text(now - retention_days * DAY, now)
    if any(vars(purged).values()):
        log.info("retention (%d days): text removed from %d questions, %d replies, %d deliveries, %d jobs, "
                 "%d e-mails", retention_days, purged.questions, purged.replies, purged.deliveries, purged.jobs,
                 purged.emails)
        # Blanked text leaves free pages in the file; without this the file never shrinks.
        pages = store.retention.reclaim_space()
        if pages:
            log.info("retention: %d free pages given back to the file system", pages)
    return purged
