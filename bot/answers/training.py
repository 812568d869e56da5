"""Training the intent model with scikit-learn, and measuring it by cross-validation.

Training data: every bundled `data/messages_*.jsonl` except `messages_test.jsonl` (the
held-out test split, only ever scored), plus the firm's learned examples. The text goes
through `model.features` (character n-grams 2-5 within words and word n-grams 1-2 of the
normalised text), TF-IDF, then a linear SVM (one against the rest per class); a second,
binary one judges urgency. Probabilities are calibrated on out-of-fold scores: the classes'
by one softmax temperature, urgency by Platt scaling; so answers given with confidence 0.9
are right about 90 % of the time.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from bot.answers import guard
from bot.answers.combine import URGENT_INTENT, decide
from bot.answers.matcher import FaqMatcher
from bot.answers.model import NO_REPLY, IntentModel, Scores, features

DATA = Path(__file__).resolve().parent / "data"
TEST_FILE = "messages_test.jsonl"
FOLDS = 5
SEED = 0
# Chosen by cross-validation on the bundled data (`python benchmarks/matcher.py --compare`).
CLASSIFIER = ("svm", 2.0)
MIN_DF = 1
URGENT_RECALL = 0.95  # the urgency model's threshold is the highest that keeps this recall on its own
TARGET_PRECISION = 0.95  # the answer threshold is the lowest that keeps this precision
THRESHOLDS = (0.0, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
RELIABILITY_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


@dataclass(frozen=True)
class Row:
    """One labelled message; intent None means no reply is right."""

    text: str
    intent: str | None
    urgent: bool
    language: str
    origin: str = "bundled"  # 'bundled' or 'learned'
    origin_file: str = ""


@dataclass
class Trained:
    """A trained model and what cross-validation measured of it."""

    model: IntentModel
    metrics: dict = field(default_factory=dict)


def read_rows(path: Path, origin: str = "bundled") -> list[Row]:
    """The labelled messages of one .jsonl file."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                rows.append(Row(item["text"], item.get("intent"), bool(item.get("urgent")),
                                item.get("language", "es"), origin, path.name))
    return rows


# Every held-out split (the test split, and those written before later rounds of changes) is named so.
HELD_OUT_PREFIX = "messages_test"


def training_files(data: Path = DATA) -> list[Path]:
    """Every bundled labelled file but the held-out splits."""
    return [p for p in sorted(data.glob("messages_*.jsonl")) if not p.name.startswith(HELD_OUT_PREFIX)]


def bundled_rows(data: Path = DATA) -> list[Row]:
    """The bundled training messages."""
    return [row for path in training_files(data) for row in read_rows(path)]


def test_rows(data: Path = DATA) -> list[Row] | None:
    """The held-out test split, or None when it is not bundled."""
    path = data / TEST_FILE
    return read_rows(path) if path.exists() else None


def learned_rows(examples: Iterable) -> list[Row]:
    """The firm's learned examples as training rows (urgent when their intent is)."""
    return [Row(e.text, e.intent, e.intent == URGENT_INTENT, e.language or "es", "learned")
            for e in examples if e.text and e.text.strip()]


def sklearn_version() -> str:
    """The scikit-learn version training uses (recorded with each model)."""
    import sklearn
    return sklearn.__version__


# -- fitting ---------------------------------------------------------------------------------

def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer
    # Documents are given as lists of features already: computed once, reused by every fold.
    return TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=MIN_DF, dtype=np.float64)


def _identity(grams):
    return grams


def _classifier(kind: str, strength: float):
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(C=strength, max_iter=3000)
    from sklearn.svm import LinearSVC
    return LinearSVC(C=strength, max_iter=5000)


def _urgency_classifier():
    # Margins, turned into probabilities by Platt scaling on out-of-fold margins (`platt`).
    from sklearn.svm import LinearSVC
    return LinearSVC(C=1.0, class_weight="balanced")


def platt(margins: np.ndarray, urgent: np.ndarray) -> tuple[float, float]:
    """Slope and offset that turn urgency margins into calibrated probabilities (sigmoid(a * margin + b))."""
    if not 0 < urgent.sum() < len(urgent):
        return 1.0, 0.0
    from sklearn.linear_model import LogisticRegression
    fitted = LogisticRegression(C=1e4, max_iter=1000).fit(margins.reshape(-1, 1), urgent)
    return float(fitted.coef_[0][0]), float(fitted.intercept_[0])


