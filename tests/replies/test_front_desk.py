"""The front desk: what waits for a person, answering by hand, one number per member message, the disclaimer kept.

Each test runs groupbot's reply pipeline on a real database against the fake Graph API (or `groupbot serve` for
real), and checks what a member receives or what an admin sees.
"""

from __future__ import annotations

import json
import time

import pytest

from bot.answers.responder import Responder
from bot.replies.moderation import hide_comment
from bot.replies.review import ReplyError, answer_by_hand, approve_question, dismiss_question, reject_question
from tests.support.groupbot import query, run_cli, wait_for
from tests.support.replies import comment, message, messenger_sends, private_replies

DISCLAIMER_EN = "General information, not legal advice."
DISCLAIMER_ES = "Información general, no es asesoría legal."
PSID = "7770001"


@pytest.fixture
def desk(tmp_path, fake, make_desk):
    return make_desk(tmp_path, fake)


def disclaimers(desk) -> dict[str, str]:
    return Responder.from_settings(desk.settings).disclaimers()


def question_of(desk, text: str):
    [(question_id,)] = desk.store.conn.execute("SELECT id FROM questions WHERE text = ?", (text,)).fetchall()
    return desk.store.questions.get(question_id)


def waiting_ids(desk) -> list[int]:
    return [item.question_id for item in desk.store.dashboard.queue_items("pending", 0.0).rows]


def test_a_group_comment_no_suggestion_fits_waits_and_is_answered_by_hand_with_the_disclaimer(desk, fake):
    text = "do you also handle DUI cases?"
    delivery = comment(text, field="group_feed")
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    desk.deliver(delivery)
    desk.step()
    question = question_of(desk, text)
    assert (question.intent, question.asks, question.waiting) == (None, True, True)
    assert waiting_ids(desk) == [question.id] and desk.store.dashboard.queue_counts()["pending"] == 1

    answer_by_hand(desk.store, question.id, "ana@firm.example", "We do not handle DUI cases, sorry.",
                   disclaimers=disclaimers(desk))
    desk.step()

    [sent] = private_replies(fake)
    assert sent["comment_id"] == comment_id
    assert sent["text"] == f"We do not handle DUI cases, sorry.\n\n{DISCLAIMER_EN}"
    reply = desk.store.replies.of_question(question.id)
    assert (reply.status, reply.origin, reply.approved_by) == ("sent", "hand", "ana@firm.example")
    assert waiting_ids(desk) == [] and desk.store.dashboard.queue_counts()["pending"] == 0
    entry = desk.store.audit.newest()[0]
    assert (entry.action, entry.subject) == ("hand_reply", f"question {question.id}")


def test_a_public_comment_with_an_ssn_waits_until_its_comment_is_hidden(desk, fake):
    text = "mi seguro social es 123-45-6789, gracias por todo"
    delivery = comment(text)
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    fake.add_comment(comment_id)
    desk.deliver(delivery)
    desk.step()
    question = question_of(desk, text)
    assert (question.intent, question.pii, question.waiting) == (None, ["ssn"], True)
    [item] = desk.store.dashboard.queue_items("pending", 0.0).rows
    assert item.question_id == question.id and item.flagged

    hide_comment(desk.store, question.id, "ana@firm.example")
    assert waiting_ids(desk) == []


def test_a_hand_reply_replaces_the_pending_suggestion_in_the_same_row(desk, fake):
    fake.user_messaged(PSID)
    desk.deliver(message("How much is a consultation?", sender=PSID))
    desk.step()
    suggested = desk.only_reply()
    assert (suggested.status, suggested.origin) == ("pending", "suggested")

    answer_by_hand(desk.store, suggested.question_id, "ana@firm.example", "It is $100; call us to book.",
                   disclaimers=disclaimers(desk), add_disclaimer=False)
    desk.step()

    reply = desk.only_reply()
    assert (reply.id, reply.status, reply.origin, reply.channel) == (suggested.id, "sent", "hand", "messenger")
    [sent] = messenger_sends(fake)
    assert sent["text"] == "It is $100; call us to book." and sent["recipient_id"] == PSID
    assert desk.store.audit.newest()[0].detail.endswith("without the disclaimer")


def test_a_hand_answer_in_messenger_after_24_hours_is_refused_and_nothing_is_sent(desk, fake):
    text = "do you also do traffic tickets?"
    desk.deliver(message(text, at=time.time() - 25 * 3600))
    desk.step()
    question = question_of(desk, text)

    with pytest.raises(ReplyError, match=r"24-hour Messenger window closed at .* Meta allows no answer"):
        answer_by_hand(desk.store, question.id, "ana@firm.example", "No, sorry.", disclaimers=disclaimers(desk))
    desk.step()
    assert messenger_sends(fake) == [] and desk.store.replies.of_question(question.id) is None


def test_an_answered_question_cannot_be_answered_again_by_hand(desk, fake):
    desk.deliver(comment("cual es su numero?", field="group_feed"))
    desk.step()
    question_id = desk.only_reply().question_id
    approve_question(desk.store, question_id, "cli")
    with pytest.raises(ReplyError, match=rf"question {question_id} already has a reply \(approved\)"):
        answer_by_hand(desk.store, question_id, "cli", "hola", disclaimers=disclaimers(desk))
    desk.step()
    assert len(private_replies(fake)) == 1


def test_done_no_reply_needed_takes_a_question_out_of_pending_and_is_audited(desk):
    text = "does anyone know if the consulate is open today?"
    desk.deliver(comment(text, field="group_feed"))
    desk.step()
    question = question_of(desk, text)
    assert waiting_ids(desk) == [question.id]

    dismiss_question(desk.store, question.id, "ana@firm.example")

    assert waiting_ids(desk) == [] and desk.store.dashboard.queue_counts()["pending"] == 0
    assert desk.store.questions.get(question.id).dismissed_by == "ana@firm.example"
    assert desk.store.audit.newest()[0].action == "dismiss_question"
    with pytest.raises(ReplyError, match="is not waiting"):
        dismiss_question(desk.store, question.id, "ana@firm.example")


