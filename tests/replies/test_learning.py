"""Learning from the admins: every decision kept as a labelled example, relabelling a question, and the
auto-approve gate that only an intent the admins trusted lately may pass."""

from __future__ import annotations

import json
import time

import pytest

from bot.answers.responder import Responder
from bot.config import Settings, SettingsError
from bot.replies.quality import decisions_on
from bot.replies.relabel import relabel_question
from bot.replies.review import ReplyError, approve_reply, edit_reply, reject_reply
from tests.support.groupbot import query, run_cli, wait_for
from tests.support.replies import comment, earn_auto_approval, earn_auto_approval_in, private_replies

SPANISH_CONTACT = "hola, cual es su numero de telefono?"


@pytest.fixture
def desk(tmp_path, fake, make_desk):
    return make_desk(tmp_path, fake)


@pytest.fixture
def make(tmp_path, fake, make_desk):
    return lambda **settings: make_desk(tmp_path, fake, **settings)


def examples(store) -> list[tuple]:
    return [(e.question_id, e.suggested, e.intent, e.decision, e.decided_by) for e in store.examples.after(0)]


def listed_replies(env, cwd) -> list[dict]:
    result = run_cli("list", "replies", "--json", env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# -- relabel, for real: the server, the command line and the fake Graph API ----------------------------------

def test_relabel_from_the_command_line_replaces_the_suggestion_in_spanish_and_approval_sends_it(
        tmp_path, fake, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, None)
    server = groupbot_server(tmp_path, env)
    try:
        assert server.post_delivery(comment(SPANISH_CONTACT, field="group_feed"),
                                    secret=fake.app_secret).status_code == 200
        [(question_id, reply_id)] = wait_for(lambda: query(env, "SELECT question_id, id FROM replies"))
        [before] = listed_replies(env, tmp_path)
        assert (before["intent"], before["language"]) == ("contact", "es")

        relabelled = run_cli("relabel", str(question_id), "fees", env=env, cwd=tmp_path)
        assert relabelled.returncode == 0, relabelled.stderr
        assert f"question {question_id}: it now gets the fees answer" in relabelled.stdout

        [after] = listed_replies(env, tmp_path)
        assert (after["id"], after["intent"], after["status"], after["edited"]) == (reply_id, "fees", "pending", False)
        assert "Nuestros honorarios" in after["text"] and after["text"].endswith("no es asesoría legal.")
        assert after["text"] != before["text"]

        approved = run_cli("approve", str(question_id), env=env, cwd=tmp_path)
        assert approved.returncode == 0, approved.stderr
        wait_for(lambda: query(env, "SELECT status FROM replies") == [("sent",)], timeout=20)
    finally:
        server.stop()

    [sent] = private_replies(fake)
    assert sent["text"] == after["text"]
    # One label for the question: the relabel (approving its new reply adds none).
    assert query(env, "SELECT question_id, suggested, intent, decision, decided_by FROM learned_examples") == [
        (question_id, "contact", "fees", "relabelled", "cli")]
    assert query(env, "SELECT action, subject, detail FROM audit_log WHERE action = 'relabel_question'") == [
        ("relabel_question", f"question {question_id}", "contact -> fees")]


def test_relabel_refusals_are_one_line_and_name_the_valid_intents(desk, tmp_path, base_env):
    desk.deliver(comment(SPANISH_CONTACT, field="group_feed"))
    desk.step()
    reply = desk.only_reply()
    env = {**base_env(tmp_path / "var"), "DATABASE_URL": desk.settings.database_url}

    unknown_intent = run_cli("relabel", str(reply.question_id), "parking", env=env, cwd=tmp_path)
    unknown_question = run_cli("relabel", "999", "fees", env=env, cwd=tmp_path)
    same = run_cli("relabel", str(reply.question_id), "contact", env=env, cwd=tmp_path)
    approve_reply(desk.store, reply.id, "ana@firm.example")
    approved = run_cli("relabel", str(reply.question_id), "none", env=env, cwd=tmp_path)

    assert unknown_intent.returncode == 1 and unknown_intent.stderr.count("\n") == 1
    assert unknown_intent.stderr.startswith("groupbot: unknown intent 'parking'; choose one of asylum, citizenship, ")
    assert "work_permit, or none" in unknown_intent.stderr
    assert unknown_question.stderr == "groupbot: there is no question 999\n"
    assert same.stderr == f"groupbot: question {reply.question_id} already has the reply of contact\n"
    assert approved.returncode == 1 and approved.stderr == (
        f"groupbot: question {reply.question_id}'s reply is approved; only a pending suggestion can be changed\n")
    assert desk.store.replies.get(reply.id).intent == "contact"
    assert examples(desk.store) == [(reply.question_id, "contact", "contact", "approved", "ana@firm.example")]


def test_relabel_to_none_withdraws_the_suggestion_and_a_second_relabel_brings_one_back(desk, fake):
    desk.deliver(comment(SPANISH_CONTACT, field="group_feed"))
    desk.step()
    reply = desk.only_reply()
    responder = Responder.from_settings(desk.settings)

    assert relabel_question(desk.store, responder, reply.question_id, "none", "ana") is None
    desk.step()

    withdrawn = desk.store.replies.get(reply.id)
    assert (withdrawn.status, withdrawn.error) == ("cancelled", "relabelled: no reply needed")
    assert fake.messages == []
    assert examples(desk.store) == [(reply.question_id, "contact", None, "relabelled", "ana")]
    with pytest.raises(ReplyError, match="is cancelled, not pending: relabelled: no reply needed"):
        approve_reply(desk.store, reply.id, "ana")

    # Changing one's mind: the question's one label follows the last decision.
    assert relabel_question(desk.store, responder, reply.question_id, "consultation", "ana") == reply.id
    back = desk.store.replies.get(reply.id)
    assert (back.status, back.intent, back.edited, back.error) == ("pending", "consultation", False, None)
    assert "consulta" in back.text
    assert examples(desk.store) == [(reply.question_id, "contact", "consultation", "relabelled", "ana")]


def test_a_question_without_a_suggestion_gets_one_and_an_urgent_question_stays_urgent(desk, fake):
    desk.deliver(comment("Mi esposo tiene audiencia el lunes y no sabemos que hacer", field="group_feed"),
                 comment("gracias, dios los bendiga", field="group_feed"))
    desk.step()
    urgent = desk.only_reply()
    [chatter] = [q for q in desk.store.questions.triaged() if q.reply_id is None]
    assert urgent.urgent and chatter.status == "no_reply"

    responder = Responder.from_settings(desk.settings)
    relabel_question(desk.store, responder, urgent.question_id, "consultation", "ana")
    new_id = relabel_question(desk.store, responder, chatter.id, "contact", "ana")

    kept = desk.store.replies.get(urgent.id)
    assert (kept.intent, kept.urgent, kept.status) == ("consultation", True, "pending")
    assert desk.store.questions.get(urgent.question_id).urgent
    made = desk.store.replies.get(new_id)
    assert (made.intent, made.status, made.channel, made.language) == ("contact", "pending", "private_reply", "es")
    assert made.deadline == pytest.approx(desk.store.questions.get(chatter.id).event_time + 7 * 86400)
    assert desk.store.questions.get(chatter.id).status == "suggested"
    # Urgent questions still come first.
    assert [r.id for r in desk.store.replies.triaged()][0] == urgent.id
    assert (chatter.id, None, "contact", "relabelled", "ana") in examples(desk.store)


# -- every decision is a label -------------------------------------------------------------------------------

def test_approving_as_suggested_and_after_an_edit_are_labels_and_a_rejection_is_not(desk, tmp_path, base_env):
    desk.deliver(*(comment(text, field="group_feed") for text in (
        SPANISH_CONTACT, "cuanto cobran por un caso de asilo?", "cual es su horario?", "me pueden llamar?")))
    desk.step()
    replies = sorted(desk.store.replies.triaged(), key=lambda r: r.id)
    unchanged, edited_first, rejected, cli_edited = replies
    approve_reply(desk.store, unchanged.id, "ana")
    edit_reply(desk.store, edited_first.id, "ana", "Hola, escríbanos y le explicamos.")
    approve_reply(desk.store, edited_first.id, "luis")
    reject_reply(desk.store, rejected.id, "ana")
    env = {**base_env(tmp_path / "var"), "DATABASE_URL": desk.settings.database_url}
    assert run_cli("approve", str(cli_edited.id), "--text", "Llámenos.", env=env, cwd=tmp_path).returncode == 0

    assert examples(desk.store) == [
        (unchanged.question_id, unchanged.intent, unchanged.intent, "approved", "ana"),
        (edited_first.question_id, edited_first.intent, edited_first.intent, "edited", "luis"),
        (cli_edited.question_id, cli_edited.intent, cli_edited.intent, "edited", "cli"),
    ]
    [first] = desk.store.examples.of_question(unchanged.question_id)
    assert (first.text, first.language) == (SPANISH_CONTACT, "es")


# -- the auto-approve gate ----------------------------------------------------------------------------------

def test_an_auto_approved_intent_without_enough_decisions_waits_and_says_why(make, fake, tmp_path, base_env):
    desk = make(AUTO_APPROVE_INTENTS="contact")
    earn_auto_approval(desk.store, "contact", 12)
    desk.deliver(comment(SPANISH_CONTACT, field="group_feed"))
    desk.step()

    reply = desk.only_reply()
    assert (reply.status, reply.automated) == ("pending", False)
    assert reply.review_reason == "waiting for approval: 12 decisions on contact in 90 days, 30 needed"
    assert not reply.text.startswith("Respuesta automática") and "619-569-1768" in reply.text
    assert fake.messages == []
    env = {**base_env(tmp_path / "var"), "DATABASE_URL": desk.settings.database_url}
    [listed] = listed_replies(env, tmp_path)
    assert listed["review_reason"] == reply.review_reason
    lines = run_cli("list", "replies", env=env, cwd=tmp_path).stdout
    assert "(waiting for approval: 12 decisions on contact in 90 days, 30 needed)" in lines


def test_an_auto_approved_intent_with_30_good_decisions_and_a_sure_match_goes_out(make, fake):
    desk = make(AUTO_APPROVE_INTENTS="contact")
    earn_auto_approval(desk.store, "contact", 30)
    desk.deliver(comment(SPANISH_CONTACT, field="group_feed"))
    desk.step()

    reply = desk.only_reply()
    assert (reply.status, reply.approved_by, reply.review_reason) == ("sent", "auto-approve", None)
    [sent] = private_replies(fake)
    assert sent["text"].startswith("Respuesta automática de Demo Immigration Law Firm.")


def test_a_low_confidence_match_of_an_earned_intent_waits(make, fake):
    desk = make(AUTO_APPROVE_INTENTS="contact")
    earn_auto_approval(desk.store, "contact", 40)
    desk.deliver(comment("como los contacto", field="group_feed"))  # a weak trigger: confidence 0.80
    desk.step()

    reply = desk.only_reply()
    assert (reply.status, reply.intent) == ("pending", "contact")
    assert reply.review_reason == "waiting for approval: confidence 0.80 is below 0.90"
    assert fake.messages == []


def test_edits_relabels_and_rejections_count_against_an_intents_precision(make, fake):
    desk = make(AUTO_APPROVE_INTENTS="contact")
    earn_auto_approval(desk.store, "contact", 29)
    desk.deliver(comment("me pueden llamar?", field="group_feed"))
    desk.step()
    reject_reply(desk.store, desk.only_reply().id, "ana")  # 30 decisions now, 29 approved unchanged: 0.967

    desk.deliver(comment(SPANISH_CONTACT, field="group_feed"))
    desk.step()

    waiting = [r for r in desk.store.replies.triaged() if r.status == "pending"]
    assert [r.review_reason for r in waiting] == [
        "waiting for approval: 29 of 30 suggestions of contact approved unchanged in 90 days (96.7%), 97% needed"]
    decided = decisions_on(desk.store, "contact", time.time())
    assert (decided.approved, decided.edited, decided.relabelled, decided.rejected) == (29, 0, 0, 1)
    desk.store.examples.add(question_id=None, text="x", language="en", suggested="contact", intent="fees",
                            decision="relabelled", decided_by="ana", now=time.time())
    desk.store.examples.add(question_id=None, text="y", language="en", suggested="contact", intent="contact",
                            decision="edited", decided_by="ana", now=time.time())
    decided = decisions_on(desk.store, "contact", time.time())
    assert (decided.total, round(decided.precision, 3)) == (32, round(29 / 32, 3))
    # Decisions older than 90 days no longer count.
    assert decisions_on(desk.store, "contact", time.time() + 91 * 86400).total == 0


def test_the_gate_holds_on_a_real_server_until_the_intent_has_earned_it(tmp_path, fake, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, None, AUTO_APPROVE_INTENTS="contact")
    earn_auto_approval_in(env, "contact", 29)
    server = groupbot_server(tmp_path, env)
    try:
        server.post_delivery(comment(SPANISH_CONTACT, field="group_feed"), secret=fake.app_secret)
        [(status, reason)] = wait_for(lambda: query(env, "SELECT status, review_reason FROM replies"))
    finally:
        server.stop()
    assert (status, reason) == ("pending", "waiting for approval: 29 decisions on contact in 90 days, 30 needed")
    assert private_replies(fake) == []


@pytest.mark.parametrize("value", ["high", "1.5", "-0.1", "nan"])
def test_auto_approve_min_confidence_must_be_a_number_from_0_to_1(tmp_path, base_env, value):
    with pytest.raises(SettingsError, match="^AUTO_APPROVE_MIN_CONFIDENCE must be a number from 0 to 1"):
        Settings.from_env(base_env(tmp_path / "var", AUTO_APPROVE_MIN_CONFIDENCE=value), env_file=None)
    assert Settings.from_env(base_env(tmp_path / "var"), env_file=None).auto_approve_min_confidence == 0.9
