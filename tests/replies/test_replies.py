"""Answering members, stepped by hand against the fake Graph API: channels, approval, windows, exactly once."""

from __future__ import annotations

import time

import pytest

from bot.ops.retention import purge_old_text
from bot.replies.moderation import hide_comment
from bot.replies.review import ReplyError, approve_reply, edit_reply, reject_reply, retry_reply
from bot.replies.send import ECHO_WAIT_SECONDS
from tests.support.replies import (
    comment,
    earn_auto_approval,
    message,
    message_requests,
    messenger_sends,
    private_replies,
)

HOUR = 3600.0


@pytest.fixture
def desk(tmp_path, fake, make_desk):
    made = make_desk(tmp_path, fake)
    yield made
    made.store.close()


@pytest.fixture
def make(tmp_path, fake, make_desk):
    desks = []

    def build(**settings):
        made = make_desk(tmp_path, fake, **settings)
        desks.append(made)
        return made

    yield build
    for made in desks:
        made.store.close()


def question(desk, question_id: int) -> dict:
    return desk.store.questions.get(question_id)


# -- suggestion, approval, exactly once ------------------------------------------------------------------

def test_a_group_comment_gets_a_private_reply_once_an_admin_approves_it(desk, fake):
    delivery = comment("hola, cual es su numero de telefono?", field="group_feed")
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    desk.deliver(delivery, delivery)  # Meta redelivers
    desk.step()

    reply = desk.only_reply()
    assert (reply.status, reply.channel, reply.intent, reply.language) == (
        "pending", "private_reply", "contact", "es")
    assert "619-569-1768" in reply.text and "no es asesoría legal" in reply.text
    assert reply.deadline == pytest.approx(question(desk, reply.question_id).event_time + 7 * 86400)
    assert fake.messages == []

    approve_reply(desk.store, reply.id, "cli")
    desk.deliver(delivery)
    desk.step()
    desk.step()

    [sent] = private_replies(fake)
    assert sent["comment_id"] == comment_id and sent["text"] == reply.text
    assert desk.only_reply().status == "sent"
    assert desk.store.questions.count() == 1
    assert [e.action for e in desk.store.audit.newest()] == ["approve_reply"]
    assert desk.store.audit.newest()[0].actor == "cli"


def test_a_private_reply_whose_answer_was_lost_is_sent_once(desk, fake):
    desk.deliver(comment("cuanto cuesta una consulta?", field="group_feed"))
    desk.step()
    reply = desk.only_reply()
    approve_reply(desk.store, reply.id, "cli")
    fake.fault("lost_answer", method="POST", path="/messages")

    desk.step()
    assert desk.only_reply().status == "sending"
    desk.step(time.time() + 120)  # the retry meets Meta's "already replied": it went out

    assert len(private_replies(fake)) == 1
    assert len(message_requests(fake)) == 2
    reply = desk.only_reply()
    assert reply.status == "sent" and "already had its private reply" in reply.error


def test_an_admin_can_send_edited_text_and_the_limits_are_clear(desk, fake):
    desk.deliver(comment("necesito informacion sobre DACA por favor", field="group_feed"))
    desk.step()
    reply = desk.only_reply()

    with pytest.raises(ReplyError, match="empty"):
        approve_reply(desk.store, reply.id, "maria@firm.example", text="   ")
    with pytest.raises(ReplyError, match="2001 characters"):
        approve_reply(desk.store, reply.id, "maria@firm.example", text="x" * 2001)
    edit_reply(desk.store, reply.id, "maria@firm.example", "  Draft  ")
    approve_reply(desk.store, reply.id, "maria@firm.example", text="  Hola Maria, llámenos al 619-819-9204.  ")
    desk.step()

    assert [m["text"] for m in private_replies(fake)] == ["Hola Maria, llámenos al 619-819-9204."]
    with pytest.raises(ReplyError, match=f"reply {reply.id} is sent, not pending"):
        approve_reply(desk.store, reply.id, "maria@firm.example")
    with pytest.raises(ReplyError, match="there is no reply 999"):
        reject_reply(desk.store, 999, "cli")
    assert [e.action for e in reversed(desk.store.audit.newest())] == ["edit_reply", "approve_reply"]


def test_a_rejected_reply_is_never_sent(desk, fake):
    desk.deliver(comment("como saco mi permiso de trabajo?", field="group_feed"))
    desk.step()
    reply = desk.only_reply()

    reject_reply(desk.store, reply.id, "cli")
    desk.step()

    assert desk.only_reply().status == "rejected" and fake.messages == []
    with pytest.raises(ReplyError, match="is rejected, not pending"):
        approve_reply(desk.store, reply.id, "cli")


