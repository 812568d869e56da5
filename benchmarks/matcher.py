"""Answer engine quality, speed and size: the rules (FAQ matcher) and the learned model.

Prints, per intent and per member language: how many messages, precision of the answers
given, recall of the questions asked, and how often a message that needs no reply got one;
then language-detection accuracy and messages matched per second (the sensitive-data and
urgency checks timed alongside, as the pipeline runs them).

With `--model` (the default) it also measures the learned model (`bot/answers/training.py`):

- the test split (`messages_test.jsonl`), scored by the whole responder (rules + model, no
  learned examples) with a model trained on every other bundled set, as `groupbot train`
  trains it: per language and intent, urgency, the reliability table and the kinds of
  mistakes. The test split was first scored on 2026-12-06 (figures in docs/performance.md);
  a later run is no longer a held-out figure once anything was changed in view of it;
- each of eval and fresh on its own, scored by a model trained WITHOUT that set: the model
  alone (a development figure: the model never trained on it, but its classifier and
  thresholds were chosen by cross-validation over it), and the model with the rules (an
  upper bound: the rules were tuned on these sets);
- the cross-validated figures and reliability table of a model trained on every bundled set
  but the test split (development figures);
- messages per second through the whole responder (rules, model, guard) on one core;
- the time to train on 5,000 examples (the bundled messages resampled with noise words);
- the resident memory of `groupbot serve`'s two processes with the model loaded, and again after
  its worker has retrained (in a child process); `--memory` measures only this.

    python benchmarks/matcher.py [--set fresh|eval|test|all] [--data FILE.jsonl] [--messages 10000]
                                 [--no-model] [--compare] [--errors]

`--compare` cross-validates the candidate classifiers that `training.CLASSIFIER` was chosen from.
`eval` is the held-out set; `fresh` was written later, before the matcher was tuned to it;
`test` (800 messages) was written to the labelling guide before the model existed and is never
trained on; `all` prints all three (the default). `--errors` also lists each message of the
test split the responder got wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from bot.answers.guard import find_sensitive, is_urgent
from bot.answers.loading import load_knowledge_base
from bot.answers.matcher import FaqMatcher

NO_REPLY = "(no reply)"
DATA = Path(__file__).resolve().parent.parent / "bot" / "answers" / "data"
TEST_FILE = "messages_test.jsonl"  # never trained on (bot.answers.training.TEST_FILE)
SETS = {"eval": ["messages_eval.jsonl"], "fresh": ["messages_fresh.jsonl"], "test": [TEST_FILE]}
SETS["all"] = SETS["fresh"] + SETS["eval"] + SETS["test"]
TEST_NOTE = ("the test split was first scored on 2026-12-06 (figures in docs/performance.md); a later run is no "
             "longer a held-out figure once anything was changed in view of it")


class Tally:
    """Counts for one row of the table."""

    def __init__(self) -> None:
        self.messages = self.answered = self.right = self.questions = self.found = 0
        self.quiet = self.noise = 0

    def expect(self, expected: str | None, got: str | None) -> None:
        """Count a labelled message for recall and for no-reply noise."""
        self.messages += 1
        if expected is None:
            self.quiet += 1
            self.noise += got is not None
        else:
            self.questions += 1
            self.found += got == expected

    def answer(self, right: bool) -> None:
        """Count an answer given, for precision."""
        self.answered += 1
        self.right += right

    def row(self, label: str) -> str:
        return (f"{label:<18}{self.messages:>6}{_ratio(self.right, self.answered):>11}"
                f"{_ratio(self.found, self.questions):>9}{_ratio(self.noise, self.quiet):>19}")


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "-"


def quality(matcher: FaqMatcher, rows: list[dict]) -> None:
    """Print the per-intent and per-language table for labelled rows."""
    by_intent: dict[str, Tally] = defaultdict(Tally)
    by_language: dict[str, Tally] = defaultdict(Tally)
    overall, language_right = Tally(), 0
    for row in rows:
        found = matcher.match(row["text"])
        language_right += found.language == row["language"]
        expected, got = row["intent"], found.intent
        by_intent[expected or NO_REPLY].expect(expected, got)
        for tally in (by_language[row["language"]], overall):
            tally.expect(expected, got)
            if got is not None:
                tally.answer(got == expected)
        if got is not None:  # precision per intent: of the answers given with it
            by_intent[got].answer(got == expected)
    header = f"{'':<18}{'msgs':>6}{'precision':>11}{'recall':>9}{'no-reply answered':>19}"
    print(header)
    print("-" * len(header))
    for name in [*matcher.kb.intents, NO_REPLY]:
        if name in by_intent:
            print(by_intent[name].row(name))
    print("-" * len(header))
    for language in ("en", "es", "mixed"):
        print(by_language[language].row(f"language {language}"))
    print("-" * len(header))
    print(overall.row("all"))
    accuracy = _ratio(language_right, len(rows))
    print(f"\nlanguage detected right: {accuracy} of {len(rows)} messages")


def speed(matcher: FaqMatcher, texts: list[str], count: int) -> None:
    """Print messages per second for the matcher alone and with the guard checks."""
    batch = [f"{texts[i % len(texts)]} {i}" for i in range(count)]  # unique: no cache hits
    for label, work in (
        ("match()", matcher.match),
        ("match() + find_sensitive() + is_urgent()",
         lambda text: (matcher.match(text), find_sensitive(text), is_urgent(text))),
    ):
        started = time.perf_counter()
        for text in batch:
            work(text)
        elapsed = time.perf_counter() - started
        rate = count / elapsed
        print(f"{label:<44}{rate:>10,.0f} msgs/s  ({count:,} messages, {elapsed:.2f} s)")


def model_sets(names: list[str]) -> None:
    """Each held-out set scored by a model that never saw it: alone, and with the rules."""
    from bot.answers.combine import decide
    from bot.answers.training import bundled_rows, train

    everything = bundled_rows()
    for name in names:
        held = [r for r in everything if r.origin_file == name]
        rest = [r for r in everything if r.origin_file != name]
        trained = train(rest, version=f"without-{name}").model
        print(f"{name}: {len(held)} messages, model trained on the {len(rest)} others\n")
        for label, rules_on in (("model alone (a development figure: the model never trained on this set, but its "
                                 "classifier and thresholds were chosen by cross-validation over it)", False),
                                ("model + rules (upper bound: the rules were tuned on this set)", True)):
            verdicts = []
            for row in held:
                found = MATCHER.match(row.text)
                verdicts.append(decide(
                    trained.scores(row.text), rule_intent=found.intent if rules_on else None,
                    rule_confidence=found.confidence, rule_urgent=rules_on and is_urgent(row.text),
                    known_intents=MATCHER.kb.intents, answer_threshold=trained.answer_threshold,
                    urgent_threshold=trained.urgent_threshold, strong_rule_accuracy=trained.strong_rule_accuracy))
            print(label)
            print_quality(held, verdicts)
            print()


def test_split(*, list_errors: bool = False) -> None:
    """The test split scored by the whole responder (rules + model, no learned examples), with a model trained on
    every other bundled set as `groupbot train` trains it."""
    from bot.answers import versions
    from bot.answers.combine import Verdict
    from bot.answers.responder import Responder, reply_values
    from bot.answers.training import bundled_rows, reliability, test_rows, train
    from bot.config import Settings

    rows = test_rows()
    training = bundled_rows()
    assert not {r.origin_file for r in training} & {TEST_FILE}, "the test split must never be trained on"
    trained = train(training, test=rows, version="without-test")
    print(f"{TEST_FILE}: {len(rows)} messages, scored by the responder (rules + model, no learned examples); the "
          f"model was trained on the {len(training)} messages of the other bundled sets")
    print(f"NOTE: {TEST_NOTE}\n")
    work = Path(tempfile.mkdtemp(prefix="groupbot-test-split-"))
    try:
        _install(work, trained)
        settings = Settings.from_env({"DATA_DIR": str(work)}, env_file=None)
        responder = Responder(MATCHER.kb, reply_values(settings), models=versions.ModelSlot(work))
        answers = [responder.answer(row.text) for row in rows]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    verdicts = [Verdict(a.intent, a.confidence, a.urgent, "responder") for a in answers]
    print_quality(rows, verdicts)
    right = sum(v.intent == r.intent for r, v in zip(rows, verdicts))
    print(f"\naccuracy of the whole verdict (no reply included): {_ratio(right, len(rows))} ({right} of {len(rows)}); "
          f"as `groupbot train` scores it: {trained.metrics['test']['accuracy']:.3f}")
    print("\nreliability of the answers given on the test split")
    print(f"{'confidence':<12}{'answers':>8}{'mean conf':>11}{'share right':>13}")
    for line in reliability(rows, verdicts):
        mean = "-" if line["mean_confidence"] is None else f"{line['mean_confidence']:.3f}"
        share = "-" if line["accuracy"] is None else f"{line['accuracy']:.3f}"
        print(f"{line['bin']:<12}{line['answers']:>8}{mean:>11}{share:>13}")
    print()
    mistakes(rows, verdicts, list_errors=list_errors)
    print()


def mistakes(rows, verdicts, *, list_errors: bool) -> None:
    """The kinds of mistakes: no-reply messages answered (with which intent), questions missed, intents confused,
    urgency missed and false alarms."""
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    wrong = []
    for row, verdict in zip(rows, verdicts):
        expected, got = row.intent or NO_REPLY, verdict.intent or NO_REPLY
        if expected != got:
            kind = ("no-reply message answered" if row.intent is None else
                    "question left without a reply" if verdict.intent is None else "intent confused")
            kinds[kind][f"{expected} -> {got}"] += 1
            wrong.append((kind, row, verdict))
        if row.urgent != verdict.urgent:
            kind = "urgent message not flagged" if row.urgent else "false alarm (flagged urgent)"
            kinds[kind][f"{expected} ({row.language})"] += 1
            wrong.append((kind, row, verdict))
    print("mistakes on the test split, by kind (expected -> given)")
    for kind in ("no-reply message answered", "question left without a reply", "intent confused",
                 "urgent message not flagged", "false alarm (flagged urgent)"):
        pairs = kinds.get(kind, {})
        print(f"  {kind}: {sum(pairs.values())}")
        for pair, count in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
            print(f"    {count:>3}  {pair}")
    if list_errors:
        print("\neach mistake (language, expected -> given, confidence: text)")
        for kind, row, verdict in wrong:
            print(f"  [{kind}] {row.language} {row.intent or NO_REPLY} -> {verdict.intent or NO_REPLY} "
                  f"{verdict.confidence:.2f}: {row.text}")


def print_quality(rows, verdicts) -> None:
    from bot.answers.training import quality, quality_table
    print("\n".join(quality_table(quality(rows, verdicts))))


def model_report(texts: list[str], count: int) -> None:
    """Cross-validated figures of the model trained on every bundled set, then speed, training time and memory."""
    from bot.answers import versions
    from bot.answers.responder import Responder, reply_values
    from bot.answers.training import bundled_rows, format_report, test_rows, train
    from bot.config import Settings

    rows = bundled_rows()
    trained = train(rows, test=test_rows(), version="benchmark")
    print(format_report(trained.metrics))
    print()
    work = Path(tempfile.mkdtemp(prefix="groupbot-model-"))
    try:
        data_dir = work / "var"
        _install(data_dir, trained)
        settings = Settings.from_env({"DATA_DIR": str(data_dir)}, env_file=None)
        responder = Responder(MATCHER.kb, reply_values(settings), models=versions.ModelSlot(data_dir))
        batch = [f"{texts[i % len(texts)]} {i}" for i in range(count)]
        for label, work_on in (("model.scores()", trained.model.scores), ("Responder.answer() with the model",
                                                                            responder.answer)):
            started = time.process_time()
            for text in batch:
                work_on(text)
            elapsed = time.process_time() - started
            print(f"{label:<44}{count / elapsed:>10,.0f} msgs/s  ({count:,} messages, {elapsed:.2f} s CPU, one core)")
        print()
        training_time(rows)
        print()
        serve_memory(work / "rules-only", work, with_model=False)
        serve_memory(data_dir, work)
        serve_memory_around_a_retrain(_fresh_copy(data_dir, work / "retrain"), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install(data_dir: Path, trained) -> None:
    """Make a freshly trained model the current one in ``data_dir``, as a worker's train would."""
    from bot.answers import versions

    versions.save_version(data_dir, trained.model, trained.metrics)
    versions.make_current(data_dir, trained.model.version)
    # Just trained: the worker's next train is due only after new examples (or a day).
    versions.record_train(data_dir, {"version": trained.model.version, "at": time.time(), "outcome": "used",
                                     "examples_seen": 0})


