"""After the retention purge blanks old member text, the database file gives the space back."""

from __future__ import annotations

import json
import time

from bot.ops.retention import purge_old_text

DAY = 86400.0


def test_the_database_file_shrinks_after_a_purge_of_old_deliveries(store, settings):
    long_ago = time.time() - (settings.retention_days + 10) * DAY
    bodies = [(json.dumps({"object": "page", "text": "hola " * 1000, "n": n}).encode(), long_ago) for n in range(1500)]
    store.deliveries.insert(bodies)
    store.conn.execute("UPDATE deliveries SET status = 'parsed'")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = settings.database_path.stat().st_size

    purged = purge_old_text(store, settings.retention_days, time.time())

    assert purged.deliveries == 1500
    assert settings.database_path.stat().st_size < before / 2
