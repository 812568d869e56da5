"""Retraining: `groupbot train`, and the worker's job that retrains on its own.

A retrain learns from the bundled messages and every learned example, saves a new version,
and makes it current unless it scores worse than the current model on the bundled test
split (when that split is present); then it is kept aside, and Health and `doctor` say so.
The worker retrains at its first start when there is no usable model (the rules answer
meanwhile), once a day, and when RETRAIN_EXAMPLES new learned examples have arrived. It
trains in a child process (`groupbot train --json`) at a lower CPU priority, so suggestions and
sends never wait for it and the worker never holds scikit-learn in memory; a failed or stuck
train is retried an hour later.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Mapping, Sequence

from bot.answers import versions
from bot.answers.model import FORMAT_VERSION, IntentModel

log = logging.getLogger(__name__)

RETRAIN_EXAMPLES = 20
RETRAIN_SECONDS = 86400.0
FAILED_RETRY_SECONDS = 3600.0
# A train runs for seconds to a few minutes; one past this is stuck, and is killed and retried later.
TRAIN_TIMEOUT_SECONDS = 900.0
STOP_TIMEOUT_SECONDS = 10.0
# How much lower than the worker a training child runs: judging members' messages comes first.
TRAIN_NICENESS = 5


def retrain(data_dir: Path, store, *, known_intents=None, now: float | None = None, data: Path | None = None) -> dict:
    """Train on the bundled data (or the labelled files in `data`) and the learned examples; returns the outcome
    (also kept in `last_train.json`)."""
    from bot.answers import training
    now = time.time() if now is None else now
    data = training.DATA if data is None else Path(data)
    latest = store.examples.latest_id()
    rows = training.bundled_rows(data) + training.learned_rows(store.examples.after(0))
    test = training.test_rows(data)
    version = versions.new_version(now)
    trained = training.train(rows, known_intents=known_intents, test=test, version=version)
    versions.save_version(data_dir, trained.model, trained.metrics)
    outcome = {"version": version, "at": now, "examples_seen": latest, "outcome": "used", "reason": None,
               "metrics": trained.metrics}
    current = versions.current_version(data_dir)
    if test is not None and current is not None:
        previous = _current_model(data_dir, current)
        if previous is not None:
            before = training.score_test(previous, test, known_intents or training._default_kb().intents)["accuracy"]
            after = trained.metrics["test"]["accuracy"]
            if after is not None and before is not None and after < before:
                outcome.update(outcome="kept_aside", score=after, current=current, current_score=before, reason=(
                    f"it scored {after:.3f} on the bundled test split against {before:.3f} for {current}"))
    if outcome["outcome"] == "used":
        versions.make_current(data_dir, version)
    versions.record_train(data_dir, {k: v for k, v in outcome.items() if k != "metrics"})
    log.info("answer model %s trained on %d messages: %s", version, len(rows), outcome["outcome"])
    return outcome


def _current_model(data_dir: Path, version: str) -> IntentModel | None:
    try:
        return IntentModel.load(versions.models_dir(data_dir) / version / versions.MODEL_FILE, version)
    except ValueError:
        return None


def usable_model(data_dir: Path) -> bool:
    """Whether the current model can be used as it is: readable, of this code's format and scikit-learn."""
    version = versions.current_version(data_dir)
    if version is None:
        return False
    metrics = versions.read_metrics(data_dir, version) or {}
    if metrics.get("format_version") != FORMAT_VERSION or metrics.get("sklearn_version") != _sklearn_version():
        return False
    return _current_model(data_dir, version) is not None


def _sklearn_version() -> str | None:
    try:
        from importlib.metadata import version
        return version("scikit-learn")
    except Exception:  # not installed: nothing to compare
        return None


def train_command() -> list[str]:
    """The command line of a retrain in a child process: `groupbot train --json`."""
    return [sys.executable, "-m", "bot.cli", "train", "--json"]


