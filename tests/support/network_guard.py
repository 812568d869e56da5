"""Test-only: refuse network connections to anything but loopback, in the test process and in the processes it starts.

The tests talk only to servers on 127.0.0.1: the real groupbot, and the fakes of Meta, the blog and an SMTP server.
A connection anywhere else means a test would reach the internet (or a real Meta), so it is refused before any
packet leaves: ``socket.connect``, ``connect_ex`` and ``sendto`` to an address outside 127.0.0.0/8 and ::1, and
``getaddrinfo`` for a name other than ``localhost`` (looking a name up is itself a packet to a DNS server), raise
``NetworkRefused``, an OSError. Unix sockets are allowed. Every refusal is also written to a report file, so a
refusal that the code under test catches and logs still fails the test (the autouse fixture in the top-level
conftest reads the file).

In the test process the fixture calls ``install``. Python processes the tests start install it too: ``guard_env``
puts ``site/`` on their PYTHONPATH with GROUPBOT_TEST_NETWORK_GUARD=1, and Python imports ``site/sitecustomize.py``
at start-up, which loads this file. This module uses only the standard library and imports nothing from the project.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from pathlib import Path
from typing import Any

ENABLE_VAR = "GROUPBOT_TEST_NETWORK_GUARD"
REPORT_VAR = "GROUPBOT_TEST_NETWORK_REPORT"
SITE_DIR = Path(__file__).resolve().parent / "site"
LOOPBACK_NAMES = ("localhost",)

_lock = threading.Lock()
_saved: dict[str, Any] = {}
_report: Path | None = None


class NetworkRefused(OSError):
    """A test (or a process it started) tried to reach an address other than loopback.

    An OSError, as an unreachable network is, so that code cleans up as it would then (``create_connection`` closes
    its socket); if the code under test swallows it, the report still fails the test."""


def is_loopback(host: Any) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped, with a scope id) and ``localhost``; False for anything else."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        name = host.rstrip(".").lower()
        return name in LOOPBACK_NAMES or name.endswith(".localhost")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _allowed(family: Any, address: Any) -> bool:
    if getattr(socket, "AF_UNIX", None) is not None and family == socket.AF_UNIX:
        return True
    if isinstance(address, (str, bytes)):  # a Unix socket's path
        return True
    return isinstance(address, tuple) and bool(address) and is_loopback(address[0])


def _refuse(what: str, target: Any) -> None:
    message = (f"network guard: refused {what} {target!r} in process {os.getpid()}: tests may only reach "
               f"127.0.0.0/8, ::1 or Unix sockets (use the fakes in tests/fakes)")
    if _report is not None:
        with _lock, open(_report, "a", encoding="utf-8") as report:
            report.write(message + "\n")
    raise NetworkRefused(message)


def _check(sock: socket.socket, address: Any, what: str) -> None:
    if not _allowed(sock.family, address):
        _refuse(what, address)


def install(report: str | os.PathLike | None = None) -> None:
    """Guard this process's sockets; refusals are also appended to ``report`` (one line each)."""
    global _report
    _report = Path(report) if report else None
    if _saved:
        return
    _saved.update(connect=socket.socket.connect, connect_ex=socket.socket.connect_ex,
                  sendto=socket.socket.sendto, getaddrinfo=socket.getaddrinfo)

    def connect(self, address):
        _check(self, address, "a connection to")
        return _saved["connect"](self, address)

    def connect_ex(self, address):
        _check(self, address, "a connection to")
        return _saved["connect_ex"](self, address)

    def sendto(self, data, *args):
        _check(self, args[-1], "a datagram to")
        return _saved["sendto"](self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "", b"") and not _numeric(host) and not is_loopback(host):
            _refuse("looking up", host)
        return _saved["getaddrinfo"](host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo


def uninstall() -> None:
    """Give the process its sockets back."""
    global _report
    if _saved:
        socket.socket.connect = _saved["connect"]
        socket.socket.connect_ex = _saved["connect_ex"]
        socket.socket.sendto = _saved["sendto"]
        socket.getaddrinfo = _saved["getaddrinfo"]
        _saved.clear()
    _report = None


def installed() -> bool:
    return bool(_saved)


def _numeric(host: Any) -> bool:
    """An address, not a name: connecting to it is checked, looking it up sends nothing."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def guard_env(env: dict[str, str], report: str | os.PathLike | None = None) -> dict[str, str]:
    """``env`` for a Python process the tests start, with the guard installed at its start-up."""
    report = report if report is not None else _report
    guarded = dict(env)
    guarded[ENABLE_VAR] = "1"
    if report is not None:
        guarded[REPORT_VAR] = str(report)
    paths = [p for p in guarded.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(SITE_DIR) not in paths:
        guarded["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), *paths])
    return guarded


def install_from_environment() -> None:
    """Called by ``site/sitecustomize.py`` in a process the tests started."""
    if os.environ.get(ENABLE_VAR) == "1":
        install(os.environ.get(REPORT_VAR) or None)
