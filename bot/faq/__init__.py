"""The FAQ: a bilingual knowledge base and the matcher that picks an intent for a message."""

from bot.faq.knowledge import FaqFileError, Intent, KnowledgeBase
from bot.faq.language import detect_language
from bot.faq.loading import load_knowledge_base
from bot.faq.matcher import FaqMatch, FaqMatcher

__all__ = [
    "FaqFileError",
    "FaqMatch",
    "FaqMatcher",
    "Intent",
    "KnowledgeBase",
    "detect_language",
    "load_knowledge_base",
]
