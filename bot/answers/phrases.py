"""Phrase lookup over token sequences, and typo-tolerant mapping of words onto a vocabulary."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from typing import Generic, Hashable, Iterable, TypeVar

from bot.answers.text import phrase_tokens

Label = TypeVar("Label", bound=Hashable)

FUZZY_MIN_LENGTH = 5  # shorter words have too many real neighbours ("visa"/"vida", "casa"/"caso")
# "pemiso"->"permiso" scores 0.92 and "perniso" 0.86; "ciudadano"->"ciudadania" (0.84) stays out.
FUZZY_CUTOFF = 0.85
CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class Hit(Generic[Label]):
    """One phrase found in a token sequence, at tokens[start:end]."""

    label: Label
    start: int
    end: int


def _token_matches(pattern: str, token: str) -> bool:
    return token.startswith(pattern[:-1]) if pattern.endswith("*") else token == pattern


class PhraseSet(Generic[Label]):
    """Phrases compiled for lookup; a word ending in '*' matches any word it begins."""

    def __init__(self, phrases: Iterable[tuple[str, Label]]):
        self._by_first: dict[str, list[tuple[tuple[str, ...], Label]]] = defaultdict(list)
        self._prefix_first: list[tuple[tuple[str, ...], Label]] = []
        self.words: set[str] = set()
        for phrase, label in phrases:
            tokens = phrase_tokens(phrase)
            if not tokens:
                continue
            self.words.update(t for t in tokens if not t.endswith("*"))
            if tokens[0].endswith("*"):
                self._prefix_first.append((tokens, label))
            else:
                self._by_first[tokens[0]].append((tokens, label))

    def find(self, tokens: tuple[str, ...]) -> list[Hit[Label]]:
        """Every occurrence of every phrase, in token order."""
        hits: list[Hit[Label]] = []
        for start, token in enumerate(tokens):
            candidates = self._by_first.get(token, [])
            if self._prefix_first:
                candidates = candidates + [
                    c for c in self._prefix_first if _token_matches(c[0][0], token)
                ]
            for pattern, label in candidates:
                end = start + len(pattern)
                if end <= len(tokens) and all(
                    _token_matches(p, t) for p, t in zip(pattern[1:], tokens[start + 1 : end])
                ):
                    hits.append(Hit(label, start, end))
        return hits

    def labels(self, tokens: tuple[str, ...]) -> set[Label]:
        """The labels of the phrases present."""
        return {hit.label for hit in self.find(tokens)}


class Vocabulary:
    """Maps a misspelt word onto the nearest vocabulary word ("pemiso" -> "permiso").

    Words listed as ``known`` are real words that are never corrected. difflib is enough
    here: the vocabulary is a few hundred words, candidates are bucketed by first letter,
    and each distinct word is looked up once.
    """

    def __init__(self, words: Iterable[str], known: Iterable[str] = ()):
        self.words = frozenset(words)
        self._known = frozenset(known) | self.words
        self._buckets: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.words):
            if len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
                self._buckets[word[0]].append(word)
        self._cache: dict[str, tuple[str, bool]] = {}

    def canonical(self, token: str) -> tuple[str, bool]:
        """The vocabulary word for a token and whether it was corrected."""
        if token in self._known or len(token) < FUZZY_MIN_LENGTH or not token.isalpha():
            return token, False
        found = self._cache.get(token)
        if found is None:
            found = self._lookup(token)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = found
        return found

    def _lookup(self, token: str) -> tuple[str, bool]:
        # A doubled last letter is emphasis ("abogadoo", "porfaa"); other doubles are often
        # real spelling ("carro" is not "caro"), so only the end is collapsed.
        if token[-1] == token[-2] and token[:-1] in self.words:
            return token[:-1], True
        bucket = [w for w in self._buckets.get(token[0], ()) if abs(len(w) - len(token)) <= 2]
        close = difflib.get_close_matches(token, bucket, n=1, cutoff=FUZZY_CUTOFF)
        return (close[0], True) if close else (token, False)
