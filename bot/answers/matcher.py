"""Which FAQ intent, if any, answers a member's message."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.answers import guard
from bot.answers.knowledge import PRIORITY_CLASSES, KnowledgeBase
from bot.answers.language import ENGLISH, SPANISH, detect_language
from bot.answers.phrases import Hit, PhraseSet, Vocabulary
from bot.answers.signals import Signals, clause_of, cue_words, read_signals
from bot.answers.text import Normalized, normalize

URGENT_INTENT = "urgent_detention"
WEAK_MARK = "~"  # a trigger that counts only when no other intent's trigger is present
# Words before a topic that make it background rather than the question: "I have DACA, can I
# get a green card?" asks about the green card.
CONTEXT_WORDS = frozenset(
    "have has had having with through based since tengo tiene tenia tenemos con por desde basado "
    "basada tener soy am years anos while mientras employer empleador patron boss".split()
)
CONTEXT_WINDOW = 3


@dataclass(frozen=True)
class FaqMatch:
    """The intent to answer with (None: give no reply), how sure, and the member's language."""

    intent: str | None
    confidence: float
    language: str  # 'en' | 'es' | 'mixed'


@dataclass(frozen=True)
class _Candidate:
    name: str
    priority: int
    order: int
    score: float
    first: int  # token index of the first trigger: among equals, the topic named first leads


