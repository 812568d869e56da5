"""What the worker does per question and what every dashboard list shows read a bounded number of rows, however
many questions are stored.

The rule, checked on SQLite's ``EXPLAIN QUERY PLAN`` against a few thousand rows (statistics gathered by
``ANALYZE``): no plan may ``SCAN`` a table that grows with use (``GROWING``), except
  * a scan of a partial index over work still waiting (``BACKLOG_INDEXES``: pending replies, unjudged questions,
    new deliveries, due jobs and e-mails), which holds only the backlog, not the history; or
  * a scan of an index that gives the statement's ORDER BY (no temporary B-tree sorts the rows) in a statement
    ending in LIMIT: the walk stops after one page.
A ``SEARCH`` (a lookup or a range of an index) is always fine.
"""

from __future__ import annotations

import re
import time

import pytest

from bot.store import (
    Store,
    audit,
    blog,
    dashboard,
    emails,
    examples,
    intake,
    outbox,
    questions,
    replies,
    retention,
    takeovers,
)
from bot.store.intake import NewQuestion
from bot.store.questions import Classification
from bot.store.replies import NewReply

GROWING = {"questions", "replies", "deliveries", "events", "outbox_jobs", "blog_entries", "audit_log",
           "admin_emails", "graph_calls", "learned_examples"}
ALIASES = {"q": "questions", "r": "replies", "e": "blog_entries", "j": "outbox_jobs"}
BACKLOG_INDEXES = {"replies_pending_deadline", "questions_unclassified", "questions_waiting", "deliveries_new", "outbox_jobs_due",
                   "outbox_jobs_sending", "admin_emails_due"}
QUESTIONS = 3000
NOW = 1_780_000_000.0
KEY = {"k0": 1.0, "k1": 1.0, "k2": 1.0, "k3": 1.0, "k4": 1.0}


