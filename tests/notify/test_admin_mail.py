"""Admin e-mail through a real (local) SMTP server: urgent questions, other alerts, failures and retries."""

from __future__ import annotations

import threading
import time

import pytest

from bot.notify.admin_email import AdminMailer, EmailAlerts, first_words
from bot.notify.alerts import notify_admins, set_alert_delivery
from bot.notify.smtp import MailError, parse_smtp_url, send_email
from bot.outbox.pause import pause_sending
from tests.fakes.smtp_sink import SmtpSink
from tests.support.replies import message

URGENT_TEXT = ("Mi esposo fue detenido por ICE esta mañana en Chula Vista, su numero A es A123456789 "
               "y no sabemos donde esta")


@pytest.fixture
def sink():
    with SmtpSink(credentials=("alerts@firm.example", "p@ss:word")) as server:
        yield server


@pytest.fixture
def desk(tmp_path, fake, sink, make_desk):
    made = make_desk(tmp_path, fake, ADMIN_EMAILS="maria@firm.example, jose@firm.example",
                     SMTP_URL=sink.url("alerts%40firm.example", "p%40ss%3Aword"),
                     PUBLIC_URL="https://groupbot.firm.example")
    yield made
    set_alert_delivery("email", None)
    made.store.close()


def test_an_urgent_message_emails_the_admins_with_only_its_first_words(desk, sink):
    desk.deliver(message(URGENT_TEXT))
    desk.step()
    question_id = desk.store.questions.triaged()[0].id

    assert AdminMailer(desk.settings, desk.store).send_due(time.time()) == 1

    [mail] = sink.mails
    assert mail.recipients == ["maria@firm.example", "jose@firm.example"]
    assert (mail.login, mail.sender) == ("alerts@firm.example", "alerts@firm.example")
    assert mail.subject == f"Urgent question #{question_id} (a Messenger message) / Pregunta urgente"
    english, spanish = mail.body.split("---- En español ----")
    assert f"Question #{question_id}" in english and "https://groupbot.firm.example/admin/" in english
    assert f"Pregunta #{question_id}, un mensaje de Messenger." in spanish
    assert "Léalo y respóndalo en el panel: https://groupbot.firm.example/admin/" in spanish
    for half in (english, spanish):
        assert '"Mi esposo fue detenido por ICE …"' in half
    assert "A123456789" not in mail.body and "Chula Vista" not in mail.body


def test_the_worker_sends_the_alert_from_its_own_thread_once(desk, sink):
    desk.deliver(message(URGENT_TEXT))
    desk.step()
    mailer = AdminMailer(desk.settings, desk.store)
    mailer.start()
    try:
        assert mailer.run(time.time()) is False  # nothing for the loop to wait on
        assert mailer.wait_idle(timeout=10)
        desk.step()
        mailer.run(time.time())
        assert mailer.wait_idle(timeout=10)
    finally:
        mailer.stop()

    assert [thread for thread in threading.enumerate() if thread.name == AdminMailer.THREAD_NAME] == []
    assert len(sink.mails) == 1
    assert desk.store.emails.newest()[0].status == "sent"


def test_a_refused_email_is_tried_again_later(desk, sink):
    desk.deliver(message(URGENT_TEXT))
    desk.step()
    mailer = AdminMailer(desk.settings, desk.store)
    sink.refuse_next(1)

    assert mailer.send_due(time.time()) == 0
    [queued] = desk.store.emails.newest()
    assert queued.status == "pending" and "451" in queued.last_error
    assert mailer.send_due(time.time() + 3600) == 1
    assert len(sink.mails) == 1


def test_other_admin_alerts_are_emailed_too(desk, sink):
    EmailAlerts(desk.settings, desk.store).start()
    pause_sending(desk.store, "Error validating access token (code 190)", "sha256:abc", time.time())
    notify_admins("Facebook sending paused", "the same alert again within the hour")

    AdminMailer(desk.settings, desk.store).send_due(time.time())

    [mail] = sink.mails
    assert mail.subject == "Facebook sending paused / Envío a Facebook en pausa"
    assert "META_PAGE_ACCESS_TOKEN" in mail.body and "cambie el token de la Página" in mail.body


def test_a_wrong_password_is_reported_without_the_password(sink):
    server = parse_smtp_url(sink.url("alerts%40firm.example", "wrong-secret"))

    with pytest.raises(MailError) as caught:
        send_email(server, "alerts@firm.example", ("maria@firm.example",), "test", "body", timeout=5)

    assert "refused the login" in str(caught.value) and "wrong-secret" not in str(caught.value)


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.com", ("smtp", "mail.example.com", 25, "", "")),
    ("smtps://u%40x.example:s%2Fecret@mail.example.com", ("smtps", "mail.example.com", 465, "u@x.example", "s/ecret")),
    ("smtp+starttls://u:p@mail.example.com:2525", ("smtp+starttls", "mail.example.com", 2525, "u", "p")),
])
def test_smtp_urls(url, expected):
    server = parse_smtp_url(url)
    assert (server.scheme, server.host, server.port, server.username, server.password) == expected
    assert "s/ecret" not in repr(server)


def test_first_words_keep_the_email_short():
    assert first_words("uno dos tres") == "uno dos tres"
    assert first_words("a b c d e f g h") == "a b c d e f …"
    assert first_words("x" * 50) == "x" * 20
