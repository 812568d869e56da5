"""The firm's corrections, remembered: a message an admin has judged gets the same verdict next time.

Keyed by `model.memory_key` (case, accents, doubled letters, punctuation and extra spaces do
not count), so "Cuánto cobran??" finds the correction of "cuanto cobran". The newest decision
on a key wins. It is read from the learned examples in the database, and catches up with
new ones on each look (one indexed `max(id)` query), so a correction counts at once, before
any retrain.
"""

from __future__ import annotations

import threading

from bot.answers.model import memory_key

_MISSING = object()


class Corrections:
    """Normalised message -> the intent the admins settled on (None: no reply)."""

    def __init__(self, store=None):
        self._store = store
        self._by_key: dict[str, str | None] = {}
        self._last_id = 0
        self._lock = threading.Lock()

    def lookup(self, text: str):
        """The corrected intent (None: no reply), or `MISSING` when no admin has judged this message."""
        if self._store is None:
            return MISSING
        self._catch_up()
        key = memory_key(text)
        return self._by_key.get(key, MISSING) if key else MISSING

    def _catch_up(self) -> None:
        latest = self._store.examples.latest_id()
        if latest == self._last_id:
            return
        with self._lock:
            if latest < self._last_id:  # a restored database: start over
                self._by_key.clear()
                self._last_id = 0
            for example in self._store.examples.after(self._last_id):
                key = memory_key(example.text or "")
                if key:
                    self._by_key[key] = example.intent
                self._last_id = max(self._last_id, example.id)


MISSING = _MISSING
