"""FAQ matcher quality and speed on the held-out labelled message sets.

Prints, per intent and per member language: how many messages, precision of the answers
given, recall of the questions asked, and how often a message that needs no reply got one;
then language-detection accuracy and messages matched per second (the sensitive-data and
urgency checks timed alongside, as the pipeline runs them).

    python benchmarks/matcher.py [--set fresh|eval|all] [--data FILE.jsonl] [--messages 10000]

`eval` is the held-out set; `fresh` was written later, before the matcher was tuned to it,
and is the closer estimate for messages nobody has seen; `all` prints both (the default).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from bot.answers.guard import find_sensitive, is_urgent
from bot.answers.loading import load_knowledge_base
from bot.answers.matcher import FaqMatcher

NO_REPLY = "(no reply)"
DATA = Path(__file__).resolve().parent.parent / "bot" / "answers" / "data"
SETS = {"eval": ["messages_eval.jsonl"], "fresh": ["messages_fresh.jsonl"]}
SETS["all"] = SETS["fresh"] + SETS["eval"]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="all", dest="which")
    parser.add_argument("--data", type=Path, help="a labelled .jsonl file instead of --set")
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    paths = [args.data] if args.data else [DATA / name for name in SETS[args.which]]
    matcher = FaqMatcher(load_knowledge_base())
    texts: list[str] = []
    for path in paths:
        rows = read_rows(path)
        print(f"{path.name}: {len(rows)} labelled messages\n")
        quality(matcher, rows)
        print()
        texts.extend(row["text"] for row in rows)
    speed(matcher, texts, args.messages)


def read_rows(path: Path) -> list[dict]:
    """Labelled messages of a .jsonl file; fails with OSError or ValueError on a bad file."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


if __name__ == "__main__":
    main()