def memory_report() -> None:
    """Resident memory of `groupbot serve` with a model trained on the bundled messages, around a retrain."""
    from bot.answers import versions
    from bot.answers.training import bundled_rows, train

    trained = train(bundled_rows(), version=versions.new_version(time.time()))
    work = Path(tempfile.mkdtemp(prefix="groupbot-model-"))
    try:
        data_dir = work / "var"
        _install(data_dir, trained)
        serve_memory(work / "rules-only", work, with_model=False)
        serve_memory(data_dir, work)
        serve_memory_around_a_retrain(_fresh_copy(data_dir, work / "retrain"), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def training_time(rows) -> None:
    """Train on 5,000 examples: the bundled messages resampled, each with a noise word, so none repeats."""
    from bot.answers.training import Row, train
    rng = random.Random(0)
    words = [w for r in rows for w in r.text.split()]
    sample = [rng.choice(rows) for _ in range(5000)]
    noisy = [Row(f"{r.text} {rng.choice(words)}", r.intent, r.urgent, r.language) for r in sample]
    started = time.perf_counter()
    trained = train(noisy, version="5000")
    wall = time.perf_counter() - started
    print(f"training on 5,000 examples (the bundled messages resampled with noise words): {wall:.1f} s wall, "
          f"{trained.metrics['classifier']['features']:,} features, with 5-fold cross-validation, calibration and "
          f"the final fit")


def serve_memory(data_dir: Path, work: Path, *, with_model: bool = True) -> None:
    """Resident memory of `groupbot serve` (web process and worker) once both have answered a message, with the
    model loaded (or without one, for comparison)."""
    process, url, login, env = _start_serve(data_dir, work, training=False)
    try:
        _answer_in_both(url, login, env, work, with_model=with_model)
        web, worker = _serve_rss(process.pid)
        label = "with the model loaded" if with_model else "without a model (rules only)"
        print(f"groupbot serve {label}: web process {web / 1024:.0f} MB, worker {worker / 1024:.0f} MB "
              f"resident (VmRSS), {(web + worker) / 1024:.0f} MB together")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def serve_memory_around_a_retrain(data_dir: Path, work: Path) -> None:
    """Resident memory of `groupbot serve` with the model loaded, before and after its worker has retrained (after
    enough new learned examples) and both processes answered with the new model."""
    from bot.answers import versions
    from bot.answers.retrain import RETRAIN_EXAMPLES
    from bot.store import Store

    process, url, login, env = _start_serve(data_dir, work, training=True)
    try:
        _answer_in_both(url, login, env, work, with_model=True)
        before = _serve_rss(process.pid)
        first = versions.current_version(data_dir)
        store = Store(data_dir / "groupbot.db")
        try:
            for n in range(RETRAIN_EXAMPLES):
                store.examples.add(question_id=None, text=f"pregunta de prueba numero {n}", language="es",
                                   suggested="fees", intent="contact", decision="relabelled",
                                   decided_by="benchmark@example-firm.test", now=time.time())
        finally:
            store.close()
        started = time.monotonic()
        while versions.current_version(data_dir) == first:
            if time.monotonic() - started > 900:
                raise RuntimeError("the worker did not retrain within 15 minutes")
            time.sleep(1)
        print(f"the worker retrained {time.monotonic() - started:.0f} s after the examples arrived "
              f"(it checks once a minute)")
        time.sleep(versions.CHECK_SECONDS + 1)  # both processes see the new `current`
        _answer_in_both(url, login, env, work, with_model=True)
        after = _serve_rss(process.pid)
        worker_pid = _children(process.pid)[0]
        maps = Path(f"/proc/{worker_pid}/maps").read_text()
        for label, (web, worker) in (("before a retrain", before), ("after the worker retrained", after)):
            print(f"groupbot serve with the model loaded, {label}: web process {web / 1024:.0f} MB, worker "
                  f"{worker / 1024:.0f} MB resident (VmRSS), {(web + worker) / 1024:.0f} MB together")
        print("scikit-learn or SciPy mapped in the worker:", "/sklearn/" in maps or "/scipy" in maps)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _fresh_copy(data_dir: Path, to: Path) -> Path:
    """A new install with the same models: a fresh dry-run install prints its admin login."""
    shutil.copytree(data_dir / "models", to / "models")
    return to


def _start_serve(data_dir: Path, work: Path, *, training: bool):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("META_", "BLOG_", "DATABASE_", "DRY_RUN"))}
    env.update(DATA_DIR=str(data_dir), MODEL_TRAINING="1" if training else "0", LOG_LEVEL="WARNING",
               PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], cwd=work, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = login = None
    for line in process.stdout:
        if "admin login:" in line:
            login = line.split("admin login:")[1].split("(")[0].strip().split(" / ")
        if "serving on" in line:
            url = line.split("serving on ")[1].split()[0]
        if url and login:
            break
    # Keep reading its output, so that a full pipe never stops it.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, url, login, env


