"""A tiny SMTP server on 127.0.0.1 that keeps what it receives, for tests of admin e-mail.

Speaks enough SMTP for smtplib: EHLO/HELO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET,
NOOP, QUIT. `refuse_next(n)` answers the next n DATA commands with a temporary failure.
"""

from __future__ import annotations

import base64
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

HOST = "127.0.0.1"


@dataclass
class ReceivedMail:
    """One accepted e-mail: envelope, login used, and the parsed message."""

    sender: str
    recipients: list[str]
    login: str | None
    raw: bytes
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        self.message = message_from_bytes(self.raw, policy=policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


class _Session(socketserver.StreamRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        self._reply("220 sink ESMTP ready")
        self.sender, self.recipients, self.login = "", [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb, _, rest = line.decode(errors="replace").strip().partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                self._reply("221 bye")
                return
            handler = getattr(self, f"_do_{verb.lower()}", None)
            if handler is None:
                self._reply("502 command not implemented")
            else:
                handler(rest)

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def _do_ehlo(self, rest: str) -> None:
        self._reply("250-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME")

    def _do_helo(self, rest: str) -> None:
        self._reply("250 sink")

    def _do_noop(self, rest: str) -> None:
        self._reply("250 ok")

    def _do_rset(self, rest: str) -> None:
        self.sender, self.recipients = "", []
        self._reply("250 ok")

    def _do_auth(self, rest: str) -> None:
        mechanism, _, initial = rest.partition(" ")
        if mechanism.upper() == "PLAIN":
            if not initial:
                self._reply("334 ")
                initial = self.rfile.readline().decode().strip()
            _, user, password = base64.b64decode(initial).decode().split("\0")
        else:
            self._reply("334 " + base64.b64encode(b"Username:").decode())
            user = base64.b64decode(self.rfile.readline().strip()).decode()
            self._reply("334 " + base64.b64encode(b"Password:").decode())
            password = base64.b64decode(self.rfile.readline().strip()).decode()
        if self.server.credentials and (user, password) != self.server.credentials:
            self._reply("535 5.7.8 authentication failed")
            return
        self.login = user
        self._reply("235 2.7.0 authenticated")

    def _do_mail(self, rest: str) -> None:
        self.sender = rest.split(":", 1)[1].strip().strip("<>").split(">")[0]
        self._reply("250 ok")

    def _do_rcpt(self, rest: str) -> None:
        self.recipients.append(rest.split(":", 1)[1].strip().strip("<>").split(">")[0])
        self._reply("250 ok")

    def _do_data(self, rest: str) -> None:
        self._reply("354 end with <CRLF>.<CRLF>")
        lines = []
        while True:
            line = self.rfile.readline()
            if not line or line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        with self.server.lock:
            refuse = self.server.refusals > 0
            if refuse:
                self.server.refusals -= 1
            else:
                self.server.mails.append(ReceivedMail(self.sender, list(self.recipients), self.login,
                                                      b"".join(lines)))
        self._reply("451 4.3.0 try again later" if refuse else "250 ok: queued")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, credentials: tuple[str, str] | None) -> None:
        super().__init__((HOST, 0), _Session)
        self.credentials = credentials
        self.mails: list[ReceivedMail] = []
        self.refusals = 0
        self.lock = threading.Lock()


class SmtpSink:
    """The sink as a context manager; `url(user, password)` gives an SMTP_URL pointing at it."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self._server = _Server(credentials)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user is not None else ""
        return f"smtp://{auth}{HOST}:{self.port}"

    @property
    def mails(self) -> list[ReceivedMail]:
        with self._server.lock:
            return list(self._server.mails)

    def refuse_next(self, count: int = 1) -> None:
        """Answer the next `count` e-mails with 451 (a temporary failure)."""
        with self._server.lock:
            self._server.refusals = count

    def __enter__(self) -> "SmtpSink":
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="smtp-sink", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
