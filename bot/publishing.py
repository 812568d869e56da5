"""A blog entry's path: feed poll -> new entries -> a Page post job (or an approval wait) and a Group draft.

Entries are keyed by guid (else link), so an edited post is never a new one. The first poll
of a feed records what is already there as seen and posts only the newest ``BACKFILL``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from bot.accounts import audit
from bot.compose import PostValues, compose_group_draft, compose_page_post
from bot.config import Settings
from bot.feed import FeedEntry, fetch_feed
from bot.outbox import JobHandler, OutboxJob, enqueue
from bot.pause import current_pause
from bot.store import Store
from bot.store.publishing import NewEntry

log = logging.getLogger(__name__)

PAGE_POST_KIND = "page_post"
POLL_REQUEST_KEY = "poll_requested_at"
# More new entries than this in one poll looks like a feed whose ids changed, not a busy blog:
# they wait for an admin instead of flooding the Page.
FLOOD_LIMIT = 10
RECONCILE_POSTS = 25


class PublishingError(ValueError):
    """An admin action on a blog entry cannot be done; the message says why in one line."""


@dataclass
class PollReport:
    """What one poll did: status 'ok', 'not_modified' or 'error' (with the reason)."""

    status: str
    error: str | None = None
    new_entries: int = 0
    queued: int = 0
    awaiting_approval: int = 0
    first_run: bool = False


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
        self.store.set_page_post_id(job.payload["entry_id"], result["id"])


def post_values(settings: Settings) -> PostValues:
    """The firm's details that posts mention, from the settings."""
    return PostValues(firm_name=settings.firm_name, text_number=settings.text_number,
                      call_number=settings.call_number, group_url=settings.group_url,
                      resource_center_url=settings.resource_center_url)


def poll_feed(store: Store, settings: Settings, now: float, *, session: requests.Session | None = None,
              timeout: float = 10.0) -> PollReport:
    """Poll the blog once (conditional GET) and record what is new; never raises for a broken feed."""
    url = settings.blog_feed_url
    if not url:
        return PollReport("error", "BLOG_FEED_URL is not set")
    state = store.feed_state(url)
    first_run = state is None or not state.initialized
    result = fetch_feed(url, etag=None if first_run else state.etag,
                        last_modified=None if first_run else state.last_modified, session=session, timeout=timeout)
    if result.status == "error":
        store.record_poll(url, now, status="error", error=result.error)
        return PollReport("error", result.error, first_run=first_run)
    with store.transaction():
        report = PollReport(result.status, first_run=first_run)
        if result.status == "ok":
            _record_entries(store, settings, result.entries, first_run, now, report)
        store.record_poll(url, now, status=result.status, etag=result.etag, last_modified=result.last_modified,
                          hub_url=result.hub_url, self_url=result.self_url)
    if report.new_entries or first_run:
        log.info("feed polled: %d entries, %d new (%d queued for the Page, %d awaiting approval)%s",
                 len(result.entries), report.new_entries, report.queued, report.awaiting_approval,
                 "; first poll: older entries recorded as seen" if first_run else "")
    return report


def _record_entries(store: Store, settings: Settings, entries: list[FeedEntry], first_run: bool, now: float,
                    report: PollReport) -> None:
    """Record entries newest-first from the feed; the new ones get a post job (or wait) and a Group draft."""
    known = store.known_entry_keys(e.key for e in entries)
    fresh = [e for e in entries if e.key not in known]
    to_post = fresh[: settings.backfill] if first_run else fresh
    flood = not first_run and len(to_post) > FLOOD_LIMIT  # a BACKFILL is asked for, however large
    hold = settings.page_post_approval or flood
    if flood and not settings.page_post_approval:
        log.warning("%d new blog entries in one poll (did the feed's ids change?); they wait for approval "
                    "instead of all going to the Page: see `groupbot list posts`", len(to_post))
    chosen = {e.key for e in to_post}
    for entry in reversed(fresh):  # oldest first, so the Page shows them in the blog's order
        if entry.key in chosen:
            _record_new(store, settings, entry, hold, now, report)
        else:
            store.insert_entry(_new_entry(entry, "seen"), now)


def _record_new(store: Store, settings: Settings, entry: FeedEntry, hold: bool, now: float,
                report: PollReport) -> None:
    values = post_values(settings)
    message, error = None, None
    try:
        message, _ = compose_page_post(entry, values, template=settings.page_post_template or None,
                                       spanish_line=settings.page_post_spanish)
    except ValueError as exc:
        error = str(exc)
    try:
        draft = compose_group_draft(entry, values, bilingual_header=settings.page_post_spanish)
    except ValueError:
        draft = None
    status = "error" if error else "awaiting_approval" if hold else "queued"
    entry_id = store.insert_entry(_new_entry(entry, status, message, error, draft), now)
    if entry_id is None:
        return
    report.new_entries += 1
    if status == "queued":
        _queue_page_post(store, entry_id, message, entry.link, now)
        report.queued += 1
    elif status == "awaiting_approval":
        report.awaiting_approval += 1
    else:
        log.error("blog entry %d cannot be posted: %s", entry_id, error)


def _new_entry(entry: FeedEntry, status: str, message: str | None = None, error: str | None = None,
               draft: str | None = None) -> NewEntry:
    published = entry.published or entry.updated
    return NewEntry(entry_key=entry.key, guid=entry.guid, link=entry.link, title=entry.title,
                    published_at=published.timestamp() if published else None, page_status=status,
                    page_message=message, page_error=error, group_draft=draft)