def _answer_in_both(url: str, login: list[str], env: dict, work: Path, *, with_model: bool) -> None:
    """The worker judges a member's message, and the web process answers the dashboard's Try box."""
    import requests

    subprocess.run([sys.executable, "-m", "bot.cli", "simulate", "message", "grin card x matrimonio",
                    "--url", url], cwd=work, env=env, capture_output=True, check=True)
    session = requests.Session()
    token = _csrf(session.get(f"{url}/admin/login").text)
    session.post(f"{url}/admin/login", data={"email": login[0], "password": login[1], "csrf_token": token})
    token = _csrf(session.get(f"{url}/admin/faq").text)
    page = session.post(f"{url}/admin/faq", data={"message": "sitizenship test how hard", "csrf_token": token})
    intent = re.search(r"<dt>Intent</dt><dd>([^<]*)</dd>", page.text).group(1)
    assert intent.startswith("Citizenship") == with_model, f"the Try box said {intent!r}"
    time.sleep(2)  # the worker's pass


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _serve_rss(pid: int) -> tuple[int, int]:
    """Resident kB of serve's web process and of its worker."""
    return _rss(pid), sum(_rss(child) for child in _children(pid))


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def compare() -> None:
    """Cross-validated accuracy and log loss of each candidate classifier on the bundled messages."""
    import numpy as np

    from bot.answers.model import features
    from bot.answers.training import _softmax, bundled_rows, fit_temperature, out_of_fold

    rows = bundled_rows()
    docs = [features(r.text) for r in rows]
    print(f"{'classifier':<22}{'accuracy':>10}{'log loss':>10}{'seconds':>9}")
    for candidate in (("logistic", 5.0), ("logistic", 20.0), ("logistic", 50.0), ("logistic", 100.0),
                      ("svm", 0.3), ("svm", 1.0), ("svm", 2.0), ("svm", 4.0)):
        started = time.perf_counter()
        classes, labels, scores, _ = out_of_fold(rows, docs, candidate)
        truth = np.array([classes.index(label) for label in labels])
        probabilities = _softmax(scores, fit_temperature(scores, truth))
        accuracy = float(np.mean(probabilities.argmax(axis=1) == truth))
        loss = float(-np.mean(np.log(probabilities[np.arange(len(truth)), truth])))
        print(f"{candidate[0] + ' C=' + str(candidate[1]):<22}{accuracy:>10.3f}{loss:>10.3f}"
              f"{time.perf_counter() - started:>9.1f}")


