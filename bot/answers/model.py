"""The learned intent model at answer time: features, scoring with numpy, and its file format.

Training (``training``) uses scikit-learn; answering does not need it. A trained model is a
vocabulary, IDF weights and the linear models' coefficients, saved as plain numpy arrays, so
a web process scores messages without importing scikit-learn, and no pickle is ever loaded.
The features are computed here, by the same function scikit-learn's vectoriser is given
at training time, so both always agree.
"""

from __future__ import annotations

import math
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answers.text import normalize

FORMAT_VERSION = 1
NO_REPLY = "none"  # the class of messages that want no reply
CHAR_NGRAMS = (2, 5)  # character n-grams inside word boundaries, as scikit-learn's char_wb
WORD_NGRAMS = (1, 2)
WORD_MARK = "\x01"  # keeps word n-grams apart from character n-grams in one vocabulary
# Surface cues the folding throws away, kept as words of their own.
QUESTION_WORD, MENTION_WORD, URL_WORD = "zzquestion", "zzmention", "zzlink"


def model_words(text: str) -> list[str]:
    """The message's words as the rules see them: casefolded, accents stripped, letter runs
    collapsed, shorthand expanded, links and tags replaced by a marker word."""
    message = normalize(str(text))
    words = list(message.tokens)
    if message.question:
        words.append(QUESTION_WORD)
    if message.mention:
        words.append(MENTION_WORD)
    if message.url:
        words.append(URL_WORD)
    return words


def features(text: str) -> list[str]:
    """Character n-grams (2-5, within words) and word n-grams (1-2) of a message."""
    words = model_words(text)
    grams: list[str] = []
    low, high = CHAR_NGRAMS
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    low, high = WORD_NGRAMS
    for n in range(low, high + 1):
        grams.extend(WORD_MARK + " ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return grams


def memory_key(text: str) -> str:
    """A message reduced to what an admin's correction should still recognise: casefolded,
    accents stripped, doubled letters collapsed, punctuation and extra spaces removed."""
    folded = unicodedata.normalize("NFKD", str(text).casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    letters = "".join(ch if ch.isalnum() else " " for ch in folded)
    collapsed = []
    for ch in letters:
        if not (collapsed and ch == collapsed[-1] and ch.isalpha()):
            collapsed.append(ch)
    return " ".join("".join(collapsed).split())


@dataclass(frozen=True)
class Scores:
    """One message's calibrated class probabilities and its probability of being urgent."""

    classes: tuple[str, ...]
    probabilities: np.ndarray
    urgent_probability: float

    def best(self) -> tuple[str, float]:
        """The most likely class and its probability."""
        index = int(np.argmax(self.probabilities))
        return self.classes[index], float(self.probabilities[index])


class IntentModel:
    """A trained model loaded for answering: TF-IDF features times linear weights, softmax with a temperature."""

    def __init__(self, *, classes: list[str], vocabulary: list[str], idf: np.ndarray, weights: np.ndarray,
                 intercepts: np.ndarray, temperature: float, urgent_threshold: float, answer_threshold: float,
                 strong_rule_accuracy: float = 0.9, version: str = ""):
        self.classes = tuple(classes)
        self.index = {gram: number for number, gram in enumerate(vocabulary)}
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float64)
        # One row per feature: the class weights, then the urgency model's weight in the last column.
        self.weights = np.asarray(weights, dtype=np.float32)
        self.intercepts = np.asarray(intercepts, dtype=np.float64)
        self.temperature = float(temperature)
        self.urgent_threshold = float(urgent_threshold)
        self.answer_threshold = float(answer_threshold)
        self.strong_rule_accuracy = float(strong_rule_accuracy)
        self.version = version

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The message's TF-IDF vector as (feature indices, l2-normalised values)."""
        counts = Counter(self.index[g] for g in features(text) if g in self.index)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts))
        values = tf * self.idf[indices]
        return indices, values / np.linalg.norm(values)

    def scores(self, text: str) -> Scores:
        """Calibrated probabilities of every class, and of urgency."""
        indices, values = self.vector(text)
        raw = values @ self.weights[indices] + self.intercepts if len(indices) else self.intercepts.copy()
        logits = raw[:-1] / self.temperature
        logits -= logits.max()
        exp = np.exp(logits)
        urgent = 1.0 / (1.0 + math.exp(-max(min(float(raw[-1]), 50.0), -50.0)))
        return Scores(self.classes, exp / exp.sum(), urgent)

    def save(self, path: Path) -> None:
        """Write the model as a numpy archive (no pickled objects)."""
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle, format_version=np.array(FORMAT_VERSION), classes=np.array(self.classes),
                vocabulary=np.array(self.vocabulary), idf=self.idf, weights=self.weights,
                intercepts=self.intercepts, temperature=np.array(self.temperature),
                urgent_threshold=np.array(self.urgent_threshold),
                answer_threshold=np.array(self.answer_threshold),
                strong_rule_accuracy=np.array(self.strong_rule_accuracy))

    @classmethod
    def load(cls, path: Path, version: str = "") -> "IntentModel":
        """Read a saved model; ValueError when the file is not one this code can use."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                if int(saved["format_version"]) != FORMAT_VERSION:
                    raise ValueError(f"model format {int(saved['format_version'])}, this code reads {FORMAT_VERSION}")
                return cls(classes=[str(c) for c in saved["classes"]],
                           vocabulary=[str(g) for g in saved["vocabulary"]], idf=saved["idf"],
                           weights=saved["weights"], intercepts=saved["intercepts"],
                           temperature=float(saved["temperature"]),
                           urgent_threshold=float(saved["urgent_threshold"]),
                           answer_threshold=float(saved["answer_threshold"]),
                           strong_rule_accuracy=float(saved["strong_rule_accuracy"]), version=version)
        except (OSError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"cannot read the model file: {exc.__class__.__name__}") from None
