"""``groupbot train``: retrain the answer model now and print what cross-validation measured."""

from __future__ import annotations

import argparse
import json

from bot.answers.knowledge import FaqFileError
from bot.answers.loading import load_knowledge_base
from bot.cli.common import CommandFailed, add_command, open_store
from bot.config import Settings


def register(commands) -> None:
    train = add_command(commands, "train", cmd_train,
                        "retrain the answer model from the bundled messages and the admins' decisions, and print "
                        "its cross-validated figures")
    train.add_argument("--json", action="store_true", help="print the outcome and metrics as one JSON object")


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    """Train, version the model in DATA_DIR/models, and report."""
    from bot.answers.retrain import retrain
    from bot.answers.training import format_report
    try:
        intents = load_knowledge_base(settings.faq_file or None).intents
    except FaqFileError as exc:
        raise CommandFailed(str(exc)) from None
    store = open_store(settings)
    try:
        outcome = retrain(settings.data_dir, store, known_intents=intents)
    finally:
        store.close()
    if args.json:
        print(json.dumps(outcome, ensure_ascii=False))
        return 0
    print(format_report(outcome["metrics"]))
    print()
    if outcome["outcome"] == "used":
        print(f"model {outcome['version']} is now in use (the worker, `groupbot answer` and the dashboard load it "
              "within a minute)")
    else:
        print(f"model {outcome['version']} is kept aside, not used: {outcome['reason']}")
    return 0