def _fit(docs: list[list[str]], labels: list[str], urgent: np.ndarray, classifier=CLASSIFIER):
    vectorizer = _vectorizer()
    matrix = vectorizer.fit_transform(docs)
    model = _classifier(*classifier).fit(matrix, labels)
    urgency = _urgency_classifier().fit(matrix, urgent) if 0 < urgent.sum() < len(urgent) else None
    return vectorizer, model, urgency


def _raw_scores(vectorizer, model, urgency, docs) -> tuple[np.ndarray, np.ndarray]:
    matrix = vectorizer.transform(docs)
    scores = model.decision_function(matrix)
    urgent = urgency.decision_function(matrix) if urgency is not None else np.full(len(docs), -50.0)
    return scores, urgent


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    logits = scores / temperature
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the log loss of out-of-fold scores."""
    best, best_loss = 1.0, float("inf")
    for temperature in np.exp(np.linspace(np.log(0.05), np.log(20.0), 121)):
        probabilities = _softmax(scores, temperature)
        loss = -np.mean(np.log(np.clip(probabilities[np.arange(len(truth)), truth], 1e-12, None)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def out_of_fold(rows: list[Row], docs: list[list[str]], classifier=CLASSIFIER, folds: int = FOLDS):
    """Out-of-fold class scores and urgency scores, each row scored by a model that never saw it."""
    from sklearn.model_selection import StratifiedKFold
    labels = np.array([r.intent or NO_REPLY for r in rows])
    urgent = np.array([r.urgent for r in rows])
    classes = sorted(set(labels))
    scores = np.zeros((len(rows), len(classes)))
    urgent_scores = np.zeros(len(rows))
    # A class rarer than the folds (a firm's new intent with a few examples) is missing from some folds' training
    # part: those folds score it as impossible, which is what a model without it would do.
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train, held in splitter.split(np.zeros(len(rows)), labels):
        vectorizer, model, urgency = _fit([docs[i] for i in train], list(labels[train]), urgent[train], classifier)
        fold_scores, fold_urgent = _raw_scores(vectorizer, model, urgency, [docs[i] for i in held])
        columns = [classes.index(c) for c in model.classes_]
        held_scores = np.full((len(held), len(classes)), -1e3)
        held_scores[:, columns] = fold_scores if fold_scores.ndim == 2 else np.c_[-fold_scores, fold_scores]
        scores[held] = held_scores
        urgent_scores[held] = fold_urgent
    return classes, labels, scores, urgent_scores


def train(rows: list[Row], *, known_intents=None, test: list[Row] | None = None, version: str = "",
          classifier=CLASSIFIER) -> Trained:
    """Fit the model on every row, calibrate and measure it by cross-validation.

    scikit-learn's warnings (a class with one example, a fit that did not converge) are kept in the metrics
    rather than raised: the model is still usable, and `groupbot train --json` shows them.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trained = _train(rows, known_intents=known_intents, test=test, version=version, classifier=classifier)
    trained.metrics["warnings"] = sorted({str(w.message).splitlines()[0][:200] for w in caught})
    return trained


