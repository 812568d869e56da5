"""`groupbot serve` as two real processes: the web server and the worker child it starts, wakes, restarts and stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.groupbot import GroupbotServer, query, wait_for
from tests.support.network_guard import guard_env
from tests.support.replies import comment


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue  # exited while we looked
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append((int(entry.name), cmdline))
    return found


def worker_of(server: GroupbotServer) -> int:
    """The pid of the serve process's worker child, once its loop runs."""
    pid = wait_for(lambda: next((pid for pid, cmd in children(server.process.pid) if " worker" in cmd), None))
    wait_for(lambda: "worker started" in server.log)
    return pid


def is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class TerminalServer(GroupbotServer):
    """`serve` leading its own process group, as in a terminal, where Ctrl-C reaches every process of it."""

    def start(self, timeout: float = 20.0) -> "TerminalServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", self.command, "--port", "0"], start_new_session=True,
            env=guard_env(self.env), cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        ready = threading.Event()
        self._reader = threading.Thread(target=self._pump, args=(ready,), daemon=True)
        self._reader.start()
        assert ready.wait(timeout), self.log
        return self


def suggested_replies(env: dict) -> list[tuple]:
    return query(env, "SELECT status, channel FROM replies ORDER BY id")


def test_serve_runs_the_worker_as_a_child_that_answers_a_signed_comment(server, server_env):
    worker = worker_of(server)
    assert worker != server.process.pid

    assert server.post_delivery(comment("hola, cual es su numero de telefono?", field="group_feed")).status_code == 200

    [(status, channel)] = wait_for(lambda: suggested_replies(server_env))
    assert (status, channel) == ("pending", "private_reply")
    # The console a person reads is the same as with one process.
    assert "groupbot serving on http://127.0.0.1:" in server.log and "dashboard: " in server.log
    assert "admin login: admin@localhost / " in server.log


def test_sigterm_stops_the_web_server_and_the_worker_cleanly(server, server_env):
    worker = worker_of(server)
    assert server.post_delivery(comment("where is your office?", field="group_feed")).status_code == 200
    wait_for(lambda: query(server_env, "SELECT count(*) FROM questions") == [(1,)])

    assert server.stop(signal.SIGTERM) == 0

    assert not is_running(worker)
    assert "worker stopped" in server.log and "groupbot stopped" in server.log
    assert "Traceback" not in server.log


def test_ctrl_c_stops_both_and_exits_zero(server):
    worker = worker_of(server)

    assert server.stop(signal.SIGINT) == 0

    assert not is_running(worker)
    assert "worker stopped" in server.log and "Traceback" not in server.log


def test_ctrl_c_in_a_terminal_stops_the_web_server_before_the_worker(workdir, server_env):
    server = TerminalServer(workdir, server_env).start()
    try:
        worker = worker_of(server)

        os.killpg(server.process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C

        assert server.process.wait(timeout=30) == 0
        wait_for(lambda: not is_running(worker))
        server._reader.join(timeout=5)
        assert "worker stopped" in server.log and "Traceback" not in server.log
        assert "restarting" not in server.log
    finally:
        server.stop(signal.SIGKILL)


def test_sigterm_to_the_whole_group_as_systemd_sends_it_is_not_taken_for_a_worker_crash(workdir, server_env):
    server = TerminalServer(workdir, server_env).start()
    try:
        worker = worker_of(server)

        os.killpg(server.process.pid, signal.SIGTERM)

        assert server.process.wait(timeout=30) == 0
        wait_for(lambda: not is_running(worker))
        server._reader.join(timeout=5)
        assert "groupbot stopped" in server.log and "Traceback" not in server.log
        assert "restarting" not in server.log
    finally:
        server.stop(signal.SIGKILL)


def test_the_worker_stops_by_itself_when_serve_is_killed(server):
    worker = worker_of(server)

    server.process.kill()
    server.process.wait(timeout=10)

    wait_for(lambda: not is_running(worker), timeout=10)
    assert "the serve process is gone" in server.log


def test_a_killed_worker_is_restarted_and_answers_what_arrived_meanwhile(server, server_env):
    first = worker_of(server)

    os.kill(first, signal.SIGKILL)
    wait_for(lambda: not is_running(first))
    assert server.post_delivery(comment("cuanto cobran por la consulta?", field="group_feed")).status_code == 200

    second = wait_for(lambda: next((pid for pid, cmd in children(server.process.pid)
                                    if " worker" in cmd and pid != first), None), timeout=15)
    assert is_running(second)
    wait_for(lambda: suggested_replies(server_env), timeout=15)
    assert f"worker process {first} was killed by signal {signal.SIGKILL}" in server.log
    assert "restarting it in" in server.log

    assert server.stop(signal.SIGTERM) == 0
    assert not is_running(second)


def test_web_alone_starts_no_worker(workdir, server_env, groupbot_server):
    web = groupbot_server(workdir, server_env, command="web")
    try:
        time.sleep(1)  # a child, had one been started, would be running by now
        assert children(web.process.pid) == []
    finally:
        assert web.stop() == 0
