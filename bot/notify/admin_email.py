"""E-mail to the firm's admins: urgent questions at once, and every other admin alert.

Alerts are queued in the database (in the same transaction that noticed them) and sent by
the mailer's own thread, so neither intake nor the worker loop ever waits on an SMTP
server, and an alert survives a restart. An urgent question's e-mail names its id and the dashboard and
quotes only the first words of the message: the rest stays in the dashboard.

Every e-mail is in English, then Spanish: it goes to all of ADMIN_EMAILS at once, so it cannot follow
one admin's dashboard language (see README, "Dashboard languages").
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Callable

from bot.config import Settings
from bot.notify.alerts import set_alert_delivery
from bot.notify.smtp import SMTP_TIMEOUT_SECONDS, MailError, parse_smtp_url, send_email
from bot.store import Store
from bot.store.questions import WaitingQuestion

log = logging.getLogger(__name__)

FIRST_WORDS = 6
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 60.0
RETRY_MAX_SECONDS = 3600.0
REPEAT_DAMPING_SECONDS = 3600.0  # the same alert subject is e-mailed at most once an hour
SOURCE_NAMES = {"page_comment": "a comment on the Page", "group_comment": "a comment in the Group",
                "messenger": "a Messenger message"}
SOURCE_NAMES_ES = {"page_comment": "un comentario en la Página", "group_comment": "un comentario en el Grupo",
                   "messenger": "un mensaje de Messenger"}
SPANISH_BELOW = "\n\n---- En español ----\n\n"
# The Spanish of every alert subject (bot.notify.alerts callers), with a sentence on what it means.
# The alert's details stay in English: they quote Meta, the FAQ file's parser or a setting by name.
ALERTS_ES = {
    "Facebook sending paused": ("Envío a Facebook en pausa",
                                "groupbot dejó de enviar a Facebook hasta que se cambie el token de la Página. "
                                "El detalle, en inglés, está arriba."),
    "Page webhooks restored": ("Webhooks de la Página restablecidos",
                               "Meta había dejado de enviar a groupbot los eventos de la Página; groupbot se "
                               "suscribió de nuevo. Los eventos enviados mientras tanto se perdieron."),
    "FAQ file unusable": ("El archivo de preguntas frecuentes no se puede usar",
                          "groupbot no puede responder a los miembros hasta que se corrija el archivo. "
                          "El detalle, en inglés, está arriba."),
}
GENERIC_ALERT_ES = ("Aviso de groupbot", "groupbot necesita la atención de un administrador. El detalle, en inglés, "
                                         "está arriba.")


def email_configured(settings: Settings) -> bool:
    """Whether alerts can be e-mailed (ADMIN_EMAILS and SMTP_URL both set)."""
    return bool(settings.admin_emails and settings.smtp_url)


def first_words(text: str, count: int = FIRST_WORDS) -> str:
    """The opening words of a message, each cut to 20 characters, with an ellipsis when there is more."""
    words = text.split()
    shown = " ".join(word[:20] for word in words[:count])
    return shown + (" …" if len(words) > count else "")


def urgent_email(settings: Settings, question: WaitingQuestion) -> tuple[str, str]:
    """Subject and body of the alert for an urgent question, English then Spanish (no name, only the first words)."""
    where = SOURCE_NAMES.get(question.source, question.source)
    donde = SOURCE_NAMES_ES.get(question.source, question.source)
    words, dashboard = first_words(question.text), f"{settings.public_url}/admin/"
    subject = f"Urgent question #{question.id} ({where}) / Pregunta urgente"
    english = (f"A member's message looks urgent: someone detained, ICE at the door, or a hearing or removal "
               f"within days.\n\nQuestion #{question.id}, {where}.\nFirst words: \"{words}\"\n\n"
               f"Read it and answer in the dashboard: {dashboard}\n\n"
               "This e-mail carries only the first words of the message, for the member's privacy.")
    spanish = (f"El mensaje de un miembro parece urgente: alguien detenido, ICE en la puerta, o una audiencia o "
               f"deportación en pocos días.\n\nPregunta #{question.id}, {donde}.\nPrimeras palabras: \"{words}\"\n\n"
               f"Léalo y respóndalo en el panel: {dashboard}\n\n"
               "Este correo lleva solo las primeras palabras del mensaje, por la privacidad del miembro.")
    return subject, english + SPANISH_BELOW + spanish


def alert_email(subject: str, body: str) -> tuple[str, str]:
    """An admin alert as e-mailed: its subject and body in English, then in Spanish."""
    asunto, meaning = ALERTS_ES.get(subject, GENERIC_ALERT_ES)
    return f"{subject} / {asunto}", body + SPANISH_BELOW + meaning


def queue_urgent_alert(store: Store, settings: Settings, question: WaitingQuestion, now: float) -> None:
    """Queue the e-mail for an urgent question (joins the caller's transaction); logs when none is set up."""
    if not email_configured(settings):
        log.warning("question %d looks urgent; set ADMIN_EMAILS and SMTP_URL to be e-mailed at once",
                    question.id)
        return
    subject, body = urgent_email(settings, question)
    store.emails.queue(subject, body, now, dedupe_key=f"urgent:{question.id}")
    log.warning("question %d looks urgent; the admins are e-mailed", question.id)


class EmailAlerts:
    """While started, hands every admin alert of this process (pause on 190, lost webhooks...) to the e-mail queue.

    Started and stopped by the composition root; does nothing unless ADMIN_EMAILS and SMTP_URL are set.
    """

    NAME = "email"

    def __init__(self, settings: Settings, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self._clock = clock

    def start(self) -> None:
        """Take every later alert (a no-op when e-mail is not set up)."""
        if email_configured(self.settings):
            set_alert_delivery(self.NAME, self._deliver)

    def stop(self) -> None:
        """Stop taking alerts."""
        set_alert_delivery(self.NAME, None)

    def _deliver(self, subject: str, body: str) -> None:
        now = self._clock()
        subject, body = alert_email(subject, body)
        if not self.store.emails.queued_since(subject, now - REPEAT_DAMPING_SECONDS):
            self.store.emails.queue(subject, body, now)


class AdminMailer:
    """Sends queued admin e-mails from its own thread, so no loop ever waits on an SMTP server.

    The composition root starts and stops it; `run(now)` is the worker job that wakes it when
    e-mails are due.
    """

    THREAD_NAME = "admin-mail"

    def __init__(self, settings: Settings, store: Store, *, timeout: float = SMTP_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.timeout = timeout
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        """Start the sending thread (a no-op when e-mail is not set up, or already started)."""
        if not email_configured(self.settings) or (self._thread and self._thread.is_alive()):
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self.THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the sending thread after the e-mail under way, if any."""
        self._stopping.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def run(self, now: float) -> bool:
        """Wake the sending thread when e-mails are due; never waits on SMTP."""
        if self._thread and self.store.emails.has_due(now):
            self._idle.clear()
            self._wake.set()
        return False  # the sending happens elsewhere: nothing for the loop to hurry about

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until the thread has sent what it was woken for (tests, shutdown); False on time-out."""
        return self._idle.wait(timeout)

    def send_due(self, now: float) -> int:
        """Send the due e-mails now; returns how many the server accepted."""
        server = parse_smtp_url(self.settings.smtp_url)
        sender = server.sender(self.settings.smtp_from)
        sent = 0
        for email in self.store.emails.due(now):
            try:
                send_email(server, sender, self.settings.admin_emails, email.subject, email.body,
                           timeout=self.timeout)
            except MailError as exc:
                self._failed(email.id, email.attempts + 1, str(exc), now)
                continue
            self.store.emails.finish(email.id, self._clock())
            log.info("admin e-mail %d sent to %d address(es)", email.id, len(self.settings.admin_emails))
            sent += 1
        return sent

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                self._idle.set()
                return
            try:
                self.send_due(self._clock())
            except Exception:  # a bug here must not go unseen, nor kill anything else
                log.exception("sending admin e-mail failed")
            if not self._wake.is_set():
                self._idle.set()
    def _failed(self, email_id: int, attempts: int, error: str, now: float) -> None:
        if attempts >= MAX_ATTEMPTS:
            self.store.emails.finish(email_id, now, error=error)
            log.error("admin e-mail %d gave up after %d attempts: %s", email_id, attempts, error)
            return
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1)) * (0.5 + random.random() / 2)
        self.store.emails.finish(email_id, now, error=error, retry_at=now + delay)
        log.warning("admin e-mail %d not sent (attempt %d), next try in %.0f s: %s", email_id, attempts, delay, error)
