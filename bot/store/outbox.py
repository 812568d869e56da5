"""SQL for durable outbox jobs: queued, claimed under a lease, retried, finished."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from bot.store.base import Repository

_JOB_COLUMNS = ("id, kind, dedupe_key, payload, status, attempts, next_attempt_at, uncertain, last_error, result,"
                " lease_holder, lease_expires_at, claimed_at, created_at, updated_at, finished_at")

# The sender's claim: one statement for both engines, with a slot for the row lock only PostgreSQL takes.
# There, claims run side by side (not serialised), and FOR UPDATE SKIP LOCKED makes a second claimer pass over
# a job another claim is taking rather than wait for it and then find it gone. SQLite has no such clause and
# needs none: its one writer at a time already makes the claim exclusive. The slot is filled here rather than
# by a rule in bot.store.dialect: the dialect rewrites spellings that mean the same on both engines, and this
# clause changes which rows a statement sees, which only the statement's author should decide. The outer
# status test re-checks, on PostgreSQL, the row version the UPDATE finally writes.
_CLAIM_DUE = (
    "UPDATE outbox_jobs SET status = 'sending', attempts = attempts + 1, lease_holder = ?,"
    " lease_expires_at = ?, claimed_at = ?, updated_at = ?"
    " WHERE id = (SELECT id FROM outbox_jobs WHERE status = 'pending' AND next_attempt_at <= ?"
    " ORDER BY next_attempt_at, id LIMIT 1{lock}) AND status = 'pending'"
    f" RETURNING {_JOB_COLUMNS}")
CLAIM_LOCKS = {"sqlite": "", "postgresql": " FOR UPDATE SKIP LOCKED"}
CLAIM_DUE_SQL_BY_ENGINE = {engine: _CLAIM_DUE.format(lock=lock) for engine, lock in CLAIM_LOCKS.items()}
# SQLite's text, named so the query-plan test can check it.
CLAIM_DUE_SQL = CLAIM_DUE_SQL_BY_ENGINE["sqlite"]
SENDING_SQL = f"SELECT {_JOB_COLUMNS} FROM outbox_jobs WHERE status = 'sending'"
FAILED_SQL = (f"SELECT {_JOB_COLUMNS} FROM outbox_jobs WHERE status IN ('failed', 'dead')"
              " ORDER BY coalesce(finished_at, updated_at) DESC, id DESC LIMIT ?")
NEXT_DUE_SQL = "SELECT min(next_attempt_at) FROM outbox_jobs WHERE status = 'pending'"


@dataclass(frozen=True)
class OutboxJob:
    """One durable job as stored; `uncertain` means an earlier attempt may have taken effect."""

    id: int
    kind: str
    dedupe_key: str
    payload: dict
    status: str
    attempts: int
    next_attempt_at: float
    uncertain: bool
    last_error: str | None
    result: dict | None
    lease_holder: str | None
    lease_expires_at: float | None
    claimed_at: float | None
    created_at: float
    updated_at: float
    finished_at: float | None


class OutboxJobs(Repository):
    """The outbox: jobs that call Meta, each sent once under a lease and retried with backoff."""

    def insert(self, kind: str, payload: dict, dedupe_key: str, now: float) -> int | None:
        """Add a pending job due now; None when a job with this dedupe key already exists."""
        with self._store.writing() as conn:
            row = conn.execute(
                "INSERT INTO outbox_jobs (kind, dedupe_key, payload, next_attempt_at, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (kind, dedupe_key, json.dumps(payload, ensure_ascii=False), now, now, now),
            ).fetchone()
        return row[0] if row else None

    def claim_due(self, now: float, holder: str, lease_seconds: float) -> OutboxJob | None:
        """Move the oldest due pending job to 'sending' under `holder`'s lease, counting the attempt."""
        # One statement that picks and writes, so it needs no serialised transaction: on PostgreSQL a claim never
        # waits for the serialised writers, and claimers side by side skip each other's rows.
        sql = CLAIM_DUE_SQL_BY_ENGINE[self._store.engine]
        parameters = (holder, now + lease_seconds, now, now, now)
        if self.conn.in_transaction:
            row = self.conn.execute(sql, parameters).fetchone()
        else:
            with self._store.transaction(serialised=False) as conn:
                row = conn.execute(sql, parameters).fetchone()
        return _job(row) if row else None

    def finish(self, job_id: int, holder: str, status: str, now: float, *, result: dict | None = None,
               error: str | None = None) -> bool:
        """End a job this holder is sending (sent, failed or dead); False if it lost the lease meanwhile."""
        cursor = self.conn.execute(
            "UPDATE outbox_jobs SET status = ?, result = ?, last_error = ?, uncertain = 0, lease_holder = NULL,"
            " lease_expires_at = NULL, updated_at = ?, finished_at = ?"
            " WHERE id = ? AND status = 'sending' AND lease_holder = ?",
            (status, json.dumps(result) if result is not None else None, error, now, now, job_id, holder),
        )
        return cursor.rowcount == 1

    def retry_later(self, job_id: int, holder: str, next_attempt_at: float, error: str, *,
                    uncertain: bool, now: float) -> bool:
        """Put a job this holder is sending back to 'pending' for a later attempt."""
        cursor = self.conn.execute(
            "UPDATE outbox_jobs SET status = 'pending', next_attempt_at = ?, last_error = ?, uncertain = ?,"
            " lease_holder = NULL, lease_expires_at = NULL, updated_at = ?"
            " WHERE id = ? AND status = 'sending' AND lease_holder = ?",
            (next_attempt_at, error, int(uncertain), now, job_id, holder),
        )
        return cursor.rowcount == 1

    def in_flight(self) -> list[OutboxJob]:
        """Jobs in 'sending' (held by a live sender, or left behind by one that died)."""
        rows = self.conn.execute(SENDING_SQL).fetchall()
        return [_job(row) for row in rows]

    def take_back(self, job_id: int, old_holder: str, next_attempt_at: float, now: float) -> bool:
        """Return an abandoned 'sending' job to 'pending', marked uncertain (its call may have happened)."""
        with self._store.writing() as conn:
            cursor = conn.execute(
                "UPDATE outbox_jobs SET status = 'pending', uncertain = 1, next_attempt_at = ?, lease_holder = NULL,"
                " lease_expires_at = NULL, last_error = 'the sender stopped during an attempt', updated_at = ?"
                " WHERE id = ? AND status = 'sending' AND lease_holder = ?",
                (next_attempt_at, now, job_id, old_holder),
            )
        return cursor.rowcount == 1

    def requeue(self, job_id: int, now: float, *, uncertain: bool = True) -> bool:
        """Give a failed or dead job another try now (checked against Meta first unless `uncertain` is False)."""
        with self._store.writing() as conn:
            cursor = conn.execute(
                "UPDATE outbox_jobs SET status = 'pending', uncertain = ?, next_attempt_at = ?, updated_at = ?,"
                " finished_at = NULL WHERE id = ? AND status IN ('failed', 'dead')",
                (int(uncertain), now, now, job_id),
            )
        return cursor.rowcount == 1

    def get(self, job_id: int) -> OutboxJob | None:
        """One job by id."""
        row = self.conn.execute(f"SELECT {_JOB_COLUMNS} FROM outbox_jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def newest(self, *, kind: str | None = None, limit: int = 50) -> list[OutboxJob]:
        """Jobs newest first, optionally of one kind."""
        where, params = ("WHERE kind = ?", (kind, limit)) if kind else ("", (limit,))
        rows = self.conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM outbox_jobs {where} ORDER BY id DESC LIMIT ?", params).fetchall()
        return [_job(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each status."""
        rows = self.conn.execute("SELECT status, count(*) FROM outbox_jobs GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def failed(self, limit: int = 10) -> list[OutboxJob]:
        """Jobs that failed or that Meta refused for good, most recent first."""
        rows = self.conn.execute(
FAILED_SQL, (limit,)).fetchall()
        return [_job(row) for row in rows]

    def next_due_time(self) -> float | None:
        """When the earliest pending job becomes due, or None when none is pending."""
        return self.conn.execute(
NEXT_DUE_SQL).fetchone()[0]


def _job(row: sqlite3.Row) -> OutboxJob:
    item = dict(row)
    item["payload"] = json.loads(item["payload"])
    item["result"] = json.loads(item["result"]) if item["result"] else None
    item["uncertain"] = bool(item["uncertain"])
    return OutboxJob(**item)
