"""A blog entry's path: feed poll -> new entries -> a Page post job (or an approval wait) and a Group draft.

Entries are keyed by guid (else link), so an edited post is never a new one. The first poll
of a feed records what is already there as seen and posts only the newest ``BACKFILL``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests

from bot.blog.compose import PostValues, compose_group_draft, compose_page_post
from bot.blog.feed import FEED_TIMEOUT_SECONDS, FeedEntry, fetch_feed
from bot.blog.outgoing import guarded_session
from bot.blog.page_posts import page_status, queue_page_post
from bot.config import Settings
from bot.outbox.pause import current_pause
from bot.store import Store
from bot.store.base import Cursor, Page, iso
from bot.store.blog import Entry, NewEntry

log = logging.getLogger(__name__)

POLL_REQUEST_KEY = "poll_requested_at"
# More new entries than this in one poll looks like a feed whose ids changed, not a busy blog:
# they wait for an admin instead of flooding the Page.
FLOOD_LIMIT = 10


@dataclass
class PollReport:
    """What one poll did: status 'ok', 'not_modified' or 'error' (with the reason)."""

    status: str
    error: str | None = None
    new_entries: int = 0
    queued: int = 0
    awaiting_approval: int = 0
    first_run: bool = False


def post_values(settings: Settings) -> PostValues:
    """The firm's details that posts mention, from the settings."""
    return PostValues(firm_name=settings.firm_name, text_number=settings.text_number,
                      call_number=settings.call_number, group_url=settings.group_url,
                      resource_center_url=settings.resource_center_url)


def poll_feed(store: Store, settings: Settings, now: float, *, session: requests.Session | None = None,
              timeout: float = FEED_TIMEOUT_SECONDS) -> PollReport:
    """Poll the blog once (conditional GET) and record what is new; never raises for a broken feed."""
    url = settings.blog_feed_url
    if not url:
        return PollReport("error", "BLOG_FEED_URL is not set")
    state = store.blog.feed_state(url)
    first_run = state is None or not state.initialized
    own_session = session is None
    session = session or guarded_session(settings)
    try:
        result = fetch_feed(url, etag=None if first_run else state.etag,
                            last_modified=None if first_run else state.last_modified, session=session,
                            timeout=timeout)
    finally:
        if own_session:
            session.close()
    if result.status == "error":
        store.blog.record_poll(url, now, status="error", error=result.error)
        return PollReport("error", result.error, first_run=first_run)
    with store.transaction():
        report = PollReport(result.status, first_run=first_run)
        if result.status == "ok":
            _record_entries(store, settings, result.entries, first_run, now, report)
        store.blog.record_poll(url, now, status=result.status, etag=result.etag, last_modified=result.last_modified,
                               hub_url=result.hub_url, self_url=result.self_url)
    if report.new_entries or first_run:
        log.info("feed polled: %d entries, %d new (%d queued for the Page, %d awaiting approval)%s",
                 len(result.entries), report.new_entries, report.queued, report.awaiting_approval,
                 "; first poll: older entries recorded as seen" if first_run else "")
    return report


def _record_entries(store: Store, settings: Settings, entries: list[FeedEntry], first_run: bool, now: float,
                    report: PollReport) -> None:
    """Record entries newest-first from the feed; the new ones get a post job (or wait) and a Group draft."""
    known = store.blog.known_entry_keys(e.key for e in entries)
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
            store.blog.insert_entry(_new_entry(entry, "seen"), now)


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
    entry_id = store.blog.insert_entry(_new_entry(entry, status, message, error, draft), now)
    if entry_id is None:
        return
    report.new_entries += 1
    if status == "queued":
        queue_page_post(store, entry_id, message, entry.link, now)
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


# -- admin actions (the dashboard calls these too) --------------------------------------------------


def request_poll(store: Store, now: float | None = None) -> None:
    """Ask whichever process polls the blog to poll now (a ping arrived)."""
    now = time.time() if now is None else now
    store.state.set(POLL_REQUEST_KEY, repr(now), now)


# -- listing ----------------------------------------------------------------------------------------


def list_posts(store: Store, limit: int = 50) -> list[dict]:
    """Blog entries newest first, with their Page and Group status, as plain dicts ready for JSON."""
    return posts_page(store, limit).rows


def posts_page(store: Store, limit: int = 50, cursor: Cursor | None = None) -> Page[dict]:
    """A page of ``list_posts``, from ``cursor`` on (keyset: every entry is reachable however many there are)."""
    pause = current_pause(store)
    pause_text = pause.describe() if pause else None
    page = store.blog.entries_page(limit, cursor)
    return Page([_post_dict(row, pause_text) for row in page.rows], page.newer, page.older)


def _post_dict(row: Entry, pause_text: str | None) -> dict:
    status = page_status(row, pause_text)
    error = pause_text if status == "paused" else row.job_error if row.job_status else row.page_error
    if status == "posted":
        error = None
    return {
        "id": row.id, "guid": row.guid, "key": row.entry_key, "link": row.link, "title": row.title,
        "published_at": iso(row.published_at), "first_seen_at": iso(row.first_seen_at),
        "page_status": status, "page_post_id": row.page_post_id,
        "page_post_url": f"https://www.facebook.com/{row.page_post_id}" if row.page_post_id else None,
        "page_error": error, "page_attempts": row.job_attempts or 0,
        "page_next_attempt_at": iso(row.job_next_attempt_at) if row.job_status == "pending" else None,
        "approved_by": row.approved_by, "group_status": row.group_status, "group_draft": row.group_draft,
        "group_posted_by": row.group_posted_by, "group_posted_url": row.group_posted_url,
        "group_posted_at": iso(row.group_posted_at),
    }
