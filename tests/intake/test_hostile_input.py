"""Hostile values in signed deliveries and dashboard URLs: refused or skipped, never a 500."""

from __future__ import annotations

import json
import re

import pytest
import requests

from bot.intake.events import BadPayload, decode_body, parse_delivery
from tests.support import payloads as p
from tests.support.groupbot import GroupbotServer, query, run_cli, wait_for

TABS = ("pending", "sent", "failed", "all")


def first_admin(server: GroupbotServer) -> tuple[str, str]:
    # Printed just after the "serving on" line that start() waits for.
    match = wait_for(lambda: re.search(r"admin login: (\S+) / (\S+) ", server.log))
    return match.group(1), match.group(2)


def signed_in(server: GroupbotServer) -> requests.Session:
    email, password = first_admin(server)
    session = requests.Session()
    page = session.get(f"{server.url}/admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(f"{server.url}/admin/login", timeout=10,
                          data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 200 and "/admin/login" not in answer.url
    return session


def comment_with_time(external_id: str, created_time: str) -> str:
    """A comment whose created_time is raw JSON text (1e400 cannot be written by json.dumps)."""
    value = p.comment_value(f"text of {external_id}", comment_id=external_id)
    value["created_time"] = "@TIME@"
    return json.dumps({"field": "feed", "value": value}).replace('"@TIME@"', created_time)


def batch_body(*changes: str) -> bytes:
    entry = f'{{"id": "{p.PAGE_ID}", "time": 1767225600, "changes": [{", ".join(changes)}]}}'
    return f'{{"object": "page", "entry": [{entry}]}}'.encode()


# -- the parser ------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan"), 10**400, -5, 0, 1e30,
                                 4_200_000_000, "9999-01-01T00:00:00+0000", "1900-01-01T00:00:00+0000"])
def test_a_time_outside_2000_to_2100_skips_the_item_as_a_problem(bad):
    payload = p.feed(p.comment_value("bad", comment_id="1_bad", created_time=bad), p.comment_value("good"))
    result = parse_delivery(payload)
    assert [event.text for event in result.events] == ["good"]
    assert len(result.problems) == 1 and "time" in result.problems[0]


@pytest.mark.parametrize("bad", [float("inf"), 10**400, 1])
def test_a_bad_entry_time_skips_that_entry_only(bad):
    payload = p.feed(p.comment_value("first"))
    payload["entry"].append({"id": p.PAGE_ID, "time": bad, "changes": [{"field": "feed", "value": p.comment_value(
        "second", comment_id="2_2")}]})
    result = parse_delivery(payload)
    assert [event.text for event in result.events] == ["first"]
    assert result.problems == ["entry[1]: time out of range (not between 2000 and 2100)"]


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), 10**400, 12])
def test_a_message_or_postback_with_a_bad_timestamp_is_skipped(bad):
    item = p.message("hola", mid="m.bad")["entry"][0]["messaging"][0]
    item["timestamp"] = bad
    postback = {"sender": {"id": "7770001"}, "recipient": {"id": p.PAGE_ID}, "timestamp": bad,
                "postback": {"title": "Start", "payload": "GET_STARTED"}}
    payload = p.message("fine", mid="m.good")
    payload["entry"][0]["messaging"] += [item, postback]
    result = parse_delivery(payload)
    assert [event.text for event in result.events] == ["fine"]
    assert len(result.problems) == 2


def test_a_body_nested_too_deeply_is_a_bad_payload():
    with pytest.raises(BadPayload, match="nested too deeply"):
        decode_body(b"[" * 100_000 + b"]" * 100_000)


# -- the real server -----------------------------------------------------------------

def test_infinite_times_leave_the_rest_of_the_batch_and_every_page_working(server, workdir):
    body = batch_body(comment_with_time("1_e400", "1e400"), comment_with_time("1_inf", "Infinity"),
                      comment_with_time("1_nan", "NaN"), comment_with_time("1_neg", "-1e400"),
                      comment_with_time("1_good", "1767225590"))
    assert server.post_delivery(body=body).status_code == 200
    messenger = p.message("hola", mid="m.inf")
    messenger["entry"][0]["messaging"].append(
        {**messenger["entry"][0]["messaging"][0], "timestamp": "@T@", "message": {"mid": "m.bad", "text": "x"}})
    raw = json.dumps(messenger).replace('"@T@"', "1e400").encode()
    assert server.post_delivery(body=raw).status_code == 200
    stored = wait_for(lambda: len(query(server.env, "SELECT external_id FROM questions")) == 2
                      and query(server.env, "SELECT external_id FROM questions ORDER BY external_id"))
    assert [row[0] for row in stored] == ["1_good", "m.inf"]
    session = signed_in(server)
    for tab in TABS:
        page = session.get(f"{server.url}/admin/", params={"show": tab}, timeout=10)
        assert page.status_code == 200, tab
    listed = run_cli("list", "questions", env=server.env, cwd=workdir)
    assert listed.returncode == 0, listed.stderr
    assert "1_good" not in listed.stderr and "Traceback" not in listed.stderr
    assert len(listed.stdout.splitlines()) == 2


def test_a_body_nested_100k_deep_is_a_400(server):
    answer = server.post_delivery(body=b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400 and "nested" in answer.text
    assert query(server.env, "SELECT count(*) FROM deliveries")[0][0] == 0
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


@pytest.mark.parametrize("path", [
    "/admin/?show=all&after=1,9223372036854775808",
    "/admin/?show=all&before=1e400,1",
    "/admin/?show=sent&after=nan,1",
    "/admin/audit?after=1,2,3",
    "/admin/posts?before=yesterday",
    "/admin/replies/9223372036854775808/status",
    "/admin/replies/99999999999999999999999999/status",
])
def test_numbers_too_large_for_the_database_or_malformed_in_dashboard_urls_are_404(server, path):
    session = signed_in(server)
    assert session.get(f"{server.url}{path}", timeout=10).status_code == 404


def test_large_but_valid_numbers_still_work(server):
    session = signed_in(server)
    assert session.get(f"{server.url}/admin/?show=all&after=1000000.5,9223372036854775807",
                       timeout=10).status_code == 200
    assert session.get(f"{server.url}/admin/replies/9223372036854775807/status", timeout=10).status_code == 404
