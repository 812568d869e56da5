"""What both engines promise the repositories: migrations applied once however many processes start at once,
serialised transactions that may read, decide and write, and rows read back alike."""

from __future__ import annotations

import threading
import time

from bot.store import MIGRATIONS_DIR, store_for


def _each_in_its_own_store(settings, count: int, work) -> list:
    """Run ``work(store)`` at once in ``count`` threads, each with a store (so connections and locks) of its own,
    as separate processes would."""
    stores = [store_for(settings) for _ in range(count)]
    results: list = [None] * count
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        results[n] = work(stores[n])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return results


def test_processes_starting_at_once_apply_each_migration_once(settings):
    applied = _each_in_its_own_store(settings, 6, lambda store: store.migrate(time.time()))

    every = sorted(path.name for path in MIGRATIONS_DIR.glob("*.sql"))
    assert sorted(name for names in applied for name in names) == every  # each applied by exactly one
    store = store_for(settings)
    try:
        assert [row[0] for row in store.conn.execute("SELECT name FROM schema_migrations ORDER BY name")] == every
        assert store.migrate(time.time()) == []
    finally:
        store.close()


def test_serialised_transactions_from_many_processes_lose_no_update(store, settings):
    """Read, decide, write: the way every repository was written for SQLite holds on PostgreSQL too."""
    store.state.set("counter", "0", time.time())

    def add_twenty(other) -> None:
        for _ in range(20):
            with other.transaction() as conn:
                [value] = conn.execute("SELECT value FROM kv WHERE key = 'counter'").fetchone()
                other.state.set("counter", str(int(value) + 1), time.time())

    _each_in_its_own_store(settings, 5, add_twenty)

    assert store.state.get("counter") == "100"


def test_rows_read_back_as_sqlite_gives_them(store):
    """Flags as integers, sums as whole numbers, times as floats, bodies as bytes: on both engines."""
    store.deliveries.insert([(b"\x00raw\xff", 1700000000.25)])
    [delivery] = store.deliveries.unparsed()
    row = store.conn.execute(
        "SELECT count(*) AS n, sum(id) AS total, max(received_at) AS newest, 1 = 1 AS flag FROM deliveries"
    ).fetchone()

    assert (delivery.body, delivery.received_at) == (b"\x00raw\xff", 1700000000.25)
    assert (row["n"], row["total"], row["newest"]) == (1, delivery.id, 1700000000.25)
    assert type(row["n"]) is int and type(row["total"]) is int and row[0] == row["n"]
    assert dict(row).keys() == {"n", "total", "newest", "flag"} and bool(row["flag"])
