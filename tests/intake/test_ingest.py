"""Group commit: every acknowledged body is on disk; a failed commit is never acknowledged."""

import json
import threading

from bot.intake import signature
from bot.intake.writer import DeliveryWriter
from tests.support import payloads as p
from tests.support.groupbot import APP_SECRET


def test_concurrent_submissions_are_all_committed(store):
    writer = DeliveryWriter(store)
    results = []

    def submit(n):
        results.append(writer.submit(json.dumps({"n": n}).encode()))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 64
    assert store.deliveries.count() == 64


def test_a_failed_commit_is_not_acknowledged(store, settings):
    from webhooks import create_app

    app = create_app(settings, store=store)
    store.conn.execute("DROP TABLE deliveries")  # the disk is gone, in effect
    body = json.dumps(p.message("hi")).encode()
    answer = app.test_client().post("/webhooks/meta", data=body, headers={signature.HEADER: signature.sign(body, APP_SECRET)})
    assert answer.status_code == 503


def test_healthz_is_503_when_the_database_is_unusable(store, settings):
    from webhooks import create_app

    app = create_app(settings, store=store)
    assert app.test_client().get("/healthz").status_code == 200
    store.conn.execute("DROP TABLE schema_migrations")
    assert app.test_client().get("/healthz").status_code == 503
