"""The reply pipeline for real: groupbot as a subprocess, signed deliveries, the fake Graph API, a local SMTP server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from tests.fakes.smtp_sink import SmtpSink
from tests.support.groupbot import query, run_cli, wait_for
from tests.support.replies import comment, earn_auto_approval_in, message, message_requests, private_replies

URGENT_TEXT = "Detuvieron a mi papa hoy en la mañana en su trabajo en San Ysidro, que hacemos? ayuda por favor"


def replies(env: dict) -> list[tuple]:
    return query(env, "SELECT question_id, status, channel FROM replies ORDER BY id")


def test_a_signed_comment_is_answered_once_after_approval_even_when_meta_redelivers(tmp_path, fake, live_env,
                                                                                     groupbot_server):
    env = live_env(tmp_path / "var", fake, None)
    delivery = comment("hola, cual es su numero de telefono?", field="group_feed")
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    with_server = groupbot_server(tmp_path, env)
    try:
        assert with_server.post_delivery(delivery, secret=fake.app_secret).status_code == 200
        assert with_server.post_delivery(delivery, secret=fake.app_secret).status_code == 200
        [(question_id, status, channel)] = wait_for(lambda: replies(env))
        assert (status, channel) == ("pending", "private_reply")

        approved = run_cli("approve", str(question_id), env=env, cwd=tmp_path)
        assert approved.returncode == 0, approved.stderr
        wait_for(lambda: replies(env)[0][1] == "sent")
        assert with_server.post_delivery(delivery, secret=fake.app_secret).status_code == 200
        wait_for(lambda: query(env, "SELECT count(*) FROM deliveries WHERE status = 'parsed'") == [(3,)])
        wait_for(lambda: query(env, "SELECT count(*) FROM outbox_jobs WHERE status != 'sent'") == [(0,)])
    finally:
        with_server.stop()

    [sent] = private_replies(fake)
    assert sent["comment_id"] == comment_id and "619-569-1768" in sent["text"]
    assert len(message_requests(fake)) == 1
    assert query(env, "SELECT count(*) FROM questions") == [(1,)]


def test_a_worker_killed_between_the_send_and_its_commit_does_not_answer_twice(tmp_path, fake, live_env,
                                                                               groupbot_server):
    env = live_env(tmp_path / "var", fake, None, AUTO_APPROVE_INTENTS="contact")
    earn_auto_approval_in(env, "contact")
    server = groupbot_server(tmp_path, env, command="web")
    try:
        assert server.post_delivery(comment("cual es su numero?", field="group_feed"), secret=fake.app_secret).status_code == 200
    finally:
        server.stop()

    crashed = subprocess.run([sys.executable, "-m", "tests.fakes.crash_reply_worker", "worker"], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    assert len(private_replies(fake)) == 1 and replies(env)[0][1] == "sending"

    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: replies(env)[0][1] == "sent", timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    assert len(private_replies(fake)) == 1
    assert len(message_requests(fake)) == 2  # the retry met "already replied"


def test_a_dry_run_server_records_auto_replies_and_emails_urgent_questions(tmp_path, base_env, groupbot_server):
    with SmtpSink() as sink:
        env = base_env(tmp_path / "var", AUTO_APPROVE_INTENTS="contact", ADMIN_EMAILS="maria@firm.example",
                       SMTP_URL=sink.url(), SMTP_FROM="groupbot@firm.example", PUBLIC_URL="https://bot.firm.example")
        earn_auto_approval_in(env, "contact")
        server = groupbot_server(tmp_path, env)
        try:
            server.post_delivery(comment("What is your phone number?", field="group_feed"))
            server.post_delivery(message(URGENT_TEXT))
            [mail] = wait_for(lambda: sink.mails, timeout=20)
            wait_for(lambda: ("sent",) in query(env, "SELECT status FROM replies"))
        finally:
            server.stop()

    assert mail.sender == "groupbot@firm.example" and mail.recipients == ["maria@firm.example"]
    assert "Urgent question #" in mail.subject and "https://bot.firm.example/admin/" in mail.body
    assert "San Ysidro" not in mail.body and "\"Detuvieron a mi papa hoy en …\"" in mail.body
    calls = run_cli("list", "calls", "--json", env=env, cwd=tmp_path)
    # The demo feed's first poll also records its Page posts; the reply is the one message call.
    [call] = [c for c in map(json.loads, calls.stdout.splitlines()) if c["path"].endswith("/messages")]
    assert "comment_id" in call["params"]["recipient"]
    assert call["params"]["message"]["text"].startswith("Automated reply from Demo Immigration Law Firm.")
    listed = [json.loads(line) for line in run_cli("list", "questions", "--json", env=env, cwd=tmp_path).stdout.splitlines()]
    assert [q["urgent"] for q in listed] == [True, False] and listed[0]["intent"] == "urgent_detention"
