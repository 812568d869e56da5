"""What `groupbot` prints: stored text cannot drive the terminal, pipes may close early, usage lists actions."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.cli.common import json_line, printable
from tests.support import payloads as p
from tests.support.groupbot import query, run_cli, wait_for

HOSTILE_NAME = "Eve\x1b]0;pwned\x07\r\n#9     2026-01-01  forged row\x1b[2J\u202eevil"
HOSTILE_TEXT = "hola\x1b[31m red\x9b2J\x00?"


def cli_bytes(*args: str, env: dict, cwd) -> subprocess.CompletedProcess:
    """Run `groupbot ARGS` and keep its output as bytes: text mode would turn CR into LF."""
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True, timeout=60)


def test_json_line_escapes_every_control_character_and_stays_the_same_json():
    value = {"name": HOSTILE_NAME, "text": HOSTILE_TEXT, "n": 1}
    line = json_line(value)
    assert json.loads(line) == value
    assert "\n" not in line and all(ch not in line for ch in "\x1b\x9b\u202e\x7f")


def test_printable_escapes_control_characters_and_keeps_other_text():
    assert printable("Ana\x1b]0;x\x07\r\n\t\x7f\x85\u202e") == "Ana\\x1b]0;x\\x07\\r\\n\\t\\x7f\\x85\\u202e"
    assert printable("José Núñez 李 🙂 \"quoted\"") == "José Núñez 李 🙂 \"quoted\""
    assert printable(42) == "42"


def test_list_questions_cannot_forge_rows_or_drive_the_terminal(server, workdir):
    delivery = p.feed(p.comment_value(HOSTILE_TEXT, comment_id="1_evil", name=HOSTILE_NAME),
                      p.comment_value("plain question", comment_id="1_plain"))
    assert server.post_delivery(delivery).status_code == 200
    wait_for(lambda: query(server.env, "SELECT count(*) FROM questions")[0][0] == 2)
    listed = cli_bytes("list", "questions", env=server.env, cwd=workdir)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3  # two rows, no forged third
    for byte in (b"\x1b", b"\r", b"\x07", b"\x00", "\u202e".encode(), "\x9b".encode()):
        assert byte not in listed.stdout
    assert b"Eve\\x1b]0;pwned\\x07\\r\\n#9" in listed.stdout


def test_list_json_keeps_the_stored_text_exactly(server, workdir):
    assert server.post_delivery(p.feed(p.comment_value(HOSTILE_TEXT, comment_id="1_evil",
                                                       name=HOSTILE_NAME))).status_code == 200
    wait_for(lambda: query(server.env, "SELECT count(*) FROM questions")[0][0] == 1)
    listed = cli_bytes("list", "questions", "--json", env=server.env, cwd=workdir)
    assert listed.returncode == 0
    for byte in (b"\x1b", b"\r", b"\x07", "\x9b".encode(), "\u202e".encode()):
        assert byte not in listed.stdout  # json leaves C1 and bidi controls raw; groupbot escapes them too
    [line] = listed.stdout.decode().splitlines()
    row = json.loads(line)
    assert row["author_name"] == HOSTILE_NAME
    assert row["text"] == HOSTILE_TEXT.replace("\x00", "")


def test_admin_list_escapes_what_it_prints(store, settings, workdir, base_env):
    store.accounts.insert_admin("x\x1b]0;t\x07@example.test", "hash", 1_800_000_000.0)
    listed = cli_bytes("admin", "list", env=base_env(settings.data_dir), cwd=workdir)
    assert listed.returncode == 0 and b"\x1b" not in listed.stdout and b"x\\x1b]0;t\\x07@" in listed.stdout


def test_a_reader_that_stops_early_gets_no_traceback(server, workdir):
    for n in range(3):
        server.post_delivery(p.feed(p.comment_value(f"question {n}", comment_id=f"1_{n}")))
    wait_for(lambda: query(server.env, "SELECT count(*) FROM questions")[0][0] == 3)
    # `| head -1` as the shell runs it: the reader exits after one line.
    piped = subprocess.run(f'"{sys.executable}" -m bot.cli list questions | head -1', shell=True, env=server.env,
                           cwd=workdir, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stdout.startswith("#")
    assert piped.stderr == ""


def test_a_closed_pipe_ends_quietly_with_the_sigpipe_code(server, workdir):
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "list", "questions", "--limit", "5"],
                               env=server.env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # before it prints anything: its first write meets a closed pipe
    _, errors = process.communicate(timeout=60)
    assert errors == b""
    assert process.returncode == 141


def test_admin_without_an_action_lists_its_actions(workdir, server_env):
    result = run_cli("admin", env=server_env, cwd=workdir)
    assert result.returncode == 2
    for action, words in (("add", "create an admin"), ("list", "show the admins"), ("remove", "delete an admin")):
        assert action in result.stderr and words in result.stderr
