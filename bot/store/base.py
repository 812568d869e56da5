"""What every repository shares: the store whose connection and transactions it uses."""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractContextManager
from typing import Protocol


class Connections(Protocol):
    """What a repository needs of the store (described here, so no repository imports the store back)."""

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction."""

    def transaction_within(self, seconds: float) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction that gives up after `seconds`."""

    def writing(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction, or the caller's when one is open."""


class Repository:
    """One subject's statements, run on the store's per-thread connection."""

    def __init__(self, store: Connections) -> None:
        self._store = store

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self._store.conn


def iso(epoch: float | None) -> str | None:
    """An epoch time as the ISO 8601 UTC text that JSON listings show."""
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
