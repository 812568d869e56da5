"""The worker loop: runs the jobs it is given, in order, pass after pass, until stopped.

Which jobs an installation runs is decided in `bot.runtime.assemble`. Jobs are scheduled by the
monotonic clock, so a wall clock stepped back delays nothing; the wall clock's `now` is passed to
the jobs for what Meta and people see. A wall clock that runs far ahead of the monotonic one
between two passes is reported to ``on_clock_jump``.
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
# The worker never rests while work is due, so judging keeps pace with intake however busy the
# web side is. Answering Meta within its deadline still comes first: the worker runs in its own
# process at a lower OS priority (`bot.runtime.process.give_way_to_the_web`), so on a contended
# core the kernel runs the web process first, and on an idle one the worker takes all it needs.


@dataclass
class Job:
    """One periodic task. ``run(now)`` returns True when it did work (so the loop hurries)."""

    name: str
    run: Callable[[float], bool]
    every: float = 0.0  # seconds between runs; 0 runs it on every pass
    next_at: float = float("-inf")  # on the monotonic clock


class Worker:
    """Runs the jobs until stopped; one job's failure never stops the others."""

    def __init__(self, jobs: list[Job], *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 on_clock_jump: Callable[[float, float], None] | None = None,
                 jump_bound: float = 86400.0):
        self.jobs = jobs
        self._clock = clock
        self._monotonic = monotonic
        self._on_clock_jump = on_clock_jump
        self._jump_bound = jump_bound
        self._last_seen: tuple[float, float] | None = None  # (wall, monotonic) at the last look
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        """Ask for a pass now (the web side calls this after committing a delivery)."""
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
            started = self._monotonic()
            if started < job.next_at:
                continue
            now = self._look_at_clock(started)
            try:
                busy = job.run(now) or busy
            except Exception:
                log.exception("job %s failed; it runs again next time", job.name)
            job.next_at = started + job.every
        return busy

    def _look_at_clock(self, monotonic_now: float) -> float:
        """The wall clock's time, reporting a jump ahead of the monotonic clock first."""
        wall = self._clock()
        if self._last_seen is not None and self._on_clock_jump is not None:
            last_wall, last_monotonic = self._last_seen
            if (wall - last_wall) - (monotonic_now - last_monotonic) > self._jump_bound:
                try:
                    self._on_clock_jump(last_wall, wall)
                except Exception:
                    log.exception("could not record the clock jump; trying again next pass")
                    return wall  # keep the last trusted time, so the next pass sees the jump again
        self._last_seen = (wall, monotonic_now)
        return wall

    def run_forever(self) -> None:
        """Loop until ``stop()``."""
        log.info("worker started")
        while not self._stop.is_set():
            if not self.run_once():
                # Woken early by a new delivery; otherwise a short poll also covers
                # deliveries committed by other processes (several web processes, one worker).
                if self._wake.wait(IDLE_WAIT_SECONDS):
                    self._stop.wait(WAKE_DEBOUNCE_SECONDS)
                self._wake.clear()
        log.info("worker stopped")
