"""Group drafts: Meta has no API for Group posts, so an admin pastes the draft and marks it posted."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from bot.accounts.admins import audit
from bot.blog.page_posts import PublishingError
from bot.store import Store

log = logging.getLogger(__name__)


def mark_group_posted(store: Store, entry_id: int, by: str, url: str | None = None,
                      now: float | None = None) -> None:
    """Record that an admin pasted the Group draft into the Group. Raises PublishingError."""
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise PublishingError("the Group post's address must start with http:// or https://")
    row = store.blog.entry(entry_id)
    if row is None:
        raise PublishingError(f"there is no blog entry {entry_id}")
    if row.group_status == "none":
        raise PublishingError(f"blog entry {entry_id} has no Group draft (it was on the blog before groupbot)")
    now = time.time() if now is None else now
    if not store.blog.mark_entry_group_posted(entry_id, by, url or None, now):
        raise PublishingError(f"blog entry {entry_id} was already marked posted in the Group "
                              f"by {row.group_posted_by}")
    audit(store, by, "mark_group_posted", f"blog entry {entry_id}", url or "", now=now)
    log.info("blog entry %d marked posted in the Group by %s", entry_id, by)
