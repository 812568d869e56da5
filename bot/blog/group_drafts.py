"""Group drafts: Meta has no API for Group posts, so an admin pastes the draft and marks it posted."""

from __future__ import annotations

import logging
import re
import time

from bot.accounts.admins import audit
from bot.blog.page_posts import PublishingError
from bot.store import Store

log = logging.getLogger(__name__)

FACEBOOK_HOSTS = ("facebook.com", "fb.com")
# Read as a browser reads it, not as urllib does: for "https://evil.test\\@www.facebook.com/"
# urllib finds facebook.com while Chromium goes to evil.test. So anything the two could read
# differently (backslashes, user@, spaces, controls, slashes after the scheme) is refused outright.
_WEB_ADDRESS = re.compile(r"(?i)(https?)://([^/?#]*)([/?#].*)?")
_HOST_PORT = re.compile(r"([a-z0-9.-]+)(?::[0-9]{1,5})?")


def group_post_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a Group post's address (a short clause), or None when it can."""
    if "\\" in url:
        return "it has a backslash"
    if any(ch.isspace() or ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in url):
        return "it has spaces or control characters"
    match = _WEB_ADDRESS.fullmatch(url)
    if not match:
        return "it does not start with http:// or https://"
    authority = match.group(2)
    if "@" in authority:
        return "it names a user before the host (user@host)"
    host_port = _HOST_PORT.fullmatch(authority.lower())
    host = host_port.group(1) if host_port else ""
    labels_ok = bool(host) and all(host.split("."))
    if not labels_ok or not any(host == name or host.endswith("." + name) for name in FACEBOOK_HOSTS):
        return "its host is not facebook.com or fb.com"
    return None


def mark_group_posted(store: Store, entry_id: int, by: str, url: str | None = None,
                      now: float | None = None) -> None:
    """Record that an admin pasted the Group draft into the Group. Raises PublishingError."""
    problem = group_post_url_problem(url) if url else None
    if problem:
        raise PublishingError(f"that is not a Facebook address ({problem}); give the Group post's link, "
                              "for example https://www.facebook.com/groups/…/posts/…")
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
