"""The webhook intake when the database is slow, locked or full: Meta gets its answer in time, a 200 is never lost,
and the log says what is wrong once, not once per delivery."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.intake import signature
from tests.support import payloads as p
from tests.support.groupbot import APP_SECRET, db_path, query, wait_for
from webhooks import create_app

# Meta gives up on a delivery not answered within this many seconds.
META_DEADLINE_SECONDS = 5


def signed(n: int, prefix: str, *, padding: int = 0) -> tuple[bytes, dict[str, str]]:
    text = f"pregunta {n}" + " ?" * padding
    body = json.dumps(p.feed(p.comment_value(text, comment_id=f"{prefix}_{n}"))).encode()
    return body, {"Content-Type": "application/json", signature.HEADER: signature.sign(body, APP_SECRET)}


def stored_bodies(env: dict[str, str]) -> set[bytes]:
    return {bytes(row[0]) for row in query(env, "SELECT body FROM deliveries")}


def test_a_backup_holding_the_write_lock_10_s_gets_every_delivery_answered_in_time_and_none_lost(server):
    backup = sqlite3.connect(db_path(server.env), isolation_level=None, timeout=5)
    backup.execute("BEGIN IMMEDIATE")
    locked_at = time.monotonic()

    def deliver(n: int) -> tuple[bytes, int | str]:
        time.sleep(n * 0.12)  # spread over the first six seconds of the lock
        body, headers = signed(n, "locked")
        try:
            answer = requests.post(f"{server.url}/webhooks/meta", data=body, headers=headers,
                                   timeout=META_DEADLINE_SECONDS)
        except requests.Timeout:
            return body, "no answer within Meta's deadline"
        return body, answer.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        answered = list(pool.map(deliver, range(48)))
    time.sleep(max(10 - (time.monotonic() - locked_at), 0))
    backup.execute("COMMIT")
    backup.close()
    after = [signed(n, "after") for n in range(3)]
    recovered = [requests.post(f"{server.url}/webhooks/meta", data=body, headers=headers, timeout=10).status_code
                 for body, headers in after]

    assert {status for _, status in answered} <= {200, 503}
    assert recovered == [200, 200, 200]
    acknowledged = {body for body, status in answered if status == 200} | {body for body, _ in after}
    assert acknowledged <= stored_bodies(server.env)
    assert "Traceback" not in server.log


def test_a_waiting_delivery_whose_batch_is_committed_late_is_answered_200_not_500(store, settings):
    app = create_app(settings, store=store)
    writer = app.extensions["groupbot"].writer
    original_insert, inserting = store.deliveries.insert, threading.Event()
    delays = iter([1.0, 4.0])  # the first commit is slow; the second outlasts the deadline of a body it holds

    def slow_insert(rows, **kwargs):
        inserting.set()
        time.sleep(next(delays))
        original_insert(rows, **kwargs)

    store.deliveries.insert = slow_insert
    bodies = [signed(n, "race") for n in range(3)]
    statuses: dict[int, int] = {}

    def post(n: int) -> None:
        body, headers = bodies[n]
        statuses[n] = app.test_client().post("/webhooks/meta", data=body, headers=headers).status_code

    first = threading.Thread(target=post, args=(0,))
    first.start()
    inserting.wait(5)
    others = [threading.Thread(target=post, args=(n,)) for n in (1, 2)]
    for thread in others:
        thread.start()
    wait_for(lambda: len(writer._queue) == 2)
    for thread in [first, *others]:
        thread.join(15)

    assert statuses == {0: 200, 1: 200, 2: 200}
    stored = {bytes(row[0]) for row in store.conn.execute("SELECT body FROM deliveries")}
    assert stored == {body for body, _ in bodies}


@pytest.mark.sqlite_only("SQLite's max_page_count stands in for a full disk")
def test_a_full_disk_refuses_with_503_and_one_log_line_then_recovers(store, settings, caplog):
    app = create_app(settings, store=store)
    client = app.test_client()
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full

    with caplog.at_level(logging.WARNING):
        refused = []
        for n in range(20):
            body, headers = signed(n, "full", padding=10000)
            refused.append(client.post("/webhooks/meta", data=body, headers=headers).status_code)

    assert refused == [503] * 20
    refusals = [r for r in caplog.records if r.name == "bot.intake.writer"]
    assert len(refusals) == 1 and "full" in refusals[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    store.conn.execute(f"PRAGMA max_page_count = {pages * 1000}")  # space is freed
    body, headers = signed(99, "freed")
    assert client.post("/webhooks/meta", data=body, headers=headers).status_code == 200