# -- channels and languages ------------------------------------------------------------------------------

def test_a_page_comment_gets_a_public_reply_where_the_faq_allows_it(desk, fake):
    delivery = comment("What is your phone number?")
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    desk.deliver(delivery)
    desk.step()
    reply = desk.only_reply()
    assert (reply.channel, reply.deadline, reply.language) == ("comment_reply", None, "en")

    approve_reply(desk.store, reply.id, "cli")
    desk.step()

    [public] = fake.comment_replies
    assert public["parent_id"] == comment_id and "General information, not legal advice." in public["message"]
    assert fake.messages == []


def test_a_page_comment_with_personal_data_is_answered_privately_flagged_and_can_be_hidden(desk, fake):
    delivery = comment("What is your phone number? my A-number is A123456789")
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    desk.deliver(delivery)
    desk.step()
    reply = desk.only_reply()
    asked = question(desk, reply.question_id)
    assert reply.channel == "private_reply"
    assert (asked.pii, asked.flagged) == (["a_number"], 1)

    hide_comment(desk.store, asked.id, "maria@firm.example")
    desk.step()

    assert fake.hidden == {comment_id: True}
    assert question(desk, asked.id).hide_status == "hidden"
    with pytest.raises(ReplyError, match="already hidden"):
        hide_comment(desk.store, asked.id, "maria@firm.example")


def test_spanish_gets_spanish_and_english_gets_english(desk):
    desk.deliver(comment("cuanto cobran por el caso?", field="group_feed"),
                 comment("How much do you charge for a case?", field="group_feed"))
    desk.step()

    by_language = {r.language: r.text for r in desk.store.replies.triaged()}
    assert "Nuestros honorarios" in by_language["es"] and "no es asesoría legal" in by_language["es"]
    assert "General information, not legal advice." in by_language["en"]
    assert "asesoría" not in by_language["en"]


def test_the_pages_own_comment_and_chatter_get_nothing(desk, fake):
    desk.deliver(comment("What is your phone number?", author_id="104000000000001"),
                 comment("gracias, dios los bendiga", field="group_feed"))
    desk.step()

    assert desk.store.replies.triaged() == []
    [chatter] = desk.store.questions.triaged()
    assert (chatter.status, chatter.intent) == ("no_reply", None)
    assert fake.requests == []


def test_an_auto_approved_intent_goes_out_at_once_with_the_disclosure(make, fake):
    desk = make(AUTO_APPROVE_INTENTS="contact")
    earn_auto_approval(desk.store, "contact")
    desk.deliver(comment("cual es su numero?", field="group_feed"),
                 comment("cuanto cobran por el caso?", field="group_feed"))
    desk.step()

    [sent] = private_replies(fake)
    assert sent["text"].startswith("Respuesta automática de Demo Immigration Law Firm.")
    statuses = {r.intent: (r.status, r.approved_by) for r in desk.store.replies.triaged()}
    assert statuses == {"contact": ("sent", "auto-approve"), "fees": ("pending", None)}


# -- what members do meanwhile ---------------------------------------------------------------------------

def test_a_removed_comment_cancels_its_pending_and_its_approved_reply(desk, fake):
    first, second = comment("cual es su numero?", field="group_feed"), comment("cual es su numero?", field="group_feed")
    desk.deliver(first, second)
    desk.step()
    pending, approved = sorted(desk.store.replies.triaged(), key=lambda r: r.id)
    approve_reply(desk.store, approved.id, "cli")

    for delivery in (first, second):
        value = dict(delivery["entry"][0]["changes"][0]["value"], verb="remove")
        desk.deliver({"object": "page", "entry": [{"id": "104000000000001", "time": int(time.time()),
                                                   "changes": [{"field": "group_feed", "value": value}]}]})
    desk.step()

    assert {r.status for r in desk.store.replies.triaged()} == {"cancelled"}
    assert "removed the comment" in desk.store.replies.get(pending.id).error
    assert fake.messages == []


