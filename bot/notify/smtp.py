"""Sending one e-mail through the server named by SMTP_URL (smtp://, smtps://, smtp+starttls://)."""

from __future__ import annotations

import smtplib
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Iterator
from urllib.parse import unquote, urlsplit

# A mail server slower than this is treated as down; the e-mail is retried later with backoff.
SMTP_TIMEOUT_SECONDS = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}


class MailError(Exception):
    """The e-mail was not accepted by the server (the message names why, never the password)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand e-mail over, from SMTP_URL."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    def sender(self, configured: str = "") -> str:
        """The From address: the configured one, else the login when it is an address, else groupbot@host."""
        if configured:
            return configured
        return self.username if "@" in self.username else f"groupbot@{self.host}"


def parse_smtp_url(url: str) -> SmtpServer:
    """Read SMTP_URL (user and password URL-encoded); ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("SMTP_URL must start with smtp://, smtps:// or smtp+starttls://")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("SMTP_URL has a port that is not a number") from None
    return SmtpServer(parts.scheme, parts.hostname, port, unquote(parts.username or ""),
                      unquote(parts.password or ""))


def send_email(server: SmtpServer, sender: str, recipients: tuple[str, ...], subject: str, body: str, *,
               timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
    """Hand one plain-text e-mail to the server; raises MailError."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(recipients), subject
    message["Date"], message["Message-ID"] = formatdate(localtime=False), make_msgid(domain=server.host)
    message.set_content(body)
    with _session(server, timeout, refusal="refused the e-mail") as client:
        client.send_message(message, from_addr=sender, to_addrs=list(recipients))


def check_login(server: SmtpServer, *, timeout: float = 5.0) -> None:
    """Connect, start TLS as the URL says, and log in (when it names a user), then leave; raises MailError."""
    with _session(server, timeout, refusal="refused us"):
        pass


@contextmanager
def _session(server: SmtpServer, timeout: float, *, refusal: str) -> Iterator[smtplib.SMTP]:
    """A connected (and, when the URL names a user, logged-in) client; every failure becomes one MailError line."""
    try:
        with _connect(server, timeout) as client:
            if server.username:
                client.login(server.username, server.password)
            else:
                client.ehlo_or_helo_if_needed()
            yield client
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"the SMTP server refused the login ({exc.smtp_code})") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"the SMTP server {refusal} ({type(exc).__name__}: {_short(exc)})") from None
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"could not talk to {server.host}:{server.port} ({type(exc).__name__})") from None


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if server.scheme == "smtps":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    if server.scheme == "smtp+starttls":
        try:
            client.starttls(context=context)
        except BaseException:
            client.close()
            raise
    return client


def _short(exc: smtplib.SMTPException) -> str:
    # The server's words, but not the recipients' addresses that some errors carry.
    code = getattr(exc, "smtp_code", None)
    error = getattr(exc, "smtp_error", b"")
    text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
    return f"{code} {text}"[:200] if code else type(exc).__name__