def _train(rows: list[Row], *, known_intents, test: list[Row] | None, version: str, classifier) -> Trained:
    started = time.perf_counter()
    docs = [features(r.text) for r in rows]
    classes, labels, oof, oof_urgent = out_of_fold(rows, docs, classifier)
    truth = np.array([classes.index(label) for label in labels])
    temperature = fit_temperature(oof, truth)
    probabilities = _softmax(oof, temperature)
    slope, offset = platt(oof_urgent, np.array([r.urgent for r in rows]))
    urgent_probability = 1.0 / (1.0 + np.exp(-np.clip(slope * oof_urgent + offset, -50, 50)))
    urgent_threshold = choose_urgent_threshold(urgent_probability, np.array([r.urgent for r in rows]))
    matcher = FaqMatcher(_default_kb()) if known_intents is None else None
    known = set(known_intents) if known_intents is not None else set(matcher.kb.intents)
    rules = [_rules(r.text) for r in rows]
    oof_scores = [Scores(tuple(classes), probabilities[i], float(urgent_probability[i])) for i in range(len(rows))]
    answer_threshold = choose_answer_threshold(rows, oof_scores, rules, known, urgent_threshold)
    verdicts = [_decide(s, rule, known, answer_threshold, urgent_threshold) for s, rule in zip(oof_scores, rules)]
    # A strong rule hit the model did not back is as sure as such hits were right out of fold.
    strong = [v.intent == r.intent for r, v in zip(rows, verdicts) if v.source == "strong-rule"]
    strong_rule_accuracy = round(float(np.mean(strong)), 3) if strong else 0.9
    verdicts = [_decide(s, rule, known, answer_threshold, urgent_threshold, strong=strong_rule_accuracy)
                for s, rule in zip(oof_scores, rules)]

    vectorizer, model, urgency = _fit(docs, list(labels), np.array([r.urgent for r in rows]), classifier)
    intent_model = _export(vectorizer, model, urgency, temperature, urgent_threshold, answer_threshold, version,
                           (slope, offset))
    intent_model.strong_rule_accuracy = strong_rule_accuracy
    seconds = time.perf_counter() - started
    metrics = {
        "version": version,
        "trained_at": time.time(),
        "training_seconds": round(seconds, 2),
        "sklearn_version": sklearn_version(),
        "classifier": {"kind": classifier[0], "C": classifier[1], "min_df": MIN_DF,
                       "features": len(intent_model.vocabulary)},
        "examples": {"bundled": sum(r.origin == "bundled" for r in rows),
                     "learned": sum(r.origin == "learned" for r in rows),
                     "files": sorted({r.origin_file for r in rows if r.origin_file})},
        "temperature": round(temperature, 4),
        "answer_threshold": answer_threshold,
        "urgent_threshold": round(urgent_threshold, 4),
        "strong_rule_accuracy": strong_rule_accuracy,
        "cross_validation": quality(rows, verdicts),
        "model_only": quality(rows, [_decide(s, (None, 0.0, False), known, answer_threshold, urgent_threshold,
                                             rules_off=True) for s in oof_scores]),
        "rules_only": quality(rows, [_rule_verdict(rule) for rule in rules]),
        "reliability": reliability(rows, verdicts),
        "test": score_test(intent_model, test, known) if test is not None else None,
    }
    return Trained(intent_model, metrics)


def _default_kb():
    from bot.answers.loading import load_knowledge_base
    return load_knowledge_base()


_MATCHER: list[FaqMatcher] = []


def _rules(text: str) -> tuple[str | None, float, bool]:
    """The rules' verdict on a message: intent, confidence, urgency (the bundled knowledge base)."""
    if not _MATCHER:
        _MATCHER.append(FaqMatcher(_default_kb()))
    found = _MATCHER[0].match(text)
    return found.intent, found.confidence, guard.is_urgent(text)


def _decide(scores: Scores, rule, known, answer_threshold, urgent_threshold, *, rules_off: bool = False,
            strong: float | None = None):
    intent, confidence, urgent = rule
    if rules_off:
        intent, confidence, urgent = None, 0.0, False
    return decide(scores, rule_intent=intent, rule_confidence=confidence, rule_urgent=urgent,
                  known_intents=known, answer_threshold=answer_threshold, urgent_threshold=urgent_threshold,
                  strong_rule_accuracy=strong)


def _rule_verdict(rule):
    from bot.answers.combine import Verdict
    intent, confidence, urgent = rule
    return Verdict(intent, confidence, urgent or intent == URGENT_INTENT, "rules")


def choose_urgent_threshold(probability: np.ndarray, urgent: np.ndarray) -> float:
    """The highest threshold at which the urgency model alone still finds URGENT_RECALL of urgent messages."""
    positives = np.sort(probability[urgent])
    if len(positives) == 0:
        return 0.5
    allowed_misses = int(np.floor(len(positives) * (1 - URGENT_RECALL)))
    return float(positives[allowed_misses])


def choose_answer_threshold(rows, scores, rules, known, urgent_threshold) -> float:
    """The lowest threshold at which the model alone reaches TARGET_PRECISION out of fold (else the most precise)."""
    best, best_precision = THRESHOLDS[-1], -1.0
    for threshold in THRESHOLDS:
        # The model alone: the rules were tuned on these messages, so with them every threshold would look right.
        measured = quality(rows, [_decide(s, r, known, threshold, urgent_threshold, rules_off=True)
                                  for s, r in zip(scores, rules)])
        precision = measured["all"]["precision"] or 0.0
        if precision >= TARGET_PRECISION:
            return threshold
        if precision > best_precision:
            best, best_precision = threshold, precision
    return best