class ModelTrainer:
    """The worker's job: retrain when there is no usable model, after a day, or after enough new examples.

    Each retrain runs `groupbot train --json` in a child process at a lower CPU priority, so the
    worker never imports scikit-learn (tens of MB it would keep for good) and never waits on the
    GIL while the training vectorises; a thread of the worker only waits for the child.
    """

    def __init__(self, data_dir: Path, store, *, enabled: bool = True, command: Sequence[str] | None = None,
                 env: Mapping[str, str] | None = None, timeout: float = TRAIN_TIMEOUT_SECONDS):
        self.data_dir = Path(data_dir)
        self.store = store
        self.enabled = enabled
        self.command = list(command or train_command())
        self.env = None if env is None else dict(env)  # None: the child inherits this process's environment
        self.timeout = timeout
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._failed_at = float("-inf")
        self._usable: tuple | None = None  # the current model's version and file, last found usable
        self.last_outcome: dict | None = None

    def due(self, now: float) -> str | None:
        """Why a retrain is due now, or None."""
        if now - self._failed_at < FAILED_RETRY_SECONDS:
            return None
        if not self._current_model_usable():
            return "no usable model"
        last = versions.last_train(self.data_dir) or {}
        if self.store.examples.latest_id() - int(last.get("examples_seen") or 0) >= RETRAIN_EXAMPLES:
            return f"{RETRAIN_EXAMPLES} new learned examples"
        if now - float(last.get("at") or 0) >= RETRAIN_SECONDS:
            return "a day since the last train"
        return None

    def _current_model_usable(self) -> bool:
        # Loading a model to check it costs memory and CPU: once found usable, it is checked again only
        # when the `current` pointer or the model file changes.
        version = versions.current_version(self.data_dir)
        folder = versions.models_dir(self.data_dir) / str(version)
        try:
            files = [(folder / name).stat() for name in (versions.MODEL_FILE, versions.METRICS_FILE)]
        except OSError:
            return False
        key = (version, *((stat.st_ino, stat.st_mtime_ns, stat.st_size) for stat in files))
        if key == self._usable:
            return True
        usable = usable_model(self.data_dir)
        self._usable = key if usable else None
        return usable

    def run(self, now: float) -> bool:
        """Start a retrain in a child process when one is due; never makes the worker wait."""
        if not self.enabled or self._stopping or (self._thread is not None and self._thread.is_alive()):
            return False
        reason = self.due(now)
        if reason is None:
            return False
        log.info("retraining the answer model in a child process: %s", reason)
        with self._lock:
            if self._stopping:
                return False
            try:
                self._child = subprocess.Popen(self.command, env=self.env, stdin=subprocess.DEVNULL,
                                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            except OSError as exc:
                self._failed(now, f"could not start ({exc.strerror or exc.__class__.__name__})")
                return False
            _lower_priority(self._child.pid)
            self._thread = threading.Thread(target=self._wait_for, args=(self._child, now), name="model-trainer",
                                            daemon=True)
            self._thread.start()
        return False

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a retrain under way (tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Terminate a retrain under way, so that no training child outlives the worker."""
        with self._lock:
            self._stopping = True
            child = self._child
        if child is not None and child.poll() is None:
            log.info("stopping the answer model's training child %d", child.pid)
            child.terminate()
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self._thread is not None:
            self._thread.join(timeout)

    def _wait_for(self, child: subprocess.Popen, now: float) -> None:
        try:
            out, err = child.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            self._failed(now, f"it ran past {self.timeout:.0f} s and was stopped")
            return
        if self._stopping:  # terminated by stop(): no failure, the next start trains again
            return
        if child.returncode != 0:
            last = (err.strip().splitlines() or ["no message"])[-1][:300]
            self._failed(now, f"exit code {child.returncode}: {last}")
            return
        try:
            outcome = json.loads(out.strip().splitlines()[-1])
            if not isinstance(outcome, dict):
                raise ValueError("not an object")
        except (ValueError, IndexError):
            self._failed(now, "its output was not the JSON outcome")
            return
        self.last_outcome = outcome
        log.info("answer model %s trained in a child process: %s", outcome.get("version"), outcome.get("outcome"))

    def _failed(self, now: float, reason: str) -> None:
        self._failed_at = now
        log.error("retraining the answer model failed (%s); the current model stays, retrying in %.0f min",
                  reason, FAILED_RETRY_SECONDS / 60)
        versions.record_train(self.data_dir, {"version": None, "at": now, "outcome": "failed", "reason": reason,
                                              "examples_seen": (versions.last_train(self.data_dir) or {})
                                              .get("examples_seen", 0)})


def _lower_priority(pid: int) -> None:
    # Set from here rather than in the child before exec: a pre-exec hook is unsafe in a process with threads.
    try:
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0) + TRAIN_NICENESS)
    except OSError:  # gone already, or not allowed here: it then shares the processor evenly
        pass