def test_an_edited_comment_updates_its_pending_suggestion(desk):
    delivery = comment("cual es su numero?", field="group_feed")
    desk.deliver(delivery)
    desk.step()
    before = desk.only_reply()

    value = dict(delivery["entry"][0]["changes"][0]["value"], verb="edited", message="cuanto cobran por el caso?")
    desk.deliver({"object": "page", "entry": [{"id": "104000000000001", "time": int(time.time()) + 5,
                                               "changes": [{"field": "group_feed", "value": value}]}]})
    desk.step()

    after = desk.only_reply()
    assert (after.id, after.status, after.intent) == (before.id, "pending", "fees")
    assert "honorarios" in after.text

    value = dict(value, message="ya no, gracias")
    desk.deliver({"object": "page", "entry": [{"id": "104000000000001", "time": int(time.time()) + 9,
                                               "changes": [{"field": "group_feed", "value": value}]}]})
    desk.step()
    assert desk.only_reply().status == "cancelled"
    assert question(desk, after.question_id).status == "no_reply"


# -- Meta's windows --------------------------------------------------------------------------------------

def test_a_messenger_reply_outside_24_hours_expires_without_any_call(desk, fake):
    desk.deliver(message("How much is a consultation?", at=time.time() - 25 * HOUR))
    desk.step()

    reply = desk.only_reply()
    assert (reply.channel, reply.status) == ("messenger", "expired")
    assert "the 24-hour Messenger window closed" in reply.error
    with pytest.raises(ReplyError, match="is expired, not pending: the 24-hour Messenger window closed"):
        approve_reply(desk.store, reply.id, "cli")
    assert message_requests(fake) == []


def test_approving_after_the_window_closed_expires_the_reply(desk, fake):
    desk.deliver(message("How much is a consultation?", at=time.time() - 23 * HOUR))
    desk.step()
    reply = desk.only_reply()

    with pytest.raises(ReplyError, match="can no longer be sent: the 24-hour Messenger window closed"):
        approve_reply(desk.store, reply.id, "cli", now=time.time() + 2 * HOUR)
    desk.step()

    assert desk.only_reply().status == "expired"
    assert message_requests(fake) == []


def test_a_reply_approved_in_time_but_sent_too_late_expires(desk, fake):
    desk.deliver(message("How much is a consultation?", at=time.time() - 23 * HOUR))
    desk.step()
    approve_reply(desk.store, desk.only_reply().id, "cli")

    desk.step(time.time() + 2 * HOUR)

    reply = desk.only_reply()
    assert reply.status == "expired" and "24-hour Messenger window closed" in reply.error
    assert message_requests(fake) == []


def test_a_new_message_from_the_member_keeps_the_window_open(desk, fake):
    desk.deliver(message("How much is a consultation?", at=time.time() - 23.5 * HOUR))
    desk.step()
    desk.deliver(message("hello?"))
    fake.user_messaged("7770001")
    desk.step(time.time() + HOUR)  # past the first message's 24 hours

    reply = desk.only_reply()
    assert reply.status == "pending"
    approve_reply(desk.store, reply.id, "cli")
    desk.step()
    [sent] = messenger_sends(fake)
    assert sent["messaging_type"] == "RESPONSE" and sent["recipient_id"] == "7770001"


def test_suggestions_left_past_the_7_day_window_expire(desk, fake):
    desk.deliver(comment("cual es su numero?", field="group_feed", created=time.time() - 6.9 * 86400))
    desk.step()

    desk.step(time.time() + 0.2 * 86400)

    reply = desk.only_reply()
    assert reply.status == "expired" and "7-day window for a private reply" in reply.error


# -- Messenger sends whose outcome is unknown ------------------------------------------------------------

def test_the_echo_settles_a_messenger_send_whose_answer_was_lost(desk, fake):
    fake.user_messaged("7770001")
    desk.deliver(message("How much is a consultation?"))
    desk.step()
    reply = desk.only_reply()
    job_id = approve_reply(desk.store, reply.id, "cli")
    fake.fault("lost_answer", method="POST", path="/messages")
    desk.step()
    [sent] = messenger_sends(fake)
    assert sent["metadata"] == f"groupbot:job:{job_id}"

    desk.deliver(message(sent["text"], mid=sent["message_id"], echo_metadata=sent["metadata"]))
    desk.step(time.time() + ECHO_WAIT_SECONDS + 300)

    assert len(messenger_sends(fake)) == 1
    assert len(message_requests(fake)) == 1
    settled = desk.only_reply()
    assert (settled.status, settled.message_id) == ("sent", sent["message_id"])


