"""The worker's responder as the dashboard uses it (FAQ page's Try box, the queue's "Change answer"): the same
knowledge base, trained model and corrections, reloaded when FAQ_FILE changes."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from bot.answers.loading import load_knowledge_base
from bot.answers.memory import Corrections
from bot.answers.responder import Responder, reply_values
from bot.answers.versions import ModelSlot
from bot.config import Settings
from webhooks.services import services


def current_responder(settings: Settings) -> Responder:
    """The worker's responder for these settings, reloaded when the firm's FAQ file changes."""
    path = settings.faq_file
    modified = os.stat(path).st_mtime_ns if path and os.path.exists(path) else 0
    return _load(path or None, modified, tuple(reply_values(settings).items()), settings.auto_approve_intents,
                 str(settings.data_dir), services().store)


@functools.lru_cache(maxsize=4)
def _load(path: str | None, modified: int, values: tuple[tuple[str, str], ...],
          auto_approve: frozenset[str], data_dir: str, store) -> Responder:
    # The model slot picks up a retrained model by itself, and the corrections follow the database.
    return Responder(load_knowledge_base(path), dict(values), auto_approve,
                     models=ModelSlot(Path(data_dir)), corrections=Corrections(store))
