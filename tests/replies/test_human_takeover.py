"""Human takeover, through the real server and the fake Graph API: a person answering by hand withdraws groupbot's
suggestion, and keeps automated answers away from a Messenger member for HUMAN_TAKEOVER_HOURS."""

from __future__ import annotations

import json
import time

from tests.support.groupbot import query, run_cli, wait_for
from tests.support.replies import (
    comment,
    earn_auto_approval_in,
    message,
    messenger_sends,
    private_replies,
    staff_comment,
    staff_echo,
)

STAFF_TEXT = "Hola Maria, soy Laura de la oficina: le llamamos hoy a las 3pm."


def listed(env: dict, tmp_path, what: str) -> list[dict]:
    shown = run_cli("list", what, "--json", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    return [json.loads(line) for line in shown.stdout.splitlines()]


def reply_rows(env: dict) -> list[tuple]:
    return query(env, "SELECT q.id, r.status, r.error, q.external_id FROM replies r JOIN questions q"
                      " ON q.id = r.question_id ORDER BY r.id")


def test_a_page_reply_under_comment_444_701_leaves_its_suggestion_no_longer_approvable(tmp_path, fake, live_env,
                                                                                        groupbot_server):
    env = live_env(tmp_path / "var", fake, None)
    server = groupbot_server(tmp_path, env)
    try:
        server.post_delivery(comment("hola, cual es su numero de telefono?", comment_id="444_701"),
                             secret=fake.app_secret)
        [(question_id, status, _, _)] = wait_for(lambda: reply_rows(env))
        assert status == "pending"

        server.post_delivery(staff_comment(STAFF_TEXT, under="444_701", comment_id="444_702"), secret=fake.app_secret)
        wait_for(lambda: reply_rows(env)[0][1] == "cancelled")

        refused = run_cli("approve", str(question_id), env=env, cwd=tmp_path)
        time.sleep(0.5)  # a worker pass: nothing may be sent after the refusal either
    finally:
        server.stop()

    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert f"question {question_id}'s reply is cancelled" in line and "answered by staff" in line
    [question] = listed(env, tmp_path, "questions")
    assert question["staff_reply"] == STAFF_TEXT and question["staff_reply_at"]
    assert question["reply_status"] == "cancelled"
    assert "(answered by staff)" in run_cli("list", "questions", env=env, cwd=tmp_path).stdout
    assert private_replies(fake) == [] and fake.comment_replies == []


def test_groupbots_own_public_reply_coming_back_is_not_taken_for_staff(tmp_path, fake, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, None, AUTO_APPROVE_INTENTS="contact", AUTO_APPROVE_MIN_CONFIDENCE="0")
    earn_auto_approval_in(env, "contact")
    delivery = comment("What is your phone number?")
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    fake.add_comment(comment_id)
    server = groupbot_server(tmp_path, env)
    try:
        server.post_delivery(delivery, secret=fake.app_secret)
        wait_for(lambda: reply_rows(env) and reply_rows(env)[0][1] == "sent", timeout=20)
        [sent_id] = query(env, "SELECT message_id FROM replies")[0]
        server.post_delivery(staff_comment("Automated reply ...", under=comment_id, comment_id=sent_id),
                             secret=fake.app_secret)
        wait_for(lambda: query(env, "SELECT count(*) FROM deliveries WHERE status = 'parsed'") == [(2,)])
    finally:
        server.stop()

    [question] = listed(env, tmp_path, "questions")
    assert question["staff_reply"] is None and question["reply_status"] == "sent"


def test_a_staff_inbox_echo_to_member_7801_stops_an_automated_answer_to_their_next_message(tmp_path, fake, live_env,
                                                                                           groupbot_server):
    env = live_env(tmp_path / "var", fake, None, AUTO_APPROVE_INTENTS="contact", AUTO_APPROVE_MIN_CONFIDENCE="0")
    earn_auto_approval_in(env, "contact")
    fake.user_messaged("7801")
    fake.user_messaged("7802")
    server = groupbot_server(tmp_path, env)
    try:
        server.post_delivery(staff_echo("Hola! Soy Laura, le ayudo por aqui.", to="7801"), secret=fake.app_secret)
        wait_for(lambda: query(env, "SELECT count(*) FROM human_takeovers") == [(1,)])
        server.post_delivery(message("cual es su numero de telefono?", sender="7801"), secret=fake.app_secret)
        # Another member asking the same is still answered automatically: only 7801 is taken over.
        server.post_delivery(message("cual es su numero de telefono?", sender="7802"), secret=fake.app_secret)
        wait_for(lambda: [m["recipient_id"] for m in messenger_sends(fake)] == ["7802"], timeout=20)
        wait_for(lambda: len(reply_rows(env)) == 2)
        time.sleep(0.5)  # a few worker passes: nothing may go to 7801 meanwhile
    finally:
        server.stop()

    assert [m["recipient_id"] for m in messenger_sends(fake)] == ["7802"]
    replies = listed(env, tmp_path, "replies")
    [held] = [r for r in replies if r["status"] == "pending"]
    assert held["automated"] is False and not held["text"].startswith("Automated reply")
    assert held["human_takeover"]["by"] == "the Page inbox"
    assert held["human_takeover"]["message"] == "a person is talking to this member"
    [sent] = [r for r in replies if r["status"] == "sent"]
    assert sent["human_takeover"] is None
    questions = {q["author_id"]: q for q in listed(env, tmp_path, "questions")}
    assert questions["7801"]["human_takeover"]["by"] == "the Page inbox"
    assert questions["7802"]["human_takeover"] is None
    line = run_cli("list", "questions", env=env, cwd=tmp_path).stdout
    assert "a person is talking to this member" in line


def test_an_inbox_echo_withdraws_the_members_pending_suggestion_and_approve_says_why(tmp_path, fake, live_env,
                                                                                    groupbot_server):
    env = live_env(tmp_path / "var", fake, None)
    fake.user_messaged("7801")
    server = groupbot_server(tmp_path, env)
    try:
        server.post_delivery(message("How much is a consultation?", sender="7801"), secret=fake.app_secret)
        [(question_id, status, _, _)] = wait_for(lambda: reply_rows(env))
        assert status == "pending"
        server.post_delivery(staff_echo("I'll call you in 5 minutes", to="7801", sender_name="Laura Gomez"),
                             secret=fake.app_secret)
        wait_for(lambda: reply_rows(env)[0][1] == "cancelled")
        refused = run_cli("approve", str(question_id), env=env, cwd=tmp_path)
    finally:
        server.stop()

    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "a person is talking to this member" in refused.stderr
    [reply] = listed(env, tmp_path, "replies")
    assert reply["status"] == "cancelled" and reply["human_takeover"]["by"] == "Laura Gomez"
    assert messenger_sends(fake) == []


def test_the_takeover_window_runs_from_the_staff_echo_not_the_members_follow_up(tmp_path, fake, live_env,
                                                                               groupbot_server):
    env = live_env(tmp_path / "var", fake, None, AUTO_APPROVE_INTENTS="contact", AUTO_APPROVE_MIN_CONFIDENCE="0", HUMAN_TAKEOVER_HOURS="1")
    earn_auto_approval_in(env, "contact")
    now = time.time()
    echoed_at = int(now - 1800)
    fake.user_messaged("7801")
    fake.user_messaged("7803")
    server = groupbot_server(tmp_path, env)
    try:
        server.post_delivery(staff_echo("Le escribo en un momento", to="7801", at=echoed_at), secret=fake.app_secret)
        # 7803 was answered by a person two hours ago: with HUMAN_TAKEOVER_HOURS=1 automation is back.
        server.post_delivery(staff_echo("Gracias!", to="7803", at=now - 7200), secret=fake.app_secret)
        server.post_delivery(message("gracias, y cual es su numero?", sender="7801"), secret=fake.app_secret)
        server.post_delivery(message("cual es su numero?", sender="7803"), secret=fake.app_secret)
        wait_for(lambda: [m["recipient_id"] for m in messenger_sends(fake)] == ["7803"], timeout=20)
        wait_for(lambda: len(reply_rows(env)) == 2)
    finally:
        server.stop()

    [held] = [r for r in listed(env, tmp_path, "replies") if r["status"] == "pending"]
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(echoed_at + 3600))
    assert held["human_takeover"]["until"].replace("+00:00", "Z") == until
    assert [m["recipient_id"] for m in messenger_sends(fake)] == ["7803"]