MATCHER = FaqMatcher(load_knowledge_base())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="all", dest="which")
    parser.add_argument("--data", type=Path, help="a labelled .jsonl file instead of --set")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--no-model", action="store_true", help="the rules only")
    parser.add_argument("--compare", action="store_true", help="cross-validate the candidate classifiers")
    parser.add_argument("--errors", action="store_true", help="list each message of the test split got wrong")
    parser.add_argument("--memory", action="store_true", help="only the resident memory of `groupbot serve`")
    args = parser.parse_args()
    if args.compare:
        compare()
        return
    if args.memory:
        memory_report()
        return
    paths = [args.data] if args.data else [DATA / name for name in SETS[args.which]]
    matcher = FaqMatcher(load_knowledge_base())
    print(f"load average (1, 5, 15 min, {os.cpu_count()} CPUs): "
          f"{' / '.join(f'{load:.2f}' for load in os.getloadavg())}\n")
    texts: list[str] = []
    for path in paths:
        rows = read_rows(path)
        label = (f"rules only; {TEST_NOTE}" if path.name == TEST_FILE else
                 "rules only; the rules were tuned on this set, so this is an upper bound")
        print(f"{path.name}: {len(rows)} labelled messages ({label})\n")
        quality(matcher, rows)
        print()
        texts.extend(row["text"] for row in rows)
    speed(matcher, texts, args.messages)
    if not args.no_model:
        print()
        if not args.data:
            names = [path.name for path in paths]
            if TEST_FILE in names:
                test_split(list_errors=args.errors)
            model_sets([name for name in names if name != TEST_FILE])
        model_report(texts, args.messages)
        print(f"\nload average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")


def read_rows(path: Path) -> list[dict]:
    """Labelled messages of a .jsonl file; fails with OSError or ValueError on a bad file."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


if __name__ == "__main__":
    main()
