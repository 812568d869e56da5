"""SQL for the purge of member text once the retention period is over."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repository

# Outbox job kinds whose payload holds reply text (kept in step with bot.replies.send).
REPLY_JOB_KINDS = ("private_reply", "comment_reply", "messenger_reply")
# Pages given back to the file system per step: each step is a short write transaction, so
# deliveries arriving meanwhile are committed between steps.
RECLAIM_PAGES_PER_STEP = 2000

# The purge's statements. Each one's condition is that of a partial index (migration 0012), so a purge reads the
# rows still holding member text, never the ones blanked on earlier days.
PURGE_QUESTIONS_SQL = (
    "UPDATE questions SET text = '', author_name = '', staff_reply = CASE WHEN staff_reply IS NULL"
    " THEN NULL ELSE '' END, mentions = '[]', purged_at = ? WHERE created_at < ? AND purged_at IS NULL")
PURGE_REPLIES_SQL = (
    "UPDATE replies SET text = '' WHERE created_at < ? AND text != ''"
    " AND status NOT IN ('pending', 'approved', 'sending')")
PURGE_DELIVERIES_SQL = (
    "UPDATE deliveries SET body = ? WHERE received_at < ? AND status != 'new' AND length(body) > 0")
PURGE_JOBS_SQL = (
    "UPDATE outbox_jobs SET payload = json_remove(payload, '$.text') WHERE created_at < ?"
    " AND kind IN (" + ", ".join(f"'{kind}'" for kind in REPLY_JOB_KINDS) + ")"
    " AND status IN ('sent', 'failed', 'dead') AND json_extract(payload, '$.text') IS NOT NULL")
PURGE_TAKEOVERS_SQL = "DELETE FROM human_takeovers WHERE until < ?"
PURGE_EMAILS_SQL = "UPDATE admin_emails SET body = '' WHERE created_at < ? AND status != 'pending' AND body != ''"


@dataclass(frozen=True)
class Purged:
    """How many rows lost their member text in one purge."""

    questions: int
    replies: int
    deliveries: int
    jobs: int
    emails: int


class Retention(Repository):
    """The purge of member text older than the retention period (verdicts and statuses stay)."""

    def purge_member_text(self, before: float, now: float) -> Purged:
        """Blank member text older than `before`: question text and name, finished replies, raw bodies,
        finished reply jobs' payload text, sent alert bodies. Intents and statuses stay."""
        with self._store.writing() as conn:
            questions = conn.execute(PURGE_QUESTIONS_SQL, (now, before)).rowcount
            replies = conn.execute(PURGE_REPLIES_SQL, (before,)).rowcount
            deliveries = conn.execute(PURGE_DELIVERIES_SQL, (b"", before)).rowcount
            jobs = conn.execute(PURGE_JOBS_SQL, (before,)).rowcount
            # Who talked to a member, and when, is member data too once its window is long over.
            conn.execute(PURGE_TAKEOVERS_SQL, (before,))
            emails = conn.execute(PURGE_EMAILS_SQL, (before,)).rowcount
        return Purged(questions, replies, deliveries, jobs, emails)

    def reclaim_space(self) -> int:
        """Give the pages freed by a purge back to the file system; returns how many (0 unless auto_vacuum is
        incremental, as it is for databases created by this version). On PostgreSQL, autovacuum makes the
        space reusable by later rows, and nothing is done here."""
        if self._store.engine != "sqlite" or self.conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            return 0
        reclaimed = 0
        while True:
            free = self.conn.execute("PRAGMA freelist_count").fetchone()[0]
            if not free:
                break
            with self._store.transaction() as conn:
                conn.execute(f"PRAGMA incremental_vacuum({RECLAIM_PAGES_PER_STEP})").fetchall()
            reclaimed += min(free, RECLAIM_PAGES_PER_STEP)
        # The main file only shrinks when the WAL is copied back into it.
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return reclaimed
