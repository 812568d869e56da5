"""A blog entry's Page post: queued in the outbox, published once, reconciled by its link; approve and retry.

An attempt whose outcome is unknown is settled by looking for the entry's link among the
Page's recent posts before anything is sent again.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from bot.accounts.admins import audit
from bot.errors import Refused
from bot.outbox.jobs import JobHandler, OutboxJob, enqueue
from bot.store import Store
from bot.store.blog import Entry

log = logging.getLogger(__name__)

PAGE_POST_KIND = "page_post"
RECONCILE_POSTS = 25


class PublishingError(Refused):
    """An admin action on a blog entry cannot be done; the message says why in one line."""


class PagePostHandler(JobHandler):
    """Publishes a blog entry on the Page; reconciles by finding the entry's link among recent posts."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def send(self, job: OutboxJob, graph) -> dict:
        """Publish the post; the result holds the new post's id."""
        return {"id": graph.publish_post(job.payload["message"], job.payload["link"])}

    def reconcile(self, job: OutboxJob, graph) -> dict | None:
        """The Page's recent post carrying the entry's link, if an earlier attempt made one."""
        wanted = _comparable(job.payload["link"])
        for post in graph.recent_posts(limit=RECONCILE_POSTS):
            if any(_comparable(link) == wanted for link in post.get("links") or []):
                return {"id": str(post["id"]), "adopted": True}
        return None

    def on_result(self, job: OutboxJob, result: dict) -> None:
        """Remember the post's id on the entry (same transaction as the job's end)."""
        self.store.blog.set_page_post_id(job.payload["entry_id"], result["id"])


def queue_page_post(store: Store, entry_id: int, message: str, link: str, now: float,
                    approved_by: str | None = None) -> int:
    """Queue an entry's Page post in the outbox (joins the caller's transaction); returns the job id."""
    job_id = enqueue(store, PAGE_POST_KIND, {"entry_id": entry_id, "message": message, "link": link},
                     f"{PAGE_POST_KIND}:{entry_id}", now)
    if job_id is None:
        raise PublishingError(f"blog entry {entry_id} already has a Page post job")
    store.blog.attach_page_job(entry_id, job_id, approved_by=approved_by, now=now)
    log.info("blog entry %d queued for the Page (job %d)", entry_id, job_id)
    return job_id


def approve_page_post(store: Store, entry_id: int, by: str, now: float | None = None) -> int:
    """Send an entry that waits for approval to the Page; returns the job id. Raises PublishingError."""
    now = time.time() if now is None else now
    with store.transaction():
        row = store.blog.entry(entry_id)
        if row is None:
            raise PublishingError(f"there is no blog entry {entry_id}")
        if row.page_status != "awaiting_approval":
            raise PublishingError(f"blog entry {entry_id} is not waiting for approval ({page_status(row)})")
        job_id = queue_page_post(store, entry_id, row.page_message, row.link, now, approved_by=by)
        audit(store, by, "approve_post", f"blog entry {entry_id}", now=now)
    log.info("blog entry %d approved for the Page by %s", entry_id, by)
    return job_id


def retry_page_post(store: Store, entry_id: int, by: str, now: float | None = None) -> None:
    """Try a failed or dead Page post again (the Page is checked first). Raises PublishingError."""
    now = time.time() if now is None else now
    row = store.blog.entry(entry_id)
    if row is None or row.page_job_id is None:
        raise PublishingError(f"blog entry {entry_id} has no Page post to retry")
    if not store.jobs.requeue(row.page_job_id, now):
        raise PublishingError(f"blog entry {entry_id}'s Page post is {page_status(row)}, not failed or dead")
    audit(store, by, "retry_post", f"blog entry {entry_id}", now=now)


def _comparable(url: str) -> str:
    """A link as compared when reconciling: no fragment, no trailing slash, host in lower case."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}" + \
        (f"?{parts.query}" if parts.query else "")


def page_status(row: Entry, pause_text: str | None = None) -> str:
    """The entry's Page status: seen, awaiting_approval, error, queued, retrying, paused, sending, posted,
    removed (from the Page, after it was posted), failed or dead."""
    if row.page_removed_at is not None:
        return "removed"
    job = row.job_status
    if row.page_status != "queued" or job is None:
        return row.page_status
    if job == "pending":
        return "paused" if pause_text else "retrying" if row.job_attempts else "queued"
    return {"sending": "sending", "sent": "posted"}.get(job, job)