def statements() -> dict[str, tuple[str, tuple | dict]]:
    """Every statement the rule covers, by name, with parameters to plan it with."""
    found: dict[str, tuple[str, tuple | dict]] = {
        # The worker: intake, judging, suggesting replies, deadlines and expiry, the outbox, the e-mail queue.
        "new deliveries": (intake.UNPARSED_SQL, (50,)),
        "questions to judge": (questions.WAITING_SQL, (100,)),
        "a member's last message": (questions.LAST_MESSAGE_TIME_SQL, ("a7",)),
        "a member's pending Messenger replies": (replies.PENDING_MESSENGER_SQL, ("a7", NOW)),
        "reopening a member's 24-hour window": (replies.EXTEND_MESSENGER_DEADLINES_SQL, (NOW, NOW, "a7", NOW)),
        "replies past their deadline": (replies.PAST_DEADLINE_SQL, (NOW,)),
        "withdrawing a member's replies (human takeover)": (replies.CANCEL_MEMBER_REPLIES_SQL, ("r", NOW, "a7")),
        "is a person talking to a member": (takeovers.ACTIVE_TAKEOVER_SQL, ("a7",)),
        "a removed Page post": (blog.MARK_PAGE_POST_REMOVED_SQL, (NOW, "104_1")),
        "claiming a due job": (outbox.CLAIM_DUE_SQL, ("worker", NOW, NOW, NOW, NOW)),
        "jobs being sent": (outbox.SENDING_SQL, ()),
        "the next job due": (outbox.NEXT_DUE_SQL, ()),
        "an intent's decisions for the auto-approve gate": (examples.DECISIONS_ON_SQL, ("fees", NOW - 90 * 86400)),
        "an intent's rejections for the auto-approve gate": (replies.REJECTED_SINCE_SQL, ("fees", NOW - 90 * 86400)),
        "a question's earlier decision": (examples.OF_QUESTION_SQL, (5,)),
        "due e-mails": (emails.DUE_SQL, (NOW, 20)),
        "any e-mail due": (emails.HAS_DUE_SQL, (NOW,)),
        "an alert queued lately": (emails.QUEUED_SINCE_SQL, ("subject", NOW)),
        # The answer engine, before each message: the admins' newest corrections.
        "the newest learned example": (examples.LATEST_ID_SQL, ()),
        "learned examples not yet read": (examples.AFTER_SQL, (QUESTIONS - 5,)),
        # The dashboard's lists, and the Health page's failed jobs.
        "queue counts": (dashboard.QUEUE_COUNTS_SQL, ()),
        "the banner on every page": (dashboard.STAFF_NOTICES_SQL, {"pause": "sending_paused", "hold": "held"}),
        "questions per week": (dashboard.INTENTS_PER_WEEK_SQL, {"first": NOW, "week": 604800, "last": 7}),
        "waits per week": (dashboard.WAITS_PER_WEEK_SQL, {"first": NOW, "week": 604800, "last": 7}),
        "failed jobs": (outbox.FAILED_SQL, (10,)),
        "decisions per intent (FAQ page)": (examples.DECISIONS_SINCE_SQL, (NOW - 90 * 86400,)),
        "labels per intent (FAQ page)": (examples.LABELS_SINCE_SQL, (NOW - 90 * 86400,)),
        # The daily retention purge: only rows still holding member text.
        "purging questions": (retention.PURGE_QUESTIONS_SQL, (NOW, NOW)),
        "purging replies": (retention.PURGE_REPLIES_SQL, (NOW,)),
        "purging raw deliveries": (retention.PURGE_DELIVERIES_SQL, (b"", NOW)),
        "purging reply jobs": (retention.PURGE_JOBS_SQL, (NOW,)),
        "purging old takeovers": (retention.PURGE_TAKEOVERS_SQL, (NOW,)),
        "purging alert bodies": (retention.PURGE_EMAILS_SQL, (NOW,)),
        # The command line's lists.
        "groupbot list questions": (questions.TRIAGED_SQL, (50,)),
        "groupbot list replies": (replies.triaged_sql(False), (50,)),
    }
    for side in (None, "after", "before"):
        for view in dashboard.QUEUE_VIEWS:
            found[f"queue {view}, {side or 'first'} page"] = (dashboard.queue_sql(view, side),
                                                               {"since": NOW, "limit": 51, **KEY})
        found[f"audit, {side or 'first'} page"] = (audit.audit_page_sql(side), {"limit": 101, **KEY})
        found[f"posts, {side or 'first'} page"] = (blog.entries_page_sql(side), {"limit": 51, **KEY})
    return found


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A store with a few thousand rows in every growing table, analysed."""
    store = Store(tmp_path_factory.mktemp("plans") / "groupbot.db")
    store.migrate(NOW)
    statuses = ("sent", "sent", "sent", "failed", "expired", "rejected", "pending", "approved", "cancelled", "sent")
    with store.transaction() as conn:
        for n in range(QUESTIONS):
            at = NOW - n * 600
            conn.execute(
                "INSERT INTO deliveries (received_at, body, status) VALUES (?, x'7b7d', ?)",
                (at, "new" if n < 3 else "parsed"))
            conn.execute("INSERT INTO events (dedupe_key, delivery_id, kind, handled_at) VALUES (?, ?, 'comment', ?)",
                         (f"e{n}", n + 1, at))
            question_id = store.questions.insert(NewQuestion(
                ("page_comment", "group_comment", "messenger")[n % 3], f"x{n}", f"a{n % 500}", "Ana", "hola", at), at)
            if n > 20:
                store.questions.save_classification(question_id, 0, Classification(
                    ("fees", None, "contact")[n % 3], "es", 0.9, [], n % 97 == 0, False, "suggested"), at)
            status = statuses[n % 10]
            conn.execute(
                "INSERT INTO replies (question_id, intent, language, channel, recipient, text, status, deadline,"
                " approved_at, sent_at, created_at, updated_at) VALUES (?, 'fees', 'es', ?, ?, 'ok', ?, ?, ?, ?, ?, ?)",
                (question_id, ("private_reply", "comment_reply", "messenger")[n % 3], f"a{n % 500}", status,
                 at + 86400, None if status == "pending" else at, at + 60 if status == "sent" else None, at, at))
            conn.execute(
                "INSERT INTO outbox_jobs (kind, dedupe_key, payload, status, next_attempt_at, created_at, updated_at,"
                " finished_at) VALUES ('reply', ?, '{}', ?, ?, ?, ?, ?)",
                (f"j{n}", ("sent", "failed", "dead", "pending")[n % 4] if n > 10 else "pending", at, at, at, at))
            conn.execute("INSERT INTO blog_entries (entry_key, link, title, first_seen_at, page_status)"
                         " VALUES (?, 'l', 't', ?, 'seen')", (f"b{n}", at))
            conn.execute("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'ana', 'x', 's', '')",
                         (at,))
            conn.execute("INSERT INTO admin_emails (subject, body, status, next_attempt_at, created_at)"
                         " VALUES (?, 'b', ?, ?, ?)", (f"s{n % 50}", "pending" if n < 3 else "sent", at, at))
            conn.execute("INSERT INTO graph_calls (method, path, params, created_at) VALUES ('POST', 'p', '{}', ?)",
                         (at,))
            conn.execute("INSERT INTO learned_examples (question_id, text, language, suggested, intent, decision,"
                         " decided_by, decided_at) VALUES (?, 'hola', 'es', ?, ?, ?, 'ana', ?)",
                         (question_id, ("fees", "contact", None)[n % 3], ("fees", "contact", "visa")[n % 3],
                          ("approved", "edited", "relabelled")[n % 3], at))
        conn.execute("ANALYZE")
    yield store
    store.close()


def problems(plan: list[str], sql: str) -> list[str]:
    """The lines of ``plan`` that break the rule in this module's docstring."""
    sorted_in_memory = any("TEMP B-TREE FOR ORDER BY" in line for line in plan)
    paged = re.search(r"\bLIMIT\s+(\?|:\w+|\d+)\s*\)?\s*(RETURNING\b.*)?$", sql) is not None
    found = []
    for line in plan:
        scanned = re.match(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", line)
        if not scanned or ALIASES.get(scanned.group(1), scanned.group(1)) not in GROWING:
            continue
        index = scanned.group(2)
        if index in BACKLOG_INDEXES or (index and paged and not sorted_in_memory):
            continue
        found.append(line)
    return found


@pytest.mark.parametrize("name", sorted(statements()))
def test_no_statement_reads_every_row_of_a_growing_table(filled, name):
    sql, params = statements()[name]
    plan = [row[3] for row in filled.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert problems(plan, sql) == [], f"{name}: {plan}"


def test_the_rule_catches_a_full_scan_and_an_unbounded_index_walk(filled):
    whole = "SELECT * FROM replies WHERE text = ?"
    assert problems([row[3] for row in filled.conn.execute(f"EXPLAIN QUERY PLAN {whole}", ("ok",))], whole)
    every_sent = "SELECT id FROM replies WHERE status = 'sent' ORDER BY sent_at"
    assert problems([row[3] for row in filled.conn.execute(f"EXPLAIN QUERY PLAN {every_sent}")], every_sent)


def test_the_queue_counts_follow_every_change_of_a_reply(store):
    def counted() -> dict[str, int]:
        real = {tab: store.conn.execute(sql).fetchone()[0] for tab, sql in {
            "pending": "SELECT count(*) FROM replies WHERE status = 'pending'",
            "sent": "SELECT count(*) FROM replies WHERE status = 'sent'",
            "failed": "SELECT count(*) FROM replies WHERE status IN ('failed', 'expired')",
            "all": "SELECT count(*) FROM questions"}.items()}
        assert store.dashboard.queue_counts() == real
        return real

    assert counted() == {"pending": 0, "sent": 0, "failed": 0, "all": 0}
    now = time.time()
    ids = []
    for n in range(4):
        question_id = store.questions.insert(NewQuestion("messenger", f"m{n}", "psid", "Ana", "hola", now), now)
        ids.append(store.replies.insert(NewReply(question_id, "fees", "es", "messenger", "psid", "ok", False,
                                                 now + 86400), "pending", now))
    store.questions.insert(NewQuestion("page_comment", "c_9", "a", "Ana", "gracias", now), now)
    assert counted() == {"pending": 4, "sent": 0, "failed": 0, "all": 5}
    store.replies.approve(ids[0], "ana", "ok", False, store.jobs.insert("messenger_reply", {}, "r1", now), now)
    store.replies.mark_sent(ids[0], "m_1", None, now)
    store.replies.close(ids[1], "expired", now, error="window closed")
    store.replies.close(ids[2], "rejected", now)
    assert counted() == {"pending": 1, "sent": 1, "failed": 1, "all": 5}
    store.dry_run_data.remove()
    assert counted() == {"pending": 0, "sent": 0, "failed": 0, "all": 0}
