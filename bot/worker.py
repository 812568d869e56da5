"""The worker: everything that happens after Meta has its 200, in one loop."""

from __future__ import annotations

import logging
import threading

from bot.config import Settings
from bot.pipeline import process_deliveries
from bot.store import Store

log = logging.getLogger(__name__)

IDLE_WAIT_SECONDS = 1.0


class Worker:
    """Runs the intake (and, as they land, the other periodic jobs) until stopped."""

    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.store = store
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        """Ask for a pass now (the web side calls this after committing a delivery)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the loop to end after the pass under way."""
        self._stop.set()
        self._wake.set()

    def run_once(self) -> bool:
        """One pass over every job; True when it did something (so the loop goes again at once)."""
        counts = process_deliveries(self.store)
        return counts.deliveries > 0

    def run_forever(self) -> None:
        """Loop until ``stop()``; an unexpected error is logged and the loop goes on."""
        log.info("worker started")
        while not self._stop.is_set():
            busy = False
            try:
                busy = self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying shortly")
            if not busy:
                # Woken early by a new delivery; otherwise a slow poll covers deliveries
                # committed by other processes (several web processes, one worker).
                self._wake.wait(IDLE_WAIT_SECONDS)
                self._wake.clear()
        log.info("worker stopped")

    def start_thread(self) -> threading.Thread:
        """Run the loop in a background thread (the embedded `serve` mode)."""
        thread = threading.Thread(target=self.run_forever, name="worker", daemon=True)
        thread.start()
        return thread
