"""`groupbot answer`, `approve`, `reject` and `list replies` as an admin runs them."""

from __future__ import annotations

import json
import time

import pytest

from bot.config import Settings
from bot.intake.deliveries import process_deliveries
from bot.replies.suggest import Suggester
from bot.store import store_for
from tests.support.groupbot import run_cli
from tests.support.replies import comment, message


@pytest.fixture
def env(tmp_path, base_env):
    return base_env(tmp_path / "var")


def answers(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_answer_json_gives_one_object_per_message_line(env, tmp_path):
    lines = ("cuanto cobran por el caso?\n\nthanks, God bless\n"
             "My husband was detained by ICE today, my A-number is A123456789\n")

    first, chatter, urgent = answers(run_cli("answer", "--json", env=env, cwd=tmp_path, input=lines))

    assert set(first) == {"text", "intent", "confidence", "language", "reply", "pii", "urgent"}
    assert (first["text"], first["intent"], first["language"], first["urgent"]) == (
        "cuanto cobran por el caso?", "fees", "es", False)
    assert first["reply"].endswith("Información general, no es asesoría legal.") and first["confidence"] > 0.5
    assert (chatter["intent"], chatter["reply"], chatter["pii"]) == (None, None, [])
    assert (urgent["intent"], urgent["urgent"], urgent["pii"], urgent["language"]) == (
        "urgent_detention", True, ["a_number"], "en")


def test_answer_with_text_shows_the_reply_and_the_automated_disclosure_when_auto_approved(env, tmp_path):
    env["AUTO_APPROVE_INTENTS"] = "contact"

    result = run_cli("answer", "What is your phone number?", env=env, cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.startswith("intent: contact (")
    assert "Automated reply from Demo Immigration Law Firm." in result.stdout and "619-819-9204" in result.stdout


def test_answer_with_a_broken_faq_file_fails_in_one_line(env, tmp_path):
    broken = tmp_path / "faq.toml"
    broken.write_text("[[intent]]\nname = 'x'\nreply.en = 'call {phone}'\n")
    env["FAQ_FILE"] = str(broken)

    result = run_cli("answer", "--json", "hola", env=env, cwd=tmp_path)

    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and str(broken) in result.stderr


def test_approve_reject_and_list_replies(env, tmp_path):
    settings = Settings.from_env(env, env_file=None)
    store = store_for(settings)
    store.migrate(time.time())
    store.deliveries.insert([(json.dumps(comment("cual es su numero?", field="group_feed")).encode(), 0.0),
                             (json.dumps(message("How much do you charge for a case?")).encode(), 0.0)])
    process_deliveries(store, now=time.time())
    Suggester(settings, store).run(time.time())
    store.close()

    listed = answers(run_cli("list", "replies", "--json", env=env, cwd=tmp_path))
    assert {"id", "question_id", "intent", "channel", "text", "status", "deadline", "sent_at", "error"} <= set(listed[0])
    by_channel = {r["channel"]: r for r in listed}
    assert by_channel["messenger"]["intent"] == "fees" and by_channel["private_reply"]["intent"] == "contact"
    assert all(r["status"] == "pending" and r["deadline"] and r["sent_at"] is None for r in listed)

    approved = run_cli("approve", str(by_channel["private_reply"]["question_id"]), "--text", " Llámenos. ", env=env,
                       cwd=tmp_path)
    rejected = run_cli("reject", str(by_channel["messenger"]["question_id"]), env=env, cwd=tmp_path)
    again = run_cli("reject", str(by_channel["messenger"]["question_id"]), env=env, cwd=tmp_path)
    unknown = run_cli("approve", "999", env=env, cwd=tmp_path)

    assert approved.returncode == 0 and "approved" in approved.stdout
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    assert (again.returncode, again.stderr.strip()) == (
        1, f"groupbot: question {by_channel['messenger']['question_id']}'s reply is rejected, not pending")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "groupbot: there is no question 999")
    after = {r["channel"]: r for r in answers(run_cli("list", "replies", "--json", env=env, cwd=tmp_path))}
    # The edited text keeps the firm's disclaimer, in the member's language.
    assert (after["private_reply"]["status"], after["private_reply"]["text"]) == (
        "approved", "Llámenos.\n\nInformación general, no es asesoría legal.")
    assert after["messenger"]["status"] == "rejected"
