"""The start-up checks that need more than the settings layer: the FAQ file, and the intents named in
AUTO_APPROVE_INTENTS.

``bot.config`` is the bottom layer and cannot load the FAQ (that is ``bot.answers``), so these checks
run here, where start-up happens: the command line runs them before every command but ``doctor``
(which reports them instead), and ``webhooks.create_app()`` runs them when it reads the environment
itself (a WSGI server's start).
"""

from __future__ import annotations

import os

from bot.answers.knowledge import FaqFileError, KnowledgeBase
from bot.answers.loading import load_knowledge_base
from bot.config import Settings, SettingsError


def check_faq(settings: Settings) -> KnowledgeBase:
    """The knowledge base these settings answer with; SettingsError naming FAQ_FILE or AUTO_APPROVE_INTENTS."""
    path = settings.faq_file
    if path and not os.path.isfile(path):
        raise SettingsError(f"FAQ_FILE names no file (got {path!r}); leave it empty for the bundled FAQ")
    try:
        kb = load_knowledge_base(path or None)
    except FaqFileError as exc:
        raise SettingsError(f"FAQ_FILE cannot be used: {exc}") from None
    unknown = sorted(settings.auto_approve_intents - set(kb.intents))
    if unknown:
        raise SettingsError(f"AUTO_APPROVE_INTENTS names intents the FAQ does not have: {', '.join(unknown)} "
                            f"(it has {', '.join(kb.intents)})")
    return kb


def check_startup(settings: Settings) -> None:
    """Every start-up check beyond ``Settings.from_env``; raises SettingsError with one line naming the setting."""
    check_faq(settings)