def _export(vectorizer, model, urgency, temperature, urgent_threshold, answer_threshold, version,
            urgent_scaling=(1.0, 0.0)) -> IntentModel:
    vocabulary = [None] * len(vectorizer.vocabulary_)
    for gram, index in vectorizer.vocabulary_.items():
        vocabulary[index] = gram
    coef = model.coef_ if model.coef_.shape[0] > 1 else np.vstack([-model.coef_, model.coef_])
    intercept = np.atleast_1d(model.intercept_)
    intercept = intercept if len(intercept) > 1 else np.r_[-intercept, intercept]
    slope, offset = urgent_scaling  # Platt scaling folded into the weights: the model file stays linear
    urgent_coef = slope * urgency.coef_[0] if urgency is not None else np.zeros(coef.shape[1])
    urgent_intercept = slope * float(urgency.intercept_[0]) + offset if urgency is not None else -50.0
    weights = np.hstack([coef.T, urgent_coef[:, None]])
    return IntentModel(classes=[str(c) for c in model.classes_], vocabulary=vocabulary, idf=vectorizer.idf_,
                       weights=weights, intercepts=np.r_[intercept, urgent_intercept], temperature=temperature,
                       urgent_threshold=urgent_threshold, answer_threshold=answer_threshold, version=version)


# -- measuring ---------------------------------------------------------------------------------

def _tally() -> dict:
    return {"messages": 0, "answered": 0, "right": 0, "questions": 0, "found": 0, "quiet": 0, "noise": 0,
            "urgent": 0, "urgent_found": 0, "calm": 0, "false_alarms": 0}


def _count(tally: dict, row: Row, verdict) -> None:
    tally["messages"] += 1
    if verdict.intent is not None:
        tally["answered"] += 1
        tally["right"] += verdict.intent == row.intent
    if row.intent is None:
        tally["quiet"] += 1
        tally["noise"] += verdict.intent is not None
    else:
        tally["questions"] += 1
        tally["found"] += verdict.intent == row.intent
    if row.urgent:
        tally["urgent"] += 1
        tally["urgent_found"] += verdict.urgent
    else:
        tally["calm"] += 1
        tally["false_alarms"] += verdict.urgent


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _summary(tally: dict) -> dict:
    return {**tally, "precision": _ratio(tally["right"], tally["answered"]),
            "recall": _ratio(tally["found"], tally["questions"]),
            "no_reply_answered": _ratio(tally["noise"], tally["quiet"]),
            "urgent_recall": _ratio(tally["urgent_found"], tally["urgent"]),
            "false_alarm_rate": _ratio(tally["false_alarms"], tally["calm"])}


def quality(rows: list[Row], verdicts) -> dict:
    """Precision, recall, replies to no-reply messages and urgency, overall, per language and per intent."""
    overall, languages, intents = _tally(), {}, {}
    for row, verdict in zip(rows, verdicts, strict=True):
        _count(overall, row, verdict)
        _count(languages.setdefault(row.language, _tally()), row, verdict)
    for name in sorted({r.intent or NO_REPLY for r in rows}):
        intents[name] = {"messages": 0, "answered": 0, "right": 0, "found": 0}
    for row, verdict in zip(rows, verdicts):
        expected = row.intent or NO_REPLY
        intents[expected]["messages"] += 1
        intents[expected]["found"] += verdict.intent == row.intent
        if verdict.intent is not None:
            given = intents.setdefault(verdict.intent, {"messages": 0, "answered": 0, "right": 0, "found": 0})
            given["answered"] += 1
            given["right"] += verdict.intent == row.intent
    per_intent = {name: {"messages": t["messages"], "precision": _ratio(t["right"], t["answered"]),
                         "recall": _ratio(t["found"], t["messages"]) if name != NO_REPLY else None,
                         "no_reply_answered": _ratio(t["messages"] - t["found"], t["messages"])
                         if name == NO_REPLY else None}
                  for name, t in intents.items()}
    return {"all": _summary(overall), "languages": {k: _summary(v) for k, v in sorted(languages.items())},
            "intents": per_intent}


