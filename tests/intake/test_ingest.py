"""Group commit: every acknowledged body is on disk; a failed commit is never acknowledged."""

import json
import threading

import psycopg
import pytest

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
    store.conn.execute("ALTER TABLE deliveries RENAME TO deliveries_gone")  # the disk is gone, in effect
    body = json.dumps(p.message("hi")).encode()
    answer = app.test_client().post("/webhooks/meta", data=body, headers={signature.HEADER: signature.sign(body, APP_SECRET)})
    assert answer.status_code == 503


def test_healthz_is_503_when_the_database_is_unusable(store, settings):
    from webhooks import create_app

    app = create_app(settings, store=store)
    assert app.test_client().get("/healthz").status_code == 200
    store.conn.execute("DROP TABLE schema_migrations")
    assert app.test_client().get("/healthz").status_code == 503


def test_deliveries_are_taken_again_after_postgresql_drops_every_connection(store, settings, database_engine):
    """A database restart or failover cuts groupbot's pooled connections: the next delivery is still committed."""
    if database_engine != "postgresql":
        pytest.skip("PostgreSQL's pooled connections only")
    from webhooks import create_app

    client = create_app(settings, store=store).test_client()

    def post(text: str) -> int:
        body = json.dumps(p.message(text)).encode()
        return client.post("/webhooks/meta", data=body, headers={signature.HEADER: signature.sign(body, APP_SECRET)})\
            .status_code

    assert post("before") == 200
    with psycopg.connect(settings.database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE datname = current_database() AND pid != pg_backend_pid()")
    answers = [post(f"after {n}") for n in range(3)]

    assert answers == [200, 200, 200]
    assert store.deliveries.count() == 4
