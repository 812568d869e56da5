"""The worker as a child process of `groupbot serve`, and the pipe that wakes it.

`serve` runs the web app in its own process and the worker (`groupbot worker --wake-fd N`)
in a second one, so that intake and the worker do not share one GIL. The two are tied by
one pipe, created by the web process and kept for its whole life:

- the web process writes a byte after each committed group of deliveries (and each blog
  ping); the worker wakes at once instead of at its next one-second poll. A write costs
  under a microsecond of CPU, once per group commit rather than per delivery, so wake-ups
  are not coalesced further; a full pipe simply means one is already waiting;
- only the web process holds the write end, so when it dies, even by SIGKILL, the worker
  reads end-of-file and stops by itself after its pass;
- a worker that dies is started again over the same pipe, after a pause that doubles
  while it keeps dying.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Sequence

from bot.runtime.worker import Worker

log = logging.getLogger(__name__)

WAKE_FD_OPTION = "--wake-fd"
STOP_TIMEOUT_SECONDS = 30.0
FIRST_RESTART_DELAY_SECONDS = 1.0
MAX_RESTART_DELAY_SECONDS = 30.0
# A worker that ran this long before dying was not crash-looping: its next restart is quick again.
HEALTHY_RUN_SECONDS = 60.0
# A stop signal sent to the whole process group reaches both processes at once; the web
# process notes it within this time, so the worker's exit is not taken for a crash.
EXIT_GRACE_SECONDS = 0.5


# How much lower than the web process the worker runs (see `give_way_to_the_web`).
WORKER_NICENESS = 5


def give_way_to_the_web() -> None:
    """Lower this process's CPU priority, so that on a contended core Meta's deliveries are answered first."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not allowed here (some containers): the worker simply shares the core evenly
        log.info("could not lower the worker's CPU priority; it shares the processor evenly with the web app")


def worker_command() -> list[str]:
    """The command line of a supervised worker, without the wake option."""
    return [sys.executable, "-m", "bot.cli", "worker"]


class WorkerProcess:
    """Starts the worker child, wakes it, restarts it when it dies, and stops it."""

    def __init__(self, command: Sequence[str] | None = None, *,
                 first_delay: float = FIRST_RESTART_DELAY_SECONDS, max_delay: float = MAX_RESTART_DELAY_SECONDS):
        self._command = list(command or worker_command())
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._read_fd, self._write_fd = os.pipe()
        # A full pipe already holds a wake-up the worker has not read: a request thread never waits on it.
        os.set_blocking(self._write_fd, False)
        self._stopping = threading.Event()
        self._exit_expected = False
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Ask the worker for a pass now; called by request threads after a commit, never blocks."""
        try:
            os.write(self._write_fd, b"\0")
        except OSError as exc:
            # The delivery is committed either way: a failed wake-up must not turn its 200 into
            # an error. EAGAIN means a wake-up is already pending, EBADF that serve is stopping;
            # anything else still leaves the worker's one-second poll.
            if exc.errno not in (errno.EAGAIN, errno.EBADF):
                log.warning("could not wake the worker process: %s", exc)

    def expect_exit(self) -> None:
        """Note that serve is stopping, so the child's own exit is no crash; safe in a signal handler."""
        self._exit_expected = True

    def start(self) -> None:
        """Start the child and the thread that watches it."""
        self._spawn()
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """Ask the child to stop after its pass (SIGTERM), wait for it, and return its exit code."""
        self._stopping.set()
        with self._lock:
            process = self._process
        code = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("worker process %d did not stop within %.0f s; killing it", process.pid, timeout)
                process.kill()
                code = process.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)
        # -1 first: a late wake() then fails with EBADF instead of writing to a reused descriptor.
        fds, self._write_fd, self._read_fd = (self._write_fd, self._read_fd), -1, -1
        for fd in fds:
            os.close(fd)
        return code

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._process = subprocess.Popen([*self._command, WAKE_FD_OPTION, str(self._read_fd)],
                                             pass_fds=(self._read_fd,))
        log.info("worker process %d started", self._process.pid)

    def _supervise(self) -> None:
        delay = self._first_delay
        while not self._stopping.is_set():
            process = self._process
            started = time.monotonic()
            code = process.wait()
            if self._stopping.wait(EXIT_GRACE_SECONDS) or self._exit_expected:
                return
            if time.monotonic() - started >= HEALTHY_RUN_SECONDS:
                delay = self._first_delay
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            log.error("worker process %d %s: deliveries are stored but not processed; restarting it in %.0f s",
                      process.pid, how, delay)
            if self._stopping.wait(delay):
                return
            try:
                self._spawn()
            except OSError:
                log.exception("could not start the worker process; trying again in %.0f s", delay)
                # Keep waiting on the dead process object: wait() returns at once and the loop retries.
            delay = min(delay * 2, self._max_delay)


def listen_for_wakes(worker: Worker, fd: int) -> threading.Thread:
    """In the worker child: wake `worker` for each byte on `fd`; stop it when the web process is gone (EOF)."""

    def listen() -> None:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                log.exception("cannot read the wake pipe; stopping")
                data = b""
            if not data:
                log.warning("the serve process is gone; the worker stops after its pass")
                worker.stop()
                return
            worker.wake()

    thread = threading.Thread(target=listen, name="wake-pipe", daemon=True)
    thread.start()
    return thread
