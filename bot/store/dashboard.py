"""SQL for the dashboard's read-only views: the queue's tabs and the weekly statistics."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.store.base import Cursor, Page, Repository, Side, cursor_params, keyset_clauses, keyset_page

# The dashboard queue's lists: which rows each shows (fixed SQL, chosen by name), the sort key (read from an
# index, one direction) and whether newest first. Pending holds the questions waiting for a person (migration 0010),
# urgent first, then by deadline (a suggestion's, else Meta's window for any answer; none last).
QUEUE_VIEWS = {
    "pending": ("q.waiting = 1",
                ("-q.urgent", "(coalesce(r.deadline, q.due) IS NULL)", "coalesce(r.deadline, q.due, 0)", "q.created_at",
                 "q.id"), False),
    "recent": ("r.status IN ('approved', 'sending') OR (r.status IN ('sent', 'failed', 'expired', 'unconfirmed')"
               " AND r.approved_at >= :since)", ("r.approved_at", "r.id"), True),
    "sent": ("r.status = 'sent'", ("r.sent_at", "r.id"), True),
    "failed": ("r.status IN ('failed', 'expired', 'unconfirmed')", ("r.updated_at", "r.id"), True),
    "all": ("1 = 1", ("q.created_at", "q.id"), True),
}
# Each tab's count, kept by triggers as questions and replies come and go (migrations 0007 and 0010): a few rows,
# not a scan. Pending counts the questions waiting for a person.
QUEUE_COUNTS_SQL = ("SELECT tab, rows FROM queue_tab_counts WHERE tab != 'pending'"
                    " UNION ALL SELECT 'pending', rows FROM front_desk_counts WHERE name = 'waiting'")
# What stops the desk, for the banner on every dashboard page: the sending pause, the rate-limit hold, and the
# error of the newest alert e-mail when it is not sent (three lookups by key).
STAFF_NOTICES_SQL = (
    "SELECT (SELECT value FROM kv WHERE key = :pause) AS paused, (SELECT value FROM kv WHERE key = :hold) AS held,"
    " (SELECT last_error FROM admin_emails WHERE id = (SELECT max(id) FROM admin_emails) AND status != 'sent')"
    " AS email_error")
# Questions per week and intent since :first (weeks :week seconds long, the last one :last open-ended).
INTENTS_PER_WEEK_SQL = (
    "SELECT min(CAST((created_at - :first) / :week AS INTEGER), :last) AS week, intent, count(*) FROM questions"
    " WHERE created_at >= :first GROUP BY week, intent")
# Per week (and overall, as week -1): how many replies were sent to the questions received, and the median wait.
# CROSS JOIN keeps the questions first: read from the weeks' range of questions_created, not from every sent reply.
WAITS_PER_WEEK_SQL = (
    "WITH waits AS (SELECT min(CAST((q.created_at - :first) / :week AS INTEGER), :last) AS week,"
    " max(r.sent_at - q.created_at, 0.0) AS wait FROM questions q CROSS JOIN replies r ON r.question_id = q.id"
    " WHERE q.created_at >= :first AND r.status = 'sent' AND r.sent_at IS NOT NULL),"
    " every AS (SELECT week, wait FROM waits UNION ALL SELECT -1, wait FROM waits),"
    " ranked AS (SELECT week, wait, row_number() OVER (PARTITION BY week ORDER BY wait) AS n,"
    " count(*) OVER (PARTITION BY week) AS total FROM every)"
    " SELECT week, total, avg(wait) FROM ranked WHERE n IN ((total + 1) / 2, (total + 2) / 2) GROUP BY week")
_QUEUE_COLUMNS = (
    "q.id AS question_id, q.source, q.author_name, q.text AS message, q.created_at AS received_at,"
    " q.status AS question_status, q.intent AS question_intent, q.language AS question_language, q.pii, q.urgent,"
    " q.flagged, q.hide_status, q.edited AS question_edited, q.attachments, q.asks, q.due, q.waiting, q.dismissed_by,"
    " r.id AS reply_id, r.intent, r.language, r.channel, r.text, r.status, r.deadline, r.automated, r.edited,"
    " r.approved_by, r.approved_at, r.sent_at, r.error, r.updated_at, r.origin, r.review_reason, q.staff_reply,"
    " q.staff_reply_at, q.no_reply_reason, t.by AS takeover_by, t.started_at AS takeover_since,"
    " t.until AS takeover_until"
)
# A person talking to a Messenger member shows on that member's items (one primary-key read per row).
_TAKEOVER_JOIN = "LEFT JOIN human_takeovers t ON q.source = 'messenger' AND t.member_id = q.author_id"


@dataclass(frozen=True)
class QueueItem:
    """A question with its reply as one queue row shows them; the reply's fields are None when it has none."""

    question_id: int
    source: str
    author_name: str
    message: str
    received_at: float
    question_status: str
    question_intent: str | None
    question_language: str | None
    pii: list[str]
    urgent: int
    flagged: int
    hide_status: str | None
    question_edited: int
    attachments: list[str]
    asks: int
    due: float | None
    waiting: int
    dismissed_by: str | None
    reply_id: int | None
    intent: str | None
    language: str | None
    channel: str | None
    text: str | None
    status: str | None
    deadline: float | None
    automated: int | None
    edited: int | None
    approved_by: str | None
    approved_at: float | None
    sent_at: float | None
    error: str | None
    updated_at: float | None
    origin: str | None
    review_reason: str | None
    staff_reply: str | None
    staff_reply_at: float | None
    no_reply_reason: str | None
    takeover_by: str | None
    takeover_since: float | None
    takeover_until: float | None