def reliability(rows: list[Row], verdicts) -> list[dict]:
    """For answers given, per confidence bin: how many, their mean confidence, and how many were right."""
    table = []
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:]):
        inside = [(v.confidence, v.intent == r.intent) for r, v in zip(rows, verdicts)
                  if v.intent is not None and low <= v.confidence < (high if high < 1.0 else 1.01)]
        table.append({"bin": f"{low:.2f}-{high:.2f}", "answers": len(inside),
                      "mean_confidence": round(float(np.mean([c for c, _ in inside])), 3) if inside else None,
                      "accuracy": round(float(np.mean([ok for _, ok in inside])), 3) if inside else None})
    return table


def score_test(model: IntentModel, rows: list[Row], known) -> dict:
    """The model's score on the held-out test split (accuracy of the whole verdict, and the usual ratios)."""
    verdicts = [decide(model.scores(r.text), rule_intent=i, rule_confidence=c, rule_urgent=u, known_intents=known,
                       answer_threshold=model.answer_threshold, urgent_threshold=model.urgent_threshold,
                       strong_rule_accuracy=model.strong_rule_accuracy)
                for r, (i, c, u) in ((r, _rules(r.text)) for r in rows)]
    measured = quality(rows, verdicts)
    right = sum(v.intent == r.intent for r, v in zip(rows, verdicts))
    return {"messages": len(rows), "accuracy": _ratio(right, len(rows)), **measured["all"]}


def format_report(metrics: dict) -> str:
    """The metrics as the tables `groupbot train` and the benchmark print."""
    lines = []
    cv = metrics["cross_validation"]
    lines.append(f"model {metrics['version']}: {metrics['examples']['bundled']} bundled + "
                 f"{metrics['examples']['learned']} learned examples, {metrics['classifier']['features']} features, "
                 f"trained in {metrics['training_seconds']:.1f} s (scikit-learn {metrics['sklearn_version']})")
    lines.append(f"answer threshold {metrics['answer_threshold']}, urgency threshold "
                 f"{metrics['urgent_threshold']:.3f}, temperature {metrics['temperature']:.3f}")
    lines.append("")
    lines.append(f"cross-validated ({FOLDS} folds) on the training data: development figures, not a test score")
    lines.extend(quality_table(cv))
    lines.append("")
    for label, key in (("model alone", "model_only"), ("rules alone (tuned on these messages: an upper bound)",
                                                        "rules_only")):
        a = metrics[key]["all"]
        lines.append(f"{label}: precision {_fmt(a['precision'])}, recall {_fmt(a['recall'])}, "
                     f"no-reply answered {_fmt(a['no_reply_answered'])}, urgent recall {_fmt(a['urgent_recall'])}")
    lines.append("")
    lines.append("reliability of answers given (cross-validated)")
    lines.append(f"{'confidence':<12}{'answers':>8}{'mean conf':>11}{'accuracy':>10}")
    for row in metrics["reliability"]:
        lines.append(f"{row['bin']:<12}{row['answers']:>8}{_fmt(row['mean_confidence']):>11}{_fmt(row['accuracy']):>10}")
    lines.append("")
    test = metrics.get("test")
    if test is None:
        lines.append(f"test split: {TEST_FILE} is absent, so there is no test score")
    else:
        lines.append(f"test split ({test['messages']} messages): accuracy {_fmt(test['accuracy'])}, precision "
                     f"{_fmt(test['precision'])}, recall {_fmt(test['recall'])}, no-reply answered "
                     f"{_fmt(test['no_reply_answered'])}, urgent recall {_fmt(test['urgent_recall'])}")
    return "\n".join(lines)


def quality_table(measured: dict) -> list[str]:
    """Per intent, per language and overall: precision, recall, no-reply answered, urgency."""
    header = f"{'':<20}{'msgs':>6}{'precision':>11}{'recall':>9}{'no-reply ans.':>15}{'urg. recall':>13}{'false al.':>11}"
    lines = [header, "-" * len(header)]
    for name, t in measured["intents"].items():
        lines.append(f"{name:<20}{t['messages']:>6}{_fmt(t['precision']):>11}{_fmt(t['recall']):>9}"
                     f"{_fmt(t['no_reply_answered']):>15}")
    lines.append("-" * len(header))
    for label, t in [*((f"language {k}", v) for k, v in measured["languages"].items()), ("all", measured["all"])]:
        lines.append(f"{label:<20}{t['messages']:>6}{_fmt(t['precision']):>11}{_fmt(t['recall']):>9}"
                     f"{_fmt(t['no_reply_answered']):>15}{_fmt(t['urgent_recall']):>13}"
                     f"{t['false_alarms']:>5} of {t['calm']:<4}")
    return lines


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"
