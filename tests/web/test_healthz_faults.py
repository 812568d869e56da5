"""/healthz tells the truth: a database file deleted, replaced, locked or read-only is not "ok"."""

from __future__ import annotations

import shutil
import sqlite3

import requests

from bot.store import Store
from bot.store.sqlite import SqliteDatabase
from tests.support import payloads as p
from tests.support.groupbot import db_path
from webhooks import create_app


def health(server) -> requests.Response:
    return requests.get(f"{server.url}/healthz", timeout=10)


def test_a_deleted_database_file_is_503_and_deliveries_are_not_acknowledged_into_it(server):
    assert health(server).status_code == 200
    database = db_path(server.env)
    for leftover in database.parent.glob(database.name + "*"):
        leftover.unlink()

    answer = health(server)
    delivered = server.post_delivery(p.feed(p.comment_value("cual es su numero?", comment_id="gone_1")))

    assert answer.status_code == 503 and "deleted" in answer.json()["reason"]
    assert delivered.status_code == 503  # Meta keeps it and retries, rather than a 200 lost at restart


def test_a_replaced_database_file_is_503(server):
    database = db_path(server.env)
    copy = database.with_name("restored.db")
    source = sqlite3.connect(database)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    shutil.move(copy, database)

    answer = health(server)

    assert answer.status_code == 503 and "replaced" in answer.json()["reason"]


def test_a_foreign_lock_held_6_s_is_503(server):
    assert health(server).status_code == 200
    backup = sqlite3.connect(db_path(server.env), isolation_level=None, timeout=5)
    backup.execute("BEGIN IMMEDIATE")
    try:
        answer = health(server)
    finally:
        backup.execute("ROLLBACK")
        backup.close()

    assert answer.status_code == 503 and "locked" in answer.json()["reason"]
    assert health(server).status_code == 200


class ReadOnlyDatabase(SqliteDatabase):
    """The database as it is on a file system remounted read-only: every connection refuses writes."""

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.execute("PRAGMA query_only=ON")
        return conn


def test_a_read_only_database_is_503(settings, store):
    read_only = Store(settings.database_path)
    read_only.db = ReadOnlyDatabase(settings.database_path)
    try:
        answer = create_app(settings, store=read_only).test_client().get("/healthz")
    finally:
        read_only.close()

    assert answer.status_code == 503 and "refuses writes" in answer.get_json()["reason"]
