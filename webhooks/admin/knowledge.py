"""The worker's responder as the dashboard uses it (FAQ page, queue's "Change answer"), reloaded when FAQ_FILE changes."""

from __future__ import annotations

import functools
import os

from bot.answers.loading import load_knowledge_base
from bot.answers.responder import Responder, reply_values
from bot.config import Settings


def current_responder(settings: Settings) -> Responder:
    """The worker's responder for these settings, reloaded when the firm's FAQ file changes."""
    path = settings.faq_file
    modified = os.stat(path).st_mtime_ns if path and os.path.exists(path) else 0
    return _load(path or None, modified, tuple(reply_values(settings).items()), settings.auto_approve_intents)


@functools.lru_cache(maxsize=4)
def _load(path: str | None, modified: int, values: tuple[tuple[str, str], ...],
          auto_approve: frozenset[str]) -> Responder:
    return Responder(load_knowledge_base(path), dict(values), auto_approve)
