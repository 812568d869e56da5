"""/webhooks/meta and /healthz against the real server: what Meta and an operator see."""

from __future__ import annotations

import json
import signal

import pytest
import requests

from bot.intake import signature
from tests.support import payloads as p
from tests.support.groupbot import APP_SECRET, VERIFY_TOKEN, GroupbotServer, query, wait_for


def questions(server: GroupbotServer) -> list[tuple]:
    return query(server.env, "SELECT external_id, source, text, author_name, status FROM questions ORDER BY id")


def deliveries(server: GroupbotServer) -> int:
    return query(server.env, "SELECT count(*) FROM deliveries")[0][0]


# -- the GET handshake -------------------------------------------------------------

def test_handshake_echoes_the_challenge_for_the_right_token(server):
    answer = requests.get(f"{server.url}/webhooks/meta", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert answer.status_code == 200 and answer.text == "1158201444"
    assert answer.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_handshake_refuses_a_wrong_token_or_mode(server, params):
    answer = requests.get(f"{server.url}/webhooks/meta", params=params)
    assert answer.status_code == 403 and "1" not in answer.text


# -- signed deliveries ---------------------------------------------------------------

def test_a_signed_comment_is_acknowledged_and_listed_as_a_question(server):
    answer = server.post_delivery(p.feed(p.comment_value("cual es su numero?", comment_id="777_1")))
    assert answer.status_code == 200
    rows = wait_for(lambda: questions(server))
    assert [row[:4] for row in rows] == [("777_1", "page_comment", "cual es su numero?", "Maria Lopez")]
    assert rows[0][4] in ("new", "suggested")  # the worker may already have suggested its reply


def test_an_unsigned_delivery_is_refused_and_nothing_is_stored(server):
    body = json.dumps(p.feed(p.comment_value())).encode()
    answer = requests.post(f"{server.url}/webhooks/meta", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 403
    assert deliveries(server) == 0


def test_a_wrong_signature_is_refused(server):
    answer = server.post_delivery(p.feed(p.comment_value()), secret="not-the-app-secret")
    assert answer.status_code == 403 and deliveries(server) == 0


def test_a_signature_over_other_bytes_is_refused(server):
    signed = json.dumps(p.feed(p.comment_value("original"))).encode()
    sent = json.dumps(p.feed(p.comment_value("tampered"))).encode()
    answer = requests.post(f"{server.url}/webhooks/meta", data=sent,
                           headers={signature.HEADER: signature.sign(signed, APP_SECRET)})
    assert answer.status_code == 403 and deliveries(server) == 0


def test_the_signature_covers_the_raw_bytes_not_reparsed_json(server):
    # Meta escapes non-ASCII; re-serialising would change the bytes and break the check.
    body = json.dumps(p.feed(p.comment_value("\u00bfcu\u00e1nto cobran?")), separators=(",", ":")).encode()
    assert server.post_delivery(body=body).status_code == 200
    assert wait_for(lambda: questions(server))[0][2] == "¿cuánto cobran?"


@pytest.mark.parametrize("body, status", [
    (b"this is not json", 400),
    (b"42", 400),
    (b'"a string"', 400),
    (b"\xff\xfe\x00garbage", 400),
])
def test_bodies_that_are_not_deliveries_get_400(server, body, status):
    assert server.post_delivery(body=body).status_code == status
    assert deliveries(server) == 0


def test_a_body_over_one_mebibyte_gets_413(server):
    body = json.dumps({"object": "page", "entry": [], "pad": "x" * (2 * 1024 * 1024)}).encode()
    assert server.post_delivery(body=body).status_code == 413
    assert deliveries(server) == 0


def test_the_same_delivery_three_times_gives_one_question(server):
    payload = p.feed(p.comment_value("hola", comment_id="777_dup"))
    for _ in range(3):
        assert server.post_delivery(payload).status_code == 200
    wait_for(lambda: query(server.env, "SELECT count(*) FROM deliveries WHERE status != 'new'")[0][0] == 3)
    assert [row[0] for row in questions(server)] == ["777_dup"]


def test_the_same_message_in_two_shapes_of_delivery_gives_one_question(server):
    server.post_delivery(p.message("hi", mid="m_same"))
    server.post_delivery([p.message("hi", mid="m_same")])
    wait_for(lambda: query(server.env, "SELECT count(*) FROM deliveries WHERE status != 'new'")[0][0] == 2)
    assert [row[0] for row in questions(server)] == ["m_same"]


def test_an_edit_that_arrives_before_nothing_else_changes_nothing_and_a_later_edit_updates(server):
    server.post_delivery(p.feed(p.comment_value("first words", comment_id="777_e")))
    wait_for(lambda: questions(server))
    server.post_delivery(p.feed(p.comment_value("second words", comment_id="777_e", verb="edited")))
    wait_for(lambda: questions(server)[0][2] == "second words")
    server.post_delivery(p.feed(p.comment_value("", comment_id="777_e", verb="remove")))
    wait_for(lambda: questions(server)[0][4] == "removed")


def test_events_in_one_delivery_are_handled_in_time_order(server):
    late = p.comment_value("I wrote this second", comment_id="1_late", created_time=1767225700)
    early = p.comment_value("I wrote this first", comment_id="1_early", created_time=1767225600)
    server.post_delivery(p.feed(late, early))
    rows = wait_for(lambda: questions(server))
    assert [row[0] for row in rows] == ["1_early", "1_late"]


def test_group_comments_in_both_documented_shapes_are_stored(server):
    server.post_delivery(p.group_feed_flat("hola flat", comment_id="900_a"))
    server.post_delivery(p.feed(p.comment_value("hola changes", comment_id="900_b"), field="group_feed"))
    rows = wait_for(lambda: len(questions(server)) == 2 and questions(server))
    assert {(r[0], r[1]) for r in rows} == {("900_a", "group_comment"), ("900_b", "group_comment")}


def test_the_pages_own_comments_and_echoes_are_not_questions(server):
    server.post_delivery(p.feed(p.comment_value("our own reply", author_id=p.PAGE_ID)))
    server.post_delivery(p.message("our own message", is_echo=True))
    server.post_delivery(p.message("a member", mid="m_member"))
    wait_for(lambda: questions(server))
    wait_for(lambda: query(server.env, "SELECT count(*) FROM deliveries WHERE status != 'new'")[0][0] == 3)
    assert [row[0] for row in questions(server)] == ["m_member"]


@pytest.mark.parametrize("text", [
    "¿Cuánto cuesta la consulta? 🙏🏽🇲🇽",
    "مرحبا، أحتاج إلى مساعدة في التأشيرة",
    "hola\u0000 con NUL",
    "e\u0301 combining accent and \u200f right-to-left mark",
])
def test_unusual_text_is_stored_intact_except_nul(server, text):
    server.post_delivery(p.message(text))
    stored = wait_for(lambda: questions(server))[0][2]
    assert stored == text.replace("\u0000", "")


def test_a_thousand_entry_batch_with_broken_entries_keeps_the_rest(server):
    values = [p.comment_value(f"question {n}", comment_id=f"big_{n}") for n in range(1000)]
    values[10] = None
    values[500] = {"item": "comment", "verb": "add", "message": "no id"}
    values[999]["comment_id"] = ""
    answer = server.post_delivery(p.feed(*values))
    assert answer.status_code == 200
    wait_for(lambda: len(questions(server)) == 997, timeout=20)
    row = query(server.env, "SELECT status, events, skipped FROM deliveries")[0]
    assert row == ("parsed", 997, 3)


def test_member_text_never_reaches_the_log(server):
    secret_words = "my A-number is A123456789 and I live at 1234 Main St"
    server.post_delivery(p.feed(p.comment_value(secret_words)))
    server.post_delivery(body=b"not json but private words")
    wait_for(lambda: questions(server))
    server.stop()
    assert "A123456789" not in server.log and "private words" not in server.log
    assert APP_SECRET not in server.log and VERIFY_TOKEN not in server.log


def test_sigkill_right_after_a_200_loses_nothing(workdir, server_env, groupbot_server):
    # The web process alone: nothing parses the delivery before the kill.
    web = groupbot_server(workdir, server_env, command="web")
    answers = [web.post_delivery(p.feed(p.comment_value(f"q{n}", comment_id=f"kill_{n}"))) for n in range(20)]
    web.kill()
    assert [a.status_code for a in answers] == [200] * 20
    restarted = groupbot_server(workdir, server_env)
    try:
        rows = wait_for(lambda: len(questions(restarted)) == 20 and questions(restarted))
        assert sorted(r[0] for r in rows) == sorted(f"kill_{n}" for n in range(20))
    finally:
        restarted.stop()


def test_sigterm_stops_the_server_cleanly(server):
    assert server.stop(signal.SIGTERM) == 0
    assert "groupbot stopped" in server.log


# -- health ----------------------------------------------------------------------------

def test_healthz_is_200_with_the_database_reachable(server):
    answer = requests.get(f"{server.url}/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
