"""SQL for blog publishing: feed state, blog entries with their Page job and Group draft, WebSub."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from bot.store.base import Cursor, Page, Repository, Side, cursor_params, keyset_clauses, keyset_page

_ENTRY_COLUMNS = (
    "e.id, e.entry_key, e.guid, e.link, e.title, e.published_at, e.first_seen_at, e.page_status, e.page_message,"
    " e.page_error, e.page_job_id, e.page_post_id, e.approved_by, e.approved_at, e.group_status, e.group_draft,"
    " e.group_posted_by, e.group_posted_url, e.group_posted_at, e.page_removed_at, j.status AS job_status,"
    " j.attempts AS job_attempts,"
    " j.last_error AS job_error, j.next_attempt_at AS job_next_attempt_at"
)

# A removed Page post (every Page post removal webhook asks whether it was ours).
MARK_PAGE_POST_REMOVED_SQL = (
    "UPDATE blog_entries SET page_removed_at = ? WHERE page_post_id = ? AND page_removed_at IS NULL")

# Newest first, read from blog_entries_newest.
ENTRIES_SORT_KEY = ("e.first_seen_at", "e.id")


def entries_page_sql(side: Side | None = None) -> str:
    """The statement reading one page of blog entries (``side``: of the cursor, None for the first page)."""
    condition, order = keyset_clauses(ENTRIES_SORT_KEY, True, side)
    return (f"SELECT {_ENTRY_COLUMNS} FROM blog_entries e LEFT JOIN outbox_jobs j ON j.id = e.page_job_id"
            f" WHERE {condition} ORDER BY {order} LIMIT :limit")


@dataclass(frozen=True)
class FeedState:
    """What the last polls of one feed address left behind."""

    feed_url: str
    etag: str | None
    last_modified: str | None
    initialized: bool
    last_polled_at: float | None
    last_ok_at: float | None
    last_status: str | None
    last_error: str | None
    consecutive_errors: int
    hub_url: str | None
    self_url: str | None


@dataclass(frozen=True)
class NewEntry:
    """A blog entry to record; `page_status` is 'seen' (not posted), 'awaiting_approval' or 'queued'."""

    entry_key: str
    guid: str | None
    link: str
    title: str
    published_at: float | None
    page_status: str
    page_message: str | None = None
    page_error: str | None = None
    group_draft: str | None = None


@dataclass(frozen=True)
class Entry:
    """A blog entry with its Page post job's state (the job_ fields are None before a job exists)."""

    id: int
    entry_key: str
    guid: str | None
    link: str
    title: str
    published_at: float | None
    first_seen_at: float
    page_status: str
    page_message: str | None
    page_error: str | None
    page_job_id: int | None
    page_post_id: str | None
    approved_by: str | None
    approved_at: float | None
    group_status: str
    group_draft: str | None
    group_posted_by: str | None
    group_posted_url: str | None
    group_posted_at: float | None
    page_removed_at: float | None
    job_status: str | None
    job_attempts: int | None
    job_error: str | None
    job_next_attempt_at: float | None


@dataclass(frozen=True)
class WebSubSubscription:
    """One subscription to the blog's WebSub hub."""

    id: int
    hub_url: str
    topic: str
    callback: str
    secret: str
    state: str
    lease_seconds: int
    requested_at: float
    verified_at: float | None
    expires_at: float | None
    last_error: str | None