@dataclass(frozen=True)
class StaffNotices:
    """What the banner on every dashboard page reads: the raw pause and hold records, the failing alert's error."""

    paused: str | None
    held: str | None
    email_error: str | None


def queue_sql(view: str, side: Side | None = None) -> str:
    """The statement reading one page of a queue list (``side``: of the cursor, None for the first page)."""
    where, keys, descending = QUEUE_VIEWS[view]
    condition, order = keyset_clauses(keys, descending, side)
    sort_key = ", ".join(f"{key} AS k{n}" for n, key in enumerate(keys))
    # All and Pending list questions without a reply; the other lists start from the replies, read from their index.
    joined = "questions q LEFT JOIN replies r" if view in ("all", "pending") else "replies r JOIN questions q"
    return (f"SELECT {_QUEUE_COLUMNS}, {sort_key} FROM {joined} ON r.question_id = q.id {_TAKEOVER_JOIN}"
            f" WHERE ({where}) AND {condition} ORDER BY {order} LIMIT :limit")


@dataclass(frozen=True)
class WeekOfWaits:
    """The replies sent to one week's questions: how many, and the median wait in seconds."""

    replies: int
    median: float


class Dashboard(Repository):
    """The dashboard's read-only queries over questions and replies: queue tabs, counts, statistics."""

    def queue_items(self, view: str, since: float, limit: int = 50, cursor: Cursor | None = None) -> Page[QueueItem]:
        """A page of one of QUEUE_VIEWS ('recent' counts approvals from `since` on), from ``cursor`` on."""
        keys = len(QUEUE_VIEWS[view][1])
        rows = self.conn.execute(queue_sql(view, cursor.side if cursor else None),
                                 {"since": since, "limit": limit + 1, **cursor_params(cursor)}).fetchall()
        fetched = []
        for row in rows:
            item = dict(row)
            key = tuple(item.pop(f"k{n}") for n in range(keys))
            fetched.append((key, QueueItem(**{**item, "pii": json.loads(item["pii"] or "[]"),
                                              "attachments": json.loads(item["attachments"] or "[]")})))
        return keyset_page(fetched, limit, cursor)

    def sort_key_length(self, view: str) -> int:
        """How many values a cursor of this list holds."""
        return len(QUEUE_VIEWS[view][1])

    def queue_counts(self) -> dict[str, int]:
        """How many rows each tab of the queue holds."""
        return {"pending": 0, "sent": 0, "failed": 0, "all": 0,
                **{tab: rows for tab, rows in self.conn.execute(QUEUE_COUNTS_SQL)}}

    def staff_notices(self, pause_key: str, hold_key: str) -> StaffNotices:
        """The banner's one query (the kv keys of the sending pause and hold are the outbox's)."""
        row = self.conn.execute(STAFF_NOTICES_SQL, {"pause": pause_key, "hold": hold_key}).fetchone()
        return StaffNotices(row["paused"], row["held"], row["email_error"])

    def intents_per_week(self, first: float, week: float, weeks: int) -> list[tuple[int, str | None, int]]:
        """(week number from 0, intent or None, questions) for the ``weeks`` weeks from ``first`` on."""
        rows = self.conn.execute(INTENTS_PER_WEEK_SQL, {"first": first, "week": week, "last": weeks - 1}).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def waits_per_week(self, first: float, week: float, weeks: int) -> tuple[dict[int, WeekOfWaits], WeekOfWaits | None]:
        """Per week number (from 0) and overall: replies sent to the questions received then, and the median wait."""
        rows = self.conn.execute(WAITS_PER_WEEK_SQL, {"first": first, "week": week, "last": weeks - 1}).fetchall()
        found = {row[0]: WeekOfWaits(row[1], row[2]) for row in rows}
        return {n: found[n] for n in found if n >= 0}, found.get(-1)
