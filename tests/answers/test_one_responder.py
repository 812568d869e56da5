"""One responder: the worker, `groupbot answer` and the dashboard's Try box give every labelled message the same verdict.

Each path is driven as a user meets it: the worker through stored deliveries, the command
line as a subprocess, the Try box through the signed-in dashboard over HTTP.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.accounts.admins import add_admin
from bot.answers.loading import load_knowledge_base
from bot.answers.retrain import retrain
from bot.config import Settings
from bot.intake.deliveries import process_deliveries
from bot.replies.suggest import Suggester
from bot.store import Store, store_for
from tests.support.replies import earn_auto_approval
from webhooks import create_app
from webhooks.admin.faq import LANGUAGE_LABELS
from webhooks.admin.queue import SENSITIVE_LABELS
from webhooks.admin.words import intent_label

DATA = Path(__file__).resolve().parents[2] / "bot" / "answers" / "data"
PAGE_ID = "104000000000001"
EMAIL = "ana@example-firm.test"
PASSWORD = "Mar-Azul 2024 casa"
BOND = "can you help with an immigration bond?"


def labelled_texts() -> list[str]:
    """Every distinct labelled message the project keeps (tune, evaluation and fresh sets)."""
    texts: dict[str, None] = {}
    for path in sorted(DATA.glob("messages_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"] if line.strip() else ""
            if text.strip():  # a blank line is no message to `groupbot answer`
                texts.setdefault(text, None)
    return list(texts)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("META_", "BLOG_", "DATABASE_", "DRY_RUN"))}
    env.update(DATA_DIR=str(data_dir), META_APP_SECRET="test-app-secret", META_VERIFY_TOKEN="test-verify-token",
               META_PAGE_ID=PAGE_ID, AUTO_APPROVE_INTENTS="contact", LOG_LEVEL="WARNING", MODEL_TRAINING="0",
               # The worker's auto-approve gate passes every contact message, as `answer` shows them.
               AUTO_APPROVE_MIN_CONFIDENCE="0")
    return env


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return _env(tmp_path_factory.mktemp("one-responder"))


@pytest.fixture(scope="module")
def model_env(tmp_path_factory) -> dict[str, str]:
    """A data folder whose answer model was trained on the bundled messages."""
    data_dir = tmp_path_factory.mktemp("one-responder-model")
    store = Store(data_dir / "groupbot.db")
    store.migrate(time.time())
    try:
        retrain(data_dir, store)
    finally:
        store.close()
    return _env(data_dir)


def verdict(intent, language, urgent, pii, reply) -> tuple:
    return intent, language, bool(urgent), tuple(sorted(pii)), reply


def worker_verdicts(settings: Settings, texts: list[str]) -> list[tuple]:
    store = store_for(settings)
    store.migrate(time.time())
    try:
        now = time.time()
        earn_auto_approval(store, "contact")
        deliveries = []
        for number, text in enumerate(texts):
            item = {"sender": {"id": f"77{number:05d}"}, "recipient": {"id": PAGE_ID}, "timestamp": int(now * 1000),
                    "message": {"mid": f"m_one_{number}", "text": text}}
            body = {"object": "page", "entry": [{"id": PAGE_ID, "time": int(now * 1000), "messaging": [item]}]}
            deliveries.append((json.dumps(body).encode(), now))
        store.deliveries.insert(deliveries)
        process_deliveries(store, now=now, page_id=PAGE_ID, limit=len(texts))
        suggester = Suggester(settings, store)
        while suggester.run(now):
            pass
        found = []
        for number in range(len(texts)):
            question = store.questions.get(store.questions.id_for(f"m_one_{number}"))
            reply = store.replies.of_question(question.id)
            found.append(verdict(question.intent, question.language, question.urgent, question.pii,
                                 reply.text if reply else None))
        return found
    finally:
        store.close()


def cli_verdicts(env: dict[str, str], texts: list[str]) -> list[tuple]:
    done = subprocess.run([sys.executable, "-m", "bot.cli", "answer", "--json"], input="\n".join(texts) + "\n",
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return [verdict(r["intent"], r["language"], r["urgent"], r["pii"], r["reply"]) for r in rows]


def dashboard_verdicts(settings: Settings, texts: list[str]) -> list[tuple]:
    app = create_app(settings)
    store = app.extensions["groupbot"].store
    add_admin(store, EMAIL, PASSWORD, actor="test")
    client = app.test_client()
    token = _csrf(client.get("/admin/login").text)
    client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    token = _csrf(client.get("/admin/faq").text)  # signing in starts a new session, with its own token
    # The page words what it found; read back into the names the worker stores.
    labels = {str(label): code for code, label in LANGUAGE_LABELS.items()}
    intents = {intent_label(name): name for name in load_knowledge_base(settings.faq_file or None).intents}
    kinds = {str(label): kind for kind, label in SENSITIVE_LABELS.items()}
    found = []
    for text in texts:
        page = client.post("/admin/faq", data={"message": text, "csrf_token": token}).text
        facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page))
        intent = facts["Intent"].split(" (")[0].strip()
        pii = [] if facts["Personal data"] == "none found" else facts["Personal data"].split(", ")
        pii = [kinds.get(label, label.replace(" ", "_")) for label in pii]
        reply = re.search(r"<h3>Reply</h3>\s*<p class=\"reply\">(.*?)</p>", page, re.DOTALL)
        found.append(verdict(None if intent == "none" else intents[intent], labels[html.unescape(facts["Language"])],
                             facts["Urgent"] == "yes", pii,
                             html.unescape(reply.group(1)) if reply else None))
    store.close()
    return found


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_worker_the_command_line_and_the_try_box_agree_on_every_labelled_message(env):
    # The drift this guards against: the Try box once judged this not urgent while the worker did.
    texts = [*labelled_texts(), BOND]
    settings = Settings.from_env(env, env_file=None)

    by_worker = worker_verdicts(settings, texts)
    by_cli = cli_verdicts(env, texts)
    by_dashboard = dashboard_verdicts(settings, texts)

    assert len(texts) > 800
    for text, worker, cli, dashboard in zip(texts, by_worker, by_cli, by_dashboard, strict=True):
        assert worker == cli == dashboard, text
    assert by_dashboard[-1][2] is True


def test_with_a_trained_model_they_still_agree(model_env):
    # Every fourth labelled message (the model and the rules disagree on some), and phrasings only the model knows.
    texts = [*labelled_texts()[::4], "sitizenship test how hard", "grin card x matrimonio", BOND]
    settings = Settings.from_env(model_env, env_file=None)

    by_worker = worker_verdicts(settings, texts)
    by_cli = cli_verdicts(model_env, texts)
    by_dashboard = dashboard_verdicts(settings, texts)

    for text, worker, cli, dashboard in zip(texts, by_worker, by_cli, by_dashboard, strict=True):
        assert worker == cli == dashboard, text
    assert by_worker[-3][0] == "citizenship" and by_worker[-2][0] == "green_card"
    assert by_dashboard[-1][2] is True