def test_echoes_of_groupbots_own_sends_take_nothing_over(tmp_path, fake, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, None, AUTO_APPROVE_INTENTS="contact", AUTO_APPROVE_MIN_CONFIDENCE="0")
    earn_auto_approval_in(env, "contact")
    fake.user_messaged("7802")
    server = groupbot_server(tmp_path, env)
    try:
        server.post_delivery(message("cual es su numero?", sender="7802"), secret=fake.app_secret)
        [sent] = wait_for(lambda: messenger_sends(fake), timeout=20)
        server.post_delivery(message(sent["text"], sender="7802", echo_metadata=sent["metadata"]),
                             secret=fake.app_secret)
        # An echo from groupbot's own app without metadata (sent another way) is not a person either.
        server.post_delivery(staff_echo("hi", to="7802", app_id=int(fake.app_id)), secret=fake.app_secret)
        wait_for(lambda: query(env, "SELECT count(*) FROM deliveries WHERE status = 'parsed'") == [(3,)])
    finally:
        server.stop()

    assert query(env, "SELECT count(*) FROM human_takeovers") == [(0,)]
    assert [r["human_takeover"] for r in listed(env, tmp_path, "replies")] == [None]


def test_what_staff_wrote_and_who_talked_to_a_member_are_purged_with_member_text(tmp_path, fake, make_desk):
    from bot.ops.retention import purge_old_text

    desk = make_desk(tmp_path, fake)
    desk.deliver(comment("cual es su numero?", comment_id="444_801"), staff_echo("hola", to="7801"))
    desk.step()
    desk.deliver(staff_comment(STAFF_TEXT, under="444_801"))
    desk.step()
    [asked] = desk.store.questions.triaged()
    assert asked.staff_reply == STAFF_TEXT and desk.store.takeovers.active("7801", time.time())

    purge_old_text(desk.store, desk.settings.retention_days, time.time() + 91 * 86400)

    [asked] = desk.store.questions.triaged()
    assert asked.staff_reply == "" and asked.reply_status == "cancelled"
    assert desk.store.conn.execute("SELECT count(*) FROM human_takeovers").fetchone()[0] == 0
