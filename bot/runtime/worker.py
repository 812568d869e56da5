"""The worker loop: runs the jobs it is given, in order, pass after pass, until stopped.

Which jobs an installation runs is decided in `bot.runtime.assemble`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

IDLE_WAIT_SECONDS = 1.0
# After a wake-up, gather what else arrives for a moment: one transaction for many
# deliveries costs far less than one each, and a question still shows within a second.
WAKE_DEBOUNCE_SECONDS = 0.2
# Sharing the machine's cores with the web app, the worker gives way while deliveries
# keep arriving: after a busy pass it rests nine times as long as the pass took (a tenth
# of the time, still far above a firm's traffic), so answering Meta within its deadline
# comes first and a backlog drains once a burst ends.
YIELD_FACTOR = 9.0
HOT_INTAKE_SECONDS = 0.5


@dataclass
class Job:
    """One periodic task. ``run(now)`` returns True when it did work (so the loop hurries)."""

    name: str
    run: Callable[[float], bool]
    every: float = 0.0  # seconds between runs; 0 runs it on every pass
    next_at: float = 0.0


class Worker:
    """Runs the jobs until stopped; one job's failure never stops the others."""

    def __init__(self, jobs: list[Job], *, clock: Callable[[], float] = time.time):
        self.jobs = jobs
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_delivery = float("-inf")

    def wake(self) -> None:
        """Ask for a pass now (the web side calls this after committing a delivery)."""
        self._last_delivery = time.monotonic()
        if not self._wake.is_set():
            self._wake.set()

    def stop(self) -> None:
        """Ask the loop to end after the pass under way."""
        self._stop.set()
        self._wake.set()

    def run_once(self) -> bool:
        """One pass over the jobs that are due; True when any did something."""
        busy = False
        for job in self.jobs:
            now = self._clock()
            if now < job.next_at:
                continue
            try:
                busy = job.run(now) or busy
            except Exception:
                log.exception("job %s failed; it runs again next time", job.name)
            job.next_at = now + job.every
        return busy

    def run_forever(self) -> None:
        """Loop until ``stop()``."""
        log.info("worker started")
        while not self._stop.is_set():
            started = time.monotonic()
            busy = self.run_once()
            if busy and started - self._last_delivery < HOT_INTAKE_SECONDS:
                self._stop.wait((time.monotonic() - started) * YIELD_FACTOR)
            elif not busy:
                # Woken early by a new delivery; otherwise a short poll also covers
                # deliveries committed by other processes (several web processes, one worker).
                if self._wake.wait(IDLE_WAIT_SECONDS):
                    self._stop.wait(WAKE_DEBOUNCE_SECONDS)
                self._wake.clear()
        log.info("worker stopped")