def _queue_page_post(store: Store, entry_id: int, message: str, link: str, now: float,
                     approved_by: str | None = None) -> int:
    job_id = enqueue(store, PAGE_POST_KIND, {"entry_id": entry_id, "message": message, "link": link},
                     f"{PAGE_POST_KIND}:{entry_id}", now)
    if job_id is None:
        raise PublishingError(f"blog entry {entry_id} already has a Page post job")
    store.attach_page_job(entry_id, job_id, approved_by=approved_by, now=now)
    log.info("blog entry %d queued for the Page (job %d)", entry_id, job_id)
    return job_id


# -- admin actions (the dashboard calls these too) --------------------------------------------------

def approve_page_post(store: Store, entry_id: int, by: str, now: float | None = None) -> int:
    """Send an entry that waits for approval to the Page; returns the job id. Raises PublishingError."""
    now = time.time() if now is None else now
    with store.transaction():
        row = store.entry(entry_id)
        if row is None:
            raise PublishingError(f"there is no blog entry {entry_id}")
        if row["page_status"] != "awaiting_approval":
            raise PublishingError(f"blog entry {entry_id} is not waiting for approval ({page_status(row)})")
        job_id = _queue_page_post(store, entry_id, row["page_message"], row["link"], now, approved_by=by)
        audit(store, by, "approve_post", f"blog entry {entry_id}", now=now)
    log.info("blog entry %d approved for the Page by %s", entry_id, by)
    return job_id


def retry_page_post(store: Store, entry_id: int, by: str, now: float | None = None) -> None:
    """Try a failed or dead Page post again (the Page is checked first). Raises PublishingError."""
    now = time.time() if now is None else now
    row = store.entry(entry_id)
    if row is None or row["page_job_id"] is None:
        raise PublishingError(f"blog entry {entry_id} has no Page post to retry")
    if not store.requeue_job(row["page_job_id"], now):
        raise PublishingError(f"blog entry {entry_id}'s Page post is {page_status(row)}, not failed or dead")
    audit(store, by, "retry_post", f"blog entry {entry_id}", now=now)


def mark_group_posted(store: Store, entry_id: int, by: str, url: str | None = None,
                      now: float | None = None) -> None:
    """Record that an admin pasted the Group draft into the Group. Raises PublishingError."""
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise PublishingError("the Group post's address must start with http:// or https://")
    row = store.entry(entry_id)
    if row is None:
        raise PublishingError(f"there is no blog entry {entry_id}")
    if row["group_status"] == "none":
        raise PublishingError(f"blog entry {entry_id} has no Group draft (it was on the blog before groupbot)")
    now = time.time() if now is None else now
    if not store.mark_entry_group_posted(entry_id, by, url or None, now):
        raise PublishingError(f"blog entry {entry_id} was already marked posted in the Group "
                              f"by {row['group_posted_by']}")
    audit(store, by, "mark_group_posted", f"blog entry {entry_id}", url or "", now=now)
    log.info("blog entry %d marked posted in the Group by %s", entry_id, by)


def request_poll(store: Store, now: float | None = None) -> None:
    """Ask whichever process polls the blog to poll now (a ping arrived)."""
    now = time.time() if now is None else now
    store.set_value(POLL_REQUEST_KEY, repr(now), now)


# -- listing ----------------------------------------------------------------------------------------

def page_status(row: dict, pause_text: str | None = None) -> str:
    """The entry's Page status: seen, awaiting_approval, error, queued, retrying, paused, sending, posted,
    failed or dead."""
    job = row.get("job_status")
    if row["page_status"] != "queued" or job is None:
        return row["page_status"]
    if job == "pending":
        return "paused" if pause_text else "retrying" if row["job_attempts"] else "queued"
    return {"sending": "sending", "sent": "posted"}.get(job, job)


def list_posts(store: Store, limit: int = 50) -> list[dict]:
    """Blog entries newest first, with their Page and Group status, as plain dicts ready for JSON."""
    pause = current_pause(store)
    pause_text = pause.describe() if pause else None
    return [_post_dict(row, pause_text) for row in store.list_entries(limit)]


def _post_dict(row: dict, pause_text: str | None) -> dict:
    status = page_status(row, pause_text)
    error = pause_text if status == "paused" else row["job_error"] if row["job_status"] else row["page_error"]
    if status == "posted":
        error = None
    return {
        "id": row["id"], "guid": row["guid"], "key": row["entry_key"], "link": row["link"], "title": row["title"],
        "published_at": _iso(row["published_at"]), "first_seen_at": _iso(row["first_seen_at"]),
        "page_status": status, "page_post_id": row["page_post_id"],
        "page_post_url": f"https://www.facebook.com/{row['page_post_id']}" if row["page_post_id"] else None,
        "page_error": error, "page_attempts": row["job_attempts"] or 0,
        "page_next_attempt_at": _iso(row["job_next_attempt_at"]) if row["job_status"] == "pending" else None,
        "approved_by": row["approved_by"], "group_status": row["group_status"], "group_draft": row["group_draft"],
        "group_posted_by": row["group_posted_by"], "group_posted_url": row["group_posted_url"],
        "group_posted_at": _iso(row["group_posted_at"]),
    }


def _comparable(url: str) -> str:
    """A link as compared when reconciling: no fragment, no trailing slash, host in lower case."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}" + \
        (f"?{parts.query}" if parts.query else "")


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
