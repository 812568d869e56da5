"""Retraining: `groupbot train`, and the worker's job that retrains on its own.

A retrain learns from the bundled messages and every learned example, saves a new version,
and makes it current unless it scores worse than the current model on the bundled test
split (when that split is present); then it is kept aside, and Health and `doctor` say so.
The worker retrains at its first start when there is no usable model (the rules answer
meanwhile), once a day, and when RETRAIN_EXAMPLES new learned examples have arrived. It
trains in a thread beside its loop, so suggestions and sends never wait for it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from bot.answers import versions
from bot.answers.model import FORMAT_VERSION, IntentModel

log = logging.getLogger(__name__)

RETRAIN_EXAMPLES = 20
RETRAIN_SECONDS = 86400.0
FAILED_RETRY_SECONDS = 3600.0


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


class ModelTrainer:
    """The worker's job: retrain when there is no usable model, after a day, or after enough new examples."""

    def __init__(self, data_dir: Path, store, *, known_intents=None, enabled: bool = True):
        self.data_dir = Path(data_dir)
        self.store = store
        self.known_intents = known_intents
        self.enabled = enabled
        self._thread: threading.Thread | None = None
        self._failed_at = float("-inf")
        self.last_outcome: dict | None = None

    def due(self, now: float) -> str | None:
        """Why a retrain is due now, or None."""
        if now - self._failed_at < FAILED_RETRY_SECONDS:
            return None
        if not usable_model(self.data_dir):
            return "no usable model"
        last = versions.last_train(self.data_dir) or {}
        if self.store.examples.latest_id() - int(last.get("examples_seen") or 0) >= RETRAIN_EXAMPLES:
            return f"{RETRAIN_EXAMPLES} new learned examples"
        if now - float(last.get("at") or 0) >= RETRAIN_SECONDS:
            return "a day since the last train"
        return None

    def run(self, now: float) -> bool:
        """Start a retrain in the background when one is due; never makes the worker wait."""
        if not self.enabled or (self._thread is not None and self._thread.is_alive()):
            return False
        reason = self.due(now)
        if reason is None:
            return False
        log.info("retraining the answer model: %s", reason)
        self._thread = threading.Thread(target=self._train, args=(now,), name="model-trainer", daemon=True)
        self._thread.start()
        return False

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a retrain under way (tests, and a clean stop)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _train(self, now: float) -> None:
        try:
            self.last_outcome = retrain(self.data_dir, self.store, known_intents=self.known_intents, now=now)
        except Exception as exc:
            self._failed_at = now
            log.exception("retraining the answer model failed; the current model stays")
            versions.record_train(self.data_dir, {"version": None, "at": now, "outcome": "failed",
                                                  "reason": exc.__class__.__name__,
                                                  "examples_seen": (versions.last_train(self.data_dir) or {})
                                                  .get("examples_seen", 0)})