class Blog(Repository):
    """What the blog poller and the Posts page keep: feed state, blog entries, WebSub subscriptions."""

    # -- feed state ---------------------------------------------------------------------------

    def feed_state(self, feed_url: str) -> FeedState | None:
        """The stored state of a feed address, or None before its first poll."""
        row = self.conn.execute("SELECT * FROM feed_state WHERE feed_url = ?", (feed_url,)).fetchone()
        if row is None:
            return None
        return FeedState(**{**dict(row), "initialized": bool(row["initialized"])})

    def record_poll(self, feed_url: str, now: float, *, status: str, error: str | None = None,
                    etag: str | None = None, last_modified: str | None = None, hub_url: str | None = None,
                    self_url: str | None = None) -> None:
        """Store a poll's outcome; validators and hub only change on a successful ('ok') poll."""
        with self._store.writing() as conn:
            conn.execute("INSERT INTO feed_state (feed_url) VALUES (?) ON CONFLICT DO NOTHING", (feed_url,))
            if status == "error":
                conn.execute(
                    "UPDATE feed_state SET last_polled_at = ?, last_status = 'error', last_error = ?,"
                    " consecutive_errors = consecutive_errors + 1 WHERE feed_url = ?", (now, error, feed_url))
                return
            conn.execute(
                "UPDATE feed_state SET last_polled_at = ?, last_ok_at = ?, last_status = ?, last_error = NULL,"
                " consecutive_errors = 0, initialized = 1, etag = coalesce(?, etag),"
                " last_modified = coalesce(?, last_modified),"
                " hub_url = CASE WHEN ? = 'ok' THEN ? ELSE hub_url END,"
                " self_url = CASE WHEN ? = 'ok' THEN ? ELSE self_url END WHERE feed_url = ?",
                (now, now, status, etag, last_modified, status, hub_url, status, self_url, feed_url))

    # -- blog entries -------------------------------------------------------------------------

    def known_entry_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these entry keys are already recorded."""
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.conn.execute(
                f"SELECT entry_key FROM blog_entries WHERE entry_key IN ({marks})", chunk))
        return found

    def insert_entry(self, entry: NewEntry, now: float) -> int | None:
        """Record a blog entry once; None when its key was recorded before (an edit, not a new post)."""
        with self._store.writing() as conn:
            row = conn.execute(
                "INSERT INTO blog_entries (entry_key, guid, link, title, published_at, first_seen_at,"
                " page_status, page_message, page_error, group_status, group_draft)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (entry.entry_key, entry.guid, entry.link, entry.title, entry.published_at, now, entry.page_status,
                 entry.page_message, entry.page_error, "draft" if entry.group_draft else "none",
                 entry.group_draft)).fetchone()
        return row[0] if row else None

    def attach_page_job(self, entry_id: int, job_id: int, *, approved_by: str | None = None,
                        now: float | None = None) -> None:
        """Link an entry to the outbox job that publishes it on the Page."""
        with self._store.writing() as conn:
            conn.execute(
                "UPDATE blog_entries SET page_status = 'queued', page_job_id = ?,"
                " approved_by = coalesce(?, approved_by),"
                " approved_at = CASE WHEN CAST(? AS TEXT) IS NULL THEN approved_at ELSE ? END WHERE id = ?",
                (job_id, approved_by, approved_by, now, entry_id))

    def set_page_post_id(self, entry_id: int, post_id: str) -> None:
        """Remember the Page post made from an entry."""
        with self._store.writing() as conn:
            conn.execute("UPDATE blog_entries SET page_post_id = ? WHERE id = ?", (post_id, entry_id))

    def mark_page_post_removed(self, post_id: str, now: float) -> bool:
        """Someone removed a Page post groupbot published; False when the post is not one of ours."""
        cursor = self.conn.execute(MARK_PAGE_POST_REMOVED_SQL, (now, post_id))
        return cursor.rowcount > 0

    def entry(self, entry_id: int) -> Entry | None:
        """One entry with its Page job's state, or None."""
        row = self.conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM blog_entries e LEFT JOIN outbox_jobs j ON j.id = e.page_job_id"
            " WHERE e.id = ?", (entry_id,)).fetchone()
        return Entry(**dict(row)) if row else None

    def list_entries(self, limit: int = 50) -> list[Entry]:
        """Entries newest first, each with its Page job's state."""
        return self.entries_page(limit).rows

    def entries_page(self, limit: int = 50, cursor: Cursor | None = None) -> Page[Entry]:
        """A page of entries newest first, each with its Page job's state, from ``cursor`` on."""
        rows = self.conn.execute(entries_page_sql(cursor.side if cursor else None),
                                 {"limit": limit + 1, **cursor_params(cursor)}).fetchall()
        return keyset_page([((row["first_seen_at"], row["id"]), Entry(**dict(row))) for row in rows], limit, cursor)

    def mark_entry_group_posted(self, entry_id: int, by: str, url: str | None, now: float) -> bool:
        """Note that an admin posted the Group draft; False unless it was still a draft."""
        with self._store.writing() as conn:
            cursor = conn.execute(
                "UPDATE blog_entries SET group_status = 'posted', group_posted_by = ?, group_posted_url = ?,"
                " group_posted_at = ? WHERE id = ? AND group_status = 'draft'", (by, url, now, entry_id))
        return cursor.rowcount == 1

    # -- WebSub -------------------------------------------------------------------------------

    def websub_subscription(self, hub_url: str, topic: str) -> WebSubSubscription | None:
        """The subscription to `topic` at `hub_url`, or None."""
        row = self.conn.execute("SELECT * FROM websub_subscriptions WHERE hub_url = ? AND topic = ?",
                                (hub_url, topic)).fetchone()
        return WebSubSubscription(**dict(row)) if row else None

    def websub_subscriptions(self) -> list[WebSubSubscription]:
        """Every WebSub subscription, newest first."""
        rows = self.conn.execute("SELECT * FROM websub_subscriptions ORDER BY requested_at DESC").fetchall()
        return [WebSubSubscription(**dict(row)) for row in rows]

    def save_websub_request(self, hub_url: str, topic: str, callback: str, secret: str, lease_seconds: int,
                            now: float) -> None:
        """Record a (re)subscription request before it is sent, so the hub's check finds it."""
        with self._store.writing() as conn:
            conn.execute(
                "INSERT INTO websub_subscriptions (hub_url, topic, callback, secret, state, lease_seconds,"
                " requested_at) VALUES (?, ?, ?, ?, 'requested', ?, ?) ON CONFLICT (hub_url, topic) DO UPDATE SET"
                " callback = excluded.callback, secret = excluded.secret, lease_seconds = excluded.lease_seconds,"
                " requested_at = excluded.requested_at, last_error = NULL,"
                " state = CASE WHEN websub_subscriptions.state = 'verified' THEN 'verified' ELSE 'requested' END",
                (hub_url, topic, callback, secret, lease_seconds, now))

    def set_websub_state(self, subscription_id: int, state: str, now: float, *, lease_seconds: int | None = None,
                         error: str | None = None) -> None:
        """Record the hub's verification (with its lease), denial, or a failed request."""
        with self._store.writing() as conn:
            if state == "verified":
                conn.execute(
                    "UPDATE websub_subscriptions SET state = 'verified', verified_at = ?, expires_at = ? + ?,"
                    " lease_seconds = ?, last_error = NULL WHERE id = ?",
                    (now, now, lease_seconds, lease_seconds, subscription_id))
            else:
                conn.execute("UPDATE websub_subscriptions SET state = ?, last_error = ? WHERE id = ?",
                             (state, error, subscription_id))