@pytest.mark.parametrize("fault", [{"kind": "reset"}, {"kind": "bad_gateway"}])
def test_without_an_echo_or_a_trace_in_the_conversation_a_messenger_send_is_left_unconfirmed(desk, fake, fault):
    fake.user_messaged("7770001")
    desk.deliver(message("How much is a consultation?"))
    desk.step()
    approve_reply(desk.store, desk.only_reply().id, "cli")
    fake.fault(method="POST", path="/messages", **fault)
    desk.step()

    desk.step(time.time() + 35)  # due again, but Meta's echo may still come
    assert len(message_requests(fake)) == 1
    assert "waiting for Meta's echo" in desk.store.jobs.newest()[0].last_error
    desk.step(time.time() + ECHO_WAIT_SECONDS + 600)
    desk.step(time.time() + 7200)

    assert len(message_requests(fake)) == 1 and messenger_sends(fake) == []
    reply = desk.only_reply()
    assert reply.status == "unconfirmed"
    assert "did not say whether it was sent" in reply.error and "conversation does not show it" in reply.error


def test_meta_refusing_outside_the_window_marks_the_reply_expired(desk, fake):
    desk.deliver(message("How much is a consultation?"))  # the fake never saw this member write
    desk.step()
    approve_reply(desk.store, desk.only_reply().id, "cli")

    desk.step()

    reply = desk.only_reply()
    assert reply.status == "expired" and "Meta refused" in reply.error and "2018278" in reply.error
    assert messenger_sends(fake) == []


# -- lists -----------------------------------------------------------------------------------------------

def test_urgent_questions_come_first_in_every_list(desk):
    desk.deliver(comment("cual es su numero?", field="group_feed"),
                 message("ICE detuvo a mi hermano esta mañana, que hacemos?"),
                 comment("cuanto cuesta la consulta?", field="group_feed"))
    desk.step()

    questions = desk.store.questions.triaged()
    assert [q.urgent for q in questions] == [True, False, False]
    assert questions[0].intent == "urgent_detention" and questions[0].reply_status == "pending"
    assert desk.store.replies.triaged()[0].intent == "urgent_detention"


# -- retention -------------------------------------------------------------------------------------------

def test_member_text_is_purged_after_the_retention_period_and_the_verdict_stays(desk, fake):
    desk.deliver(comment("cual es su numero? mi A-number es A123456789", field="group_feed"))
    desk.step()
    approve_reply(desk.store, desk.only_reply().id, "cli")
    desk.step()
    later = time.time() + 91 * 86400

    purged = purge_old_text(desk.store, desk.settings.retention_days, later)

    assert (purged.questions, purged.replies, purged.deliveries, purged.jobs) == (1, 1, 1, 1)
    [asked] = desk.store.questions.triaged()
    assert (asked.text, asked.author_name, asked.intent, asked.pii) == ("", "", "contact", ["a_number"])
    assert desk.only_reply().status == "sent" and desk.only_reply().text == ""
    assert "text" not in desk.store.jobs.newest()[0].payload
    assert [bytes(row[0]) for row in desk.store.conn.execute("SELECT body FROM deliveries")] == [b""]
    assert purge_old_text(desk.store, desk.settings.retention_days, later).questions == 0


def test_the_pages_own_comment_webhook_settles_a_public_reply_whose_answer_was_lost(desk, fake):
    delivery = comment("What is your phone number?")
    comment_id = delivery["entry"][0]["changes"][0]["value"]["comment_id"]
    desk.deliver(delivery)
    desk.step()
    approve_reply(desk.store, desk.only_reply().id, "cli")
    fake.fault("lost_answer", method="POST", path="/comments")
    desk.step()
    [public] = fake.comment_replies

    desk.deliver(comment(public["message"], comment_id=public["id"], author_id="104000000000001",
                         parent_id=comment_id))
    desk.step(time.time() + ECHO_WAIT_SECONDS + 300)

    assert len(fake.comment_replies) == 1
    settled = desk.only_reply()
    assert (settled.status, settled.message_id) == ("sent", public["id"])


def test_a_reply_meta_refused_is_failed_with_metas_words_and_can_be_tried_again(desk, fake):
    desk.deliver(comment("cual es su numero?", field="group_feed"))
    desk.step()
    reply_id = desk.only_reply().id
    approve_reply(desk.store, reply_id, "cli")
    fake.fault("graph_error", method="POST", path="/messages", code=551, message="This person isn't available")

    desk.step()
    failed = desk.only_reply()
    assert failed.status == "failed" and "This person isn't available" in failed.error

    retry_reply(desk.store, reply_id, "maria@firm.example")
    desk.step()

    assert desk.only_reply().status == "sent" and len(private_replies(fake)) == 1
    with pytest.raises(ReplyError, match="only a failed reply can be tried again"):
        retry_reply(desk.store, reply_id, "maria@firm.example")