def test_an_edited_suggestion_keeps_the_disclaimer(desk, fake):
    desk.deliver(comment("cual es su numero?", field="group_feed"))
    desk.step()
    question_id = desk.only_reply().question_id

    approve_question(desk.store, question_id, "cli", "Llámenos al 619-569-1768.", disclaimers=disclaimers(desk))
    desk.step()

    [sent] = private_replies(fake)
    assert sent["text"] == f"Llámenos al 619-569-1768.\n\n{DISCLAIMER_ES}"


def test_thanks_and_rejected_suggestions_do_not_wait(desk):
    desk.deliver(comment("gracias, Dios los bendiga", field="group_feed"),
                 comment("cuanto cuesta la consulta?", field="group_feed"))
    desk.step()
    asked = desk.only_reply().question_id
    assert waiting_ids(desk) == [asked]
    reject_question(desk.store, asked, "cli")
    assert waiting_ids(desk) == [] and desk.store.dashboard.queue_counts()["pending"] == 0


def test_the_waiting_count_follows_every_change(desk):
    def counted() -> int:
        real = desk.store.conn.execute("SELECT count(*) FROM questions WHERE waiting = 1").fetchone()[0]
        assert desk.store.dashboard.queue_counts()["pending"] == real == len(waiting_ids(desk))
        return real

    desk.deliver(comment("cuanto cuesta la consulta?", field="group_feed"),
                 comment("do you handle DUI cases?", field="group_feed"),
                 comment("ICE se llevó a mi esposo hoy", field="group_feed"),
                 comment("gracias!", field="group_feed"))
    desk.step()
    assert counted() == 3
    desk.store.dry_run_data.remove()
    assert counted() == 0


def cli_json(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_groupbot_reply_and_approve_take_the_question_id_every_list_shows(tmp_path, fake, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, None)
    server = groupbot_server(tmp_path, env)
    thanks = comment("gracias por la informacion", field="group_feed", author_id="5550001")
    asks = comment("cual es su numero de telefono?", field="group_feed", author_id="5550002")
    dui = comment("do you also handle DUI cases?", field="group_feed", author_id="5550003")
    ids = {name: d["entry"][0]["changes"][0]["value"]["comment_id"] for name, d in
           (("thanks", thanks), ("asks", asks), ("dui", dui))}
    for delivery in (thanks, asks, dui):
        assert server.post_delivery(delivery, secret=fake.app_secret).status_code == 200
    wait_for(lambda: query(env, "SELECT count(*) FROM questions WHERE classified_at IS NOT NULL") == [(3,)])

    listed = {row["external_id"]: row for row in cli_json(run_cli("list", "questions", "--json", env=env,
                                                                    cwd=tmp_path))}
    assert {name: listed[cid]["waiting"] for name, cid in ids.items()} == {"thanks": False, "asks": True,
                                                                          "dui": True}
    [suggested] = cli_json(run_cli("list", "replies", "--json", env=env, cwd=tmp_path))
    # The ids drift: the thanks got no reply, so the first reply belongs to the second question.
    assert suggested["question_id"] == listed[ids["asks"]]["id"] != suggested["id"]

    approved = run_cli("approve", str(suggested["question_id"]), env=env, cwd=tmp_path)
    answered = run_cli("reply", str(listed[ids["dui"]]["id"]), "--text", "No, only immigration cases.", env=env,
                       cwd=tmp_path)
    assert approved.returncode == 0 and answered.returncode == 0, approved.stderr + answered.stderr
    wait_for(lambda: len(private_replies(fake)) == 2, timeout=20)
    server.stop()

    by_comment = {m["comment_id"]: m["text"] for m in private_replies(fake)}
    assert set(by_comment) == {ids["asks"], ids["dui"]}
    assert "619-569-1768" in by_comment[ids["asks"]]
    assert by_comment[ids["dui"]] == f"No, only immigration cases.\n\n{DISCLAIMER_EN}"
    after = cli_json(run_cli("list", "questions", "--json", env=env, cwd=tmp_path))
    assert not any(row["waiting"] for row in after)
    again = run_cli("reply", str(listed[ids["dui"]]["id"]), "--text", "again", env=env, cwd=tmp_path)
    assert (again.returncode, again.stderr.strip()) == (
        1, f"groupbot: question {listed[ids['dui']]['id']} already has a reply (sent); it is answered once")
    refused = run_cli("reply", str(listed[ids["thanks"]]["id"]), "--text", "x" * 2001, env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "2001 characters" in refused.stderr


def test_a_member_who_edits_a_question_the_faq_no_longer_answers_still_waits_for_a_person(desk):
    asked = comment("cuanto cuesta la consulta?", field="group_feed")
    thanked = comment("cual es su numero?", field="group_feed")
    desk.deliver(asked, thanked)
    desk.step()
    assert len(waiting_ids(desk)) == 2

    def edited(delivery, text):
        comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
        return comment(text, field="group_feed", comment_id=comment_id, verb="edited")

    desk.deliver(edited(asked, "do you also handle DUI cases?"), edited(thanked, "ya me llamaron, gracias!"))
    desk.step()

    still = question_of(desk, "do you also handle DUI cases?")
    assert desk.store.replies.of_question(still.id).status == "cancelled"
    assert waiting_ids(desk) == [still.id], "a question the FAQ no longer answers waits; a thank-you does not"
    assert desk.store.dashboard.queue_counts()["pending"] == 1