class FaqMatcher:
    """Matches messages against a knowledge base's triggers; precision first."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._order = {name: index for index, name in enumerate(kb.intents)}
        strong, weak, exclude = [], [], []
        for name, intent in kb.intents.items():
            for phrase in (p for phrases in intent.triggers.values() for p in phrases):
                bucket = weak if phrase.startswith(WEAK_MARK) else strong
                bucket.append((phrase.lstrip(WEAK_MARK), name))
            exclude.extend((phrase, name) for phrase in intent.exclude)
        self._strong = PhraseSet(strong)
        self._weak = PhraseSet(weak)
        self._exclude = PhraseSet(exclude)
        vocabulary = self._strong.words | self._weak.words | cue_words()
        self._vocabulary = Vocabulary(vocabulary, known=ENGLISH | SPANISH)

    def match(self, text: str, *, urgent: bool | None = None) -> FaqMatch:
        """The intent for a message, or intent None when no reply should be given; never raises.

        `urgent` is `guard.is_urgent(text)` when the caller has it already (it is the slowest check).
        """
        if not isinstance(text, str):
            text = str(text)
        message = normalize(text)
        tokens, corrected = self._canonical(message.tokens)
        message = replace(message, tokens=tokens)
        language = detect_language(text)
        if URGENT_INTENT in self.kb.intents and (guard.is_urgent(text) if urgent is None else urgent):
            return FaqMatch(URGENT_INTENT, 0.95, language)
        signals = read_signals(message)
        candidates = self._candidates(message, corrected, signals)
        if not candidates or not _wants_reply(message, signals):
            return FaqMatch(None, 0.0, language)
        best = min(candidates, key=lambda c: (c.priority, c.first, c.order))
        confidence = best.score * (1.0 if signals.request == 2 else 0.85)
        return FaqMatch(best.name, round(min(confidence, 0.99), 2), language)

    def _canonical(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[int]]:
        fixed, corrected = [], set()
        for index, token in enumerate(tokens):
            word, was_corrected = self._vocabulary.canonical(token)
            fixed.append(word)
            if was_corrected:
                corrected.add(index)
        return tuple(fixed), frozenset(corrected)

    def _candidates(
        self, message: Normalized, corrected: frozenset[int], signals: Signals
    ) -> list[_Candidate]:
        tokens = message.tokens
        excluded = self._exclude.labels(tokens)
        hits = [h for h in self._strong.find(tokens) if h.label not in excluded]
        if not hits:
            hits = [h for h in self._weak.find(tokens) if h.label not in excluded]
        by_intent: dict[str, list[Hit[str]]] = {}
        for hit in hits:
            by_intent.setdefault(hit.label, []).append(hit)
        candidates = [
            self._candidate(name, found, tokens, corrected) for name, found in by_intent.items()
        ]
        candidates = _drop_unasked(candidates, by_intent, message, signals)
        candidates = _drop_priced(candidates, by_intent, message, signals)
        candidates = _language_of_the_place(candidates, by_intent, message)
        return _drop_background(candidates, by_intent, tokens)

    def _candidate(
        self, name: str, hits: list[Hit[str]], tokens: tuple[str, ...], corrected: frozenset[int]
    ) -> _Candidate:
        def strength(hit: Hit[str]) -> float:
            typo = any(i in corrected for i in range(hit.start, hit.end))
            return (0.8 if typo else 0.9) + 0.02 * min(hit.end - hit.start - 1, 3)

        score = max(strength(h) for h in hits) + 0.02 * min(len(hits) - 1, 3)
        first = min(h.start for h in hits)
        return _Candidate(name, self.kb.intents[name].priority, self._order[name], score, first)


def _drop_background(
    candidates: list[_Candidate],
    hits: dict[str, list[Hit[str]]],
    tokens: tuple[str, ...],
) -> list[_Candidate]:
    """Among same-rank topics, drop those only mentioned as background ("tengo DACA, ...")."""
    kept = []
    for candidate in candidates:
        rivals = [c for c in candidates if c.priority == candidate.priority and c is not candidate]
        background = all(
            CONTEXT_WORDS & set(tokens[max(h.start - CONTEXT_WINDOW, 0) : h.start])
            for h in hits[candidate.name]
        )
        if not (rivals and background):
            kept.append(candidate)
    return kept or candidates


def _drop_priced(
    candidates: list[_Candidate],
    hits: dict[str, list[Hit[str]]],
    message: Normalized,
    signals: Signals,
) -> list[_Candidate]:
    """Drop legal topics named only as the thing being priced (labelling guide, rule 2).

    "What would you charge for a green card case?" asks the price; "¿y por la ciudadanía
    cuánto? tuve un DUI, ¿califico?" also asks about the topic, in a clause with no price word.
    """
    cost = [c for c in candidates if c.priority == PRIORITY_CLASSES["cost"]]
    if not cost or not signals.asking_clauses:
        return candidates
    priced = {clause_of(message, h.start) for c in cost for h in hits[c.name]}
    if not signals.asking_clauses <= priced:
        return candidates
    return [c for c in candidates if c.priority != PRIORITY_CLASSES["legal"]]


def _language_of_the_place(
    candidates: list[_Candidate],
    hits: dict[str, list[Hit[str]]],
    message: Normalized,
) -> list[_Candidate]:
    """A language asked about the consult or the office is one need, not two.

    "¿Hablan español en la oficina?" and "do your lawyers speak Spanish?" ask about the
    language; "do you speak spanish? I want a consultation" asks for both, and the
    consultation ranks first.
    """
    language = [c for c in candidates if c.priority == PRIORITY_CLASSES["language"]]
    if not language:
        return candidates
    spoken = {clause_of(message, h.start) for c in language for h in hits[c.name]}
    place = (PRIORITY_CLASSES["consultation"], PRIORITY_CLASSES["practical"])
    higher = [c for c in candidates if c.priority < PRIORITY_CLASSES["language"]]
    if higher and all(
        c.priority in place and all(clause_of(message, h.start) in spoken for h in hits[c.name])
        for c in higher
    ):
        return [c for c in candidates if c not in higher]
    return candidates


def _drop_unasked(
    candidates: list[_Candidate],
    hits: dict[str, list[Hit[str]]],
    message: Normalized,
    signals: Signals,
) -> list[_Candidate]:
    """Among same-rank topics, drop those named only outside the clauses that ask.

    "I came on a tourist visa ... my question is how long the work permit takes" asks about
    the work permit: the story around a question is background.
    """
    def asked(candidate: _Candidate) -> bool:
        return any(
            clause_of(message, h.start) in signals.asking_clauses for h in hits[candidate.name]
        )

    kept = [
        c for c in candidates
        if asked(c) or not any(r.priority == c.priority and asked(r) for r in candidates)
    ]
    return kept or candidates


def _wants_reply(message: Normalized, signals: Signals) -> bool:
    """Whether the wording asks the firm for something (opinions, thanks, tags and spam do not)."""
    if signals.spam:
        return False
    if signals.peer and not signals.need:
        return False
    if signals.political and not signals.need:
        return False
    if message.mention and not signals.need:
        return False
    if signals.informal_you and not signals.first_person:
        return False
    if signals.social or signals.testimonial:
        return signals.request == 2 and (message.question or signals.need)
    return signals.request >= 1
