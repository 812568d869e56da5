"""Sends Meta answered 500 code 1/2 (which may have taken effect): reconciled, or left unconfirmed for an admin."""

from __future__ import annotations

import re
import time

import pytest

from bot.accounts import admins as accounts
from bot.replies.review import approve_reply, retry_reply
from bot.replies.send import ECHO_WAIT_SECONDS
from tests.support.groupbot import run_cli
from tests.support.replies import comment, message, message_requests, messenger_sends, private_replies
from webhooks import create_app

EMAIL, PASSWORD = "ana@example-firm.test", "Mar-Azul 2024 casa"
UNEXPECTED = "An unexpected error has occurred. Please retry your request later."
PSID = "7770001"


@pytest.fixture
def desk(tmp_path, fake, make_desk):
    return make_desk(tmp_path, fake)


def approved_messenger_reply(desk, fake) -> int:
    """A member's Messenger question whose suggested answer an admin approved; returns the job id."""
    fake.user_messaged(PSID)
    desk.deliver(message("How much is a consultation?"))
    desk.step()
    return approve_reply(desk.store, desk.only_reply().id, "cli")


def past_the_echo_wait(desk, start: float) -> None:
    """Worker passes until the wait for Meta's echo is over and Meta has been checked."""
    desk.step(start + 35)
    desk.step(start + ECHO_WAIT_SECONDS + 600)


def test_a_messenger_answer_meta_sent_before_answering_500_is_sent_once_and_the_echo_settles_it(desk, fake):
    job_id = approved_messenger_reply(desk, fake)
    fake.fault("graph_error", method="POST", path="/messages", code=2, applied=True, message=UNEXPECTED)
    start = time.time()
    desk.step(start)
    [sent] = messenger_sends(fake)
    assert desk.only_reply().status == "sending"

    desk.deliver(message(sent["text"], mid=sent["message_id"], echo_metadata=f"groupbot:job:{job_id}"))
    past_the_echo_wait(desk, start)

    assert len(message_requests(fake)) == 1 and len(messenger_sends(fake)) == 1
    assert (desk.only_reply().status, desk.only_reply().message_id) == ("sent", sent["message_id"])


def test_without_an_echo_the_conversation_confirms_a_messenger_answer_meta_sent(desk, fake):
    approved_messenger_reply(desk, fake)
    fake.fault("graph_error", method="POST", path="/messages", code=2, applied=True, message=UNEXPECTED)
    start = time.time()
    desk.step(start)

    past_the_echo_wait(desk, start)
    desk.step(start + 7200)

    [sent] = messenger_sends(fake)
    assert len(message_requests(fake)) == 1
    assert (desk.only_reply().status, desk.only_reply().message_id) == ("sent", sent["message_id"])
    assert any(r["path"].endswith("/conversations") and r["params"]["user_id"] == PSID for r in fake.requests)


def sign_in(client) -> str:
    """Sign the admin in; returns a CSRF token for the dashboard's forms."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").text).group(1)
    client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/").text).group(1)


def test_an_unconfirmed_answer_is_never_resent_alone_and_send_again_sends_it_once(desk, fake, tmp_path, live_env):
    approved_messenger_reply(desk, fake)
    fake.fault("graph_error", method="POST", path="/messages", code=2, message=UNEXPECTED)  # Meta did not send it
    start = time.time()
    desk.step(start)
    past_the_echo_wait(desk, start)
    desk.step(start + 86000)

    reply = desk.only_reply()
    assert reply.status == "unconfirmed" and UNEXPECTED in reply.error
    assert len(message_requests(fake)) == 1 and messenger_sends(fake) == []
    listed = run_cli("list", "replies", env=live_env(tmp_path / "var", fake, None), cwd=tmp_path)
    assert listed.returncode == 0 and "unconfirmed" in listed.stdout

    app = create_app(desk.settings)
    accounts.add_admin(app.extensions["groupbot"].store, EMAIL, PASSWORD, actor="test")
    client = app.test_client()
    token = sign_in(client)
    page = client.get("/admin/?show=failed").text
    assert "Unconfirmed: Meta may or may not have delivered it" in page and UNEXPECTED in page
    assert page.count(">Send again</button>") == 1 and ">Retry</button>" not in page

    client.post(f"/admin/questions/{reply.question_id}/retry", data={"csrf_token": token})
    desk.step()
    desk.step(time.time() + 3600)

    assert len(messenger_sends(fake)) == 1 and desk.only_reply().status == "sent"
    assert desk.store.audit.newest()[0].action == "send_again_reply"


def test_a_messenger_answer_meta_refused_is_sent_at_once_when_an_admin_retries(desk, fake):
    approved_messenger_reply(desk, fake)
    fake.fault("graph_error", method="POST", path="/messages", code=200,
               message="Requires pages_messaging permission to manage the object")
    desk.step()
    failed = desk.only_reply()
    assert failed.status == "failed" and "pages_messaging" in failed.error

    retry_reply(desk.store, failed.id, "maria@firm.example")
    desk.step()  # no wait for an echo that cannot come

    assert len(message_requests(fake)) == 2 and len(messenger_sends(fake)) == 1
    assert desk.only_reply().status == "sent"


def test_a_private_reply_meta_sent_before_answering_500_is_settled_by_already_replied(desk, fake):
    desk.deliver(comment("cual es su numero?", field="group_feed"))
    desk.step()
    approve_reply(desk.store, desk.only_reply().id, "cli")
    fake.fault("graph_error", method="POST", path="/messages", code=2, applied=True, message=UNEXPECTED)
    start = time.time()
    desk.step(start)

    desk.step(start + 3600)

    assert len(private_replies(fake)) == 1
    reply = desk.only_reply()
    assert reply.status == "sent" and "already had its private reply" in reply.error


def test_a_public_reply_no_webhook_confirms_is_unconfirmed_not_sent_twice(desk, fake):
    desk.deliver(comment("What is your phone number?"))
    desk.step()
    approve_reply(desk.store, desk.only_reply().id, "cli")
    fake.fault("graph_error", method="POST", path="/comments", code=1, applied=True, message=UNEXPECTED)
    start = time.time()
    desk.step(start)

    past_the_echo_wait(desk, start)
    desk.step(start + 7200)

    assert len(fake.comment_replies) == 1
    reply = desk.only_reply()
    assert reply.status == "unconfirmed" and "did not show up under the comment" in reply.error
