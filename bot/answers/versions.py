"""Trained models on disk: `DATA_DIR/models/<version>/` and the `current` pointer.

Each version folder holds `model.npz` (numpy arrays only) and `metrics.json`. `current`
names the version in use; it is replaced atomically (write, fsync, rename), so a reader sees
the old name or the new one, never half of one. A retrain that scores worse than the current
model on the bundled test split is kept in its folder but not made current; `last_train.json`
says so for Health and `groupbot doctor`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bot.answers.model import FORMAT_VERSION, IntentModel

log = logging.getLogger(__name__)

MODELS = "models"
CURRENT = "current"
LAST_TRAIN = "last_train.json"
MODEL_FILE = "model.npz"
METRICS_FILE = "metrics.json"
CHECK_SECONDS = 5.0  # how often a running process looks at `current` (cheap: one stat)


def models_dir(data_dir: Path) -> Path:
    """Where an installation keeps its trained models."""
    return Path(data_dir) / MODELS


def new_version(now: float) -> str:
    """A sortable version name from the time of training."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    return f"{stamp}-{int((now % 1) * 1000):03d}"


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def save_version(data_dir: Path, model: IntentModel, metrics: dict) -> Path:
    """Write a trained model's folder (not yet current); returns it."""
    folder = models_dir(data_dir) / model.version
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    model.save(folder / MODEL_FILE)
    _write_atomically(folder / METRICS_FILE, json.dumps({**metrics, "format_version": FORMAT_VERSION}, indent=1))
    return folder


def make_current(data_dir: Path, version: str) -> None:
    """Point `current` at a saved version, atomically."""
    _write_atomically(models_dir(data_dir) / CURRENT, version + "\n")


def current_version(data_dir: Path) -> str | None:
    """The version in use, or None before the first train."""
    try:
        return (models_dir(data_dir) / CURRENT).read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_metrics(data_dir: Path, version: str) -> dict | None:
    """A version's metrics, or None when it has none readable."""
    try:
        return json.loads((models_dir(data_dir) / version / METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_train(data_dir: Path, outcome: dict) -> None:
    """Remember how the last train ended (used, or kept aside and why)."""
    models_dir(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_atomically(models_dir(data_dir) / LAST_TRAIN, json.dumps(outcome))


def last_train(data_dir: Path) -> dict | None:
    """How the last train ended, or None before any."""
    try:
        return json.loads((models_dir(data_dir) / LAST_TRAIN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def status(data_dir: Path) -> dict:
    """The model in use and how the last train ended, for Health and `groupbot doctor`."""
    version = current_version(data_dir)
    metrics = (read_metrics(data_dir, version) or {}) if version else {}
    return {"version": version, "trained_at": metrics.get("trained_at"),
            "bundled": metrics.get("examples", {}).get("bundled"),
            "learned": metrics.get("examples", {}).get("learned"),
            "last": last_train(data_dir) or {}}


def status_line(data_dir: Path) -> str:
    """One line on the answer model for Health and `groupbot doctor`."""
    version = current_version(data_dir)
    last = last_train(data_dir) or {}
    if version is None:
        said = "no trained model yet: the rules answer until the worker's first train"
    else:
        metrics = read_metrics(data_dir, version) or {}
        examples = metrics.get("examples", {})
        said = (f"model {version} in use, trained on {examples.get('bundled', '?')} bundled and "
                f"{examples.get('learned', '?')} learned examples")
    if last.get("outcome") == "kept_aside":
        said += f"; the retrain {last.get('version')} was kept aside: {last.get('reason')}"
    elif last.get("outcome") == "failed":
        said += f"; the last retrain failed: {last.get('reason')}"
    return said


def kept_aside(data_dir: Path) -> bool:
    """Whether the last retrain was kept aside instead of being used."""
    return (last_train(data_dir) or {}).get("outcome") == "kept_aside"


@dataclass
class ModelSlot:
    """The current model of one process, reloaded within seconds of `current` changing."""

    data_dir: Path
    model: IntentModel | None = None
    _seen: tuple | None = None
    _checked_at: float = float("-inf")

    def get(self) -> IntentModel | None:
        """The current model (None before the first train or when it cannot be read)."""
        now = time.monotonic()
        if now - self._checked_at < CHECK_SECONDS:
            return self.model
        self._checked_at = now
        pointer = models_dir(self.data_dir) / CURRENT
        try:
            stat = pointer.stat()
            seen = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        except OSError:
            self.model, self._seen = None, None
            return None
        if seen != self._seen:
            self._seen = seen
            self.model = self._load()
        return self.model

    def _load(self) -> IntentModel | None:
        version = current_version(self.data_dir)
        if version is None:
            return None
        try:
            return IntentModel.load(models_dir(self.data_dir) / version / MODEL_FILE, version)
        except ValueError as exc:
            log.error("model %s cannot be used (%s); the rules answer until the next train", version, exc)
            return None
