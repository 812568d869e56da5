"""A body far over the limit is refused by the server before it is read, and the server stays well."""

from __future__ import annotations

import select
import socket
import time
from urllib.parse import urlsplit

import requests

from bot.intake import signature
from tests.support.groupbot import query

HUGE = 64 * 1024 * 1024
CHUNK = b"x" * 65536


def connect(server) -> socket.socket:
    parts = urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def send_until_answered(sock: socket.socket, chunks, limit_seconds: float = 20) -> tuple[bytes, int]:
    """Send ``chunks`` while watching for an answer; stop at the answer, a closed socket or the time limit."""
    sent, answer, deadline = 0, b"", time.monotonic() + limit_seconds
    sock.setblocking(False)
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            readable, _, _ = select.select([sock], [sock], [], max(deadline - time.monotonic(), 0))
            if readable:
                try:
                    answer = sock.recv(65536)
                except ConnectionResetError:
                    answer = answer or b"<reset>"
                return answer, sent
            if time.monotonic() > deadline:
                return answer, sent
            try:
                n = sock.send(view)
            except (BrokenPipeError, ConnectionResetError):
                return b"<closed>", sent
            view, sent = view[n:], sent + n
    return answer, sent


def assert_healthy(server) -> None:
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    assert query(server.env, "SELECT count(*) FROM deliveries")[0][0] == 0


def test_a_64_mib_upload_is_refused_before_the_server_reads_it(server):
    sock = connect(server)
    head = (f"POST /webhooks/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"{signature.HEADER}: sha256={'0' * 64}\r\nContent-Length: {HUGE}\r\n\r\n").encode()
    started = time.monotonic()
    answer, sent = send_until_answered(sock, [head] + [CHUNK] * (HUGE // len(CHUNK)))
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413") or answer in (b"<closed>", b"<reset>"), answer[:100]
    assert sent < HUGE // 4  # answered long before the body was all sent
    assert time.monotonic() - started < 10
    assert_healthy(server)


def test_a_chunked_64_mib_upload_is_cut_off_soon_after_the_limit(server):
    sock = connect(server)
    head = (b"POST /webhooks/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    framed = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
    answer, sent = send_until_answered(sock, [head] + [framed] * (HUGE // len(CHUNK)))
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413") or answer in (b"<closed>", b"<reset>"), answer[:100]
    assert sent < HUGE // 4
    assert_healthy(server)


def test_a_body_just_under_the_limit_still_reaches_the_app(server):
    answer = requests.post(f"{server.url}/webhooks/meta", data=b"{" + b" " * (1024 * 1024 - 2) + b"}",
                           headers={signature.HEADER: "sha256=" + "0" * 64}, timeout=30)
    assert answer.status_code == 403  # read in full and checked by the app, which refuses the signature
