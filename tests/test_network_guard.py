"""The network guard: nothing in the tests, nor in the processes they start, reaches past 127.0.0.1."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import threading

import pytest

from tests.support.groupbot import run_cli
from tests.support.network_guard import NetworkRefused, is_loopback

TEST_NET = "192.0.2.1"  # TEST-NET-1 (RFC 5737): documentation only, never routed


@pytest.fixture
def listener():
    """A TCP server on 127.0.0.1 that reads what one client sends."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve():
        conn, _ = server.accept()
        with conn:
            received.append(conn.recv(100))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received, thread
    server.close()
    thread.join(timeout=5)


@pytest.mark.parametrize("host, allowed", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True), ("localhost", True),
    (TEST_NET, False), ("10.0.0.1", False), ("0.0.0.0", False), ("2001:db8::1", False), ("graph.facebook.com", False),
])
def test_only_loopback_counts_as_loopback(host, allowed):
    assert is_loopback(host) is allowed


def test_a_connection_outside_loopback_is_refused_before_anything_is_sent(network_guard):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Non-blocking, a connect that reached the kernel would send its SYN and raise BlockingIOError
        # (EINPROGRESS); the guard raises before that, and the socket stays unconnected.
        sock.setblocking(False)
        with pytest.raises(NetworkRefused, match=f"refused a connection to \\('{TEST_NET}', 9\\)"):
            sock.connect((TEST_NET, 9))
        with pytest.raises(NetworkRefused):
            sock.connect_ex((TEST_NET, 9))
        with pytest.raises(OSError) as unconnected:
            sock.getpeername()
        assert unconnected.value.errno == errno.ENOTCONN
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(NetworkRefused):
        udp.sendto(b"x", (TEST_NET, 53))
    with pytest.raises(NetworkRefused, match="looking up 'graph.facebook.com'"):
        socket.getaddrinfo("graph.facebook.com", 443)

    assert len(network_guard.take()) == 4  # taken here, so they do not fail this test


def test_loopback_and_unix_sockets_are_allowed(listener, tmp_path):
    port, received, thread = listener
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"hello")
    thread.join(timeout=5)
    assert received == [b"hello"]

    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(path)
        server.listen()
        client.connect(path)
    assert socket.getaddrinfo("localhost", port)


def test_a_process_the_tests_start_is_guarded_too(network_guard, base_env, listener, tmp_path):
    port, received, thread = listener
    env = base_env(tmp_path / "var")
    reach = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).sendall(b'hi')"

    refused = subprocess.run([sys.executable, "-c", reach, TEST_NET, "9"], env=env, capture_output=True, text=True,
                             timeout=60)
    allowed = subprocess.run([sys.executable, "-c", reach, "127.0.0.1", str(port)], env=env, capture_output=True,
                             text=True, timeout=60)

    assert refused.returncode == 1 and "NetworkRefused: network guard: refused a connection to" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    thread.join(timeout=5)
    assert received == [b"hi"]
    [line] = network_guard.take()
    assert f"refused a connection to ('{TEST_NET}', 9)" in line and f"in process {os.getpid()}:" not in line


def test_groupbot_itself_is_guarded_when_a_test_runs_it(network_guard, base_env, tmp_path):
    sent = run_cli("simulate", "message", "hi", "--url", f"http://{TEST_NET}:9/webhooks/meta",
                   env=base_env(tmp_path / "var"), cwd=tmp_path)

    assert sent.returncode != 0
    [line] = network_guard.take()
    assert f"refused a connection to ('{TEST_NET}', 9)" in line


def test_a_refusal_the_code_swallowed_still_fails_the_test(network_guard):
    try:
        socket.create_connection((TEST_NET, 9), timeout=5)
    except Exception:  # what careless code under test might do
        pass

    with pytest.raises(pytest.fail.Exception, match="refused a connection during this test"):
        network_guard.fail_on_refusals("during this test")
