"""Text normalisation shared by the matcher and the knowledge-base loader: pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_CHARS = 8000  # Facebook caps a comment at 8,000 characters; anything past that is noise

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# A friend tag: "@Name" and up to two capitalised words after it ("@Maria Lopez"); any part
# of a longer name left behind is a plain word that matches nothing.
_MENTION = re.compile(r"@[\w.\-]+(?:[ \t]+[A-ZÁÉÍÓÚÑ][\w\-]*){0,2}")
_DIGIT_HYPHEN = re.compile(r"(?<=[a-z0-9])-(?=\d)|(?<=\d)-(?=[a-z])")
_APOSTROPHE = re.compile(r"(?<=[a-z])['’](?=[a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
_CLAUSE_BREAK = re.compile(r"([,.;:!?¿¡\n]+)")
# A form number in the plural ("I-485s", "EADs" stay apart: only letters+digits+s are cut).
_FORM_PLURAL = re.compile(r"^([a-z]{1,2}\d{1,4}[a-z]?)s$")

# Chat shorthand, applied to messages and trigger phrases alike so both meet in one form.
SHORTHAND = {
    "q": "que", "k": "que", "ke": "que", "x": "por", "xq": "porque", "pq": "porque",
    "d": "de", "tmb": "tambien", "tb": "tambien", "ud": "usted", "uds": "ustedes",
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "plis": "please",
    "pliz": "please", "porfis": "porfa", "xfa": "porfa", "xfavor": "porfa", "porfavor": "porfa",
    "thx": "thanks", "tnx": "thanks", "msj": "mensaje", "tel": "telefono", "cel": "celular",
    "wsp": "whatsapp", "wapp": "whatsapp", "im": "i am", "dont": "do not",
    "cant": "can not", "cannot": "can not", "wont": "will not", "pa": "para",
    "whats": "what is", "wheres": "where is", "hows": "how is", "whos": "who is",
    "thats": "that is", "ive": "i have", "youre": "you are", "theyre": "they are",
    # Sound-alike spellings too short for the typo matcher.
    "kiero": "quiero", "kisiera": "quisiera", "kien": "quien", "kuanto": "cuanto",
    "sita": "cita", "sitas": "citas", "aser": "hacer", "ise": "hice",
}


@dataclass(frozen=True)
class Normalized:
    """A message reduced to folded tokens plus the surface cues the folding throws away."""

    tokens: tuple[str, ...]
    question: bool
    mention: bool
    url: bool
    clause_starts: frozenset[int] = frozenset({0})  # token indices that begin a clause
    question_clauses: frozenset[int] = frozenset()  # starts of clauses marked with '?' or '¿'


def fold(text: str) -> str:
    """Lowercase, strip accents and emoji, collapse letter runs ("holaaaa"); never raises."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHE.sub("", _DIGIT_HYPHEN.sub("", text))
    text = _LONG_RUN.sub(r"\1", text)
    return _NON_WORD.sub(" ", text).strip()


def tokenize(folded: str) -> tuple[str, ...]:
    """Split folded text into words, expanding chat shorthand."""
    words: list[str] = []
    for word in folded.split():
        word = _FORM_PLURAL.sub(r"\1", word)
        words.extend(SHORTHAND.get(word, word).split())
    return tuple(words)


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """Tokens of a trigger phrase, folded like a message; a trailing '*' marks a prefix."""
    star = phrase.rstrip().endswith("*")
    tokens = tokenize(fold(phrase))
    if star and tokens:
        tokens = tokens[:-1] + (tokens[-1] + "*",)
    return tokens


def plain_words(text: str) -> list[str]:
    """Folded words without links, tags or shorthand expansion (for telling languages apart)."""
    text = _CONTROL.sub(" ", str(text)[:MAX_CHARS])
    return fold(_MENTION.sub(" ", _URL.sub(" ", text))).split()


def normalize(text: str) -> Normalized:
    """Strip URLs and friend tags, fold and tokenize; noting '?', tags and links."""
    text = _CONTROL.sub(" ", str(text)[:MAX_CHARS])
    url = bool(_URL.search(text))
    text = _URL.sub(" ", text)
    mention = bool(_MENTION.search(text))
    text = _MENTION.sub(" ", text)
    tokens: list[str] = []
    starts, asked = {0}, set()
    pieces = _CLAUSE_BREAK.split(text)  # clause, break, clause, break, ...
    for index in range(0, len(pieces), 2):
        start = len(tokens)
        starts.add(start)
        before = pieces[index - 1] if index else ""
        after = pieces[index + 1] if index + 1 < len(pieces) else ""
        if "?" in after or "¿" in before:
            asked.add(start)
        tokens.extend(tokenize(fold(pieces[index])))
    return Normalized(
        tokens=tuple(tokens),
        question="?" in text or "¿" in text,
        mention=mention,
        url=url,
        clause_starts=frozenset(starts),
        question_clauses=frozenset(asked),
    )

