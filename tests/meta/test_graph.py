"""GraphClient against the fake Graph API on a local HTTP server."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
from datetime import datetime, timedelta, timezone

import pytest
import requests

from bot.meta.client import (
    GraphAlreadyReplied,
    GraphAuthError,
    GraphBadRequest,
    GraphClient,
    GraphDuplicatePost,
    GraphError,
    GraphOutcomeUnknown,
    GraphPermissionError,
    GraphPolicyBlocked,
    GraphRateLimited,
    GraphTransient,
    error_from_response,
)
from bot.meta.errors import retry_after_from_headers
from tests.fakes.fake_graph import FakeGraph

BLOG_LINK = "https://blog.example.com/2026/us-mexico-bilateral-action"
NOW = datetime.now(timezone.utc)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(fake: FakeGraph, sleeps: list[float], **overrides) -> GraphClient:
    options = dict(base_url=fake.url, version="v26.0", page_id=fake.page_id, page_token=fake.token,
                   app_secret=fake.app_secret, app_id=fake.app_id, timeout=0.3, sleep=sleeps.append)
    return GraphClient(**{**options, **overrides})


@pytest.fixture
def client(fake, sleeps) -> GraphClient:
    return make_client(fake, sleeps)


def calls_to(fake: FakeGraph, method: str, suffix: str) -> list[dict]:
    return [r for r in fake.requests if r["method"] == method and r["path"].endswith(suffix)]


# -- happy paths ---------------------------------------------------------------------------------

def test_publish_post_puts_message_and_link_on_the_page(fake, client):
    post_id = client.publish_post("New on the blog", BLOG_LINK)
    assert post_id.startswith(f"{fake.page_id}_")
    assert [(p["id"], p["message"], p["link"]) for p in fake.posts] == [
        (post_id, "New on the blog", BLOG_LINK)]


def test_recent_posts_lists_newest_first_with_every_link(fake, client):
    fake.add_post("Older post", created_time=NOW - timedelta(days=2))
    client.publish_post("Read this, then see https://firm.example/covid-19.", BLOG_LINK)
    posts = client.recent_posts(limit=10)
    assert [p["message"][:10] for p in posts] == ["Read this,", "Older post"]
    assert BLOG_LINK in posts[0]["links"] and "https://firm.example/covid-19" in posts[0]["links"]
    assert posts[1]["links"] == []
    assert posts[0]["permalink_url"].endswith(posts[0]["id"])


def test_private_reply_reaches_the_commenter(fake, client):
    fake.add_comment("555_777", from_id="24000000000001")
    message_id = client.private_reply("555_777", "Hola, llamenos al 619-819-9204")
    assert message_id.startswith("m_")
    [sent] = fake.messages
    assert (sent["kind"], sent["comment_id"]) == ("private_reply", "555_777")
    assert sent["recipient_id"] == "24000000000001"
    assert sent["text"] == "Hola, llamenos al 619-819-9204"


def test_reply_to_comment_posts_a_public_reply(fake, client):
    reply_id = client.reply_to_comment("555_777", "See our resource center")
    assert fake.comment_replies == [
        {"id": reply_id, "parent_id": "555_777", "message": "See our resource center"}]


def test_send_message_answers_inside_the_window(fake, client):
    fake.user_messaged("7001", at=NOW - timedelta(hours=2))
    message_id = client.send_message("7001", "Thanks for writing", metadata="reply:42")
    [sent] = fake.messages
    assert sent["message_id"] == message_id
    assert (sent["messaging_type"], sent["metadata"]) == ("RESPONSE", "reply:42")
    assert sent["text"] == "Thanks for writing"


def test_hide_and_unhide_comment(fake, client):
    client.hide_comment("555_1")
    assert fake.hidden == {"555_1": True}
    client.hide_comment("555_1", hidden=False)
    assert fake.hidden == {"555_1": False}


def test_can_reply_privately_follows_the_seven_day_and_once_rules(fake, client):
    fake.add_comment("old", created_time=NOW - timedelta(days=8))
    assert client.can_reply_privately("fresh") is True
    assert client.can_reply_privately("old") is False
    client.private_reply("fresh", "hi")
    assert client.can_reply_privately("fresh") is False


def test_subscription_is_read_restored_and_matched_by_app_id(fake, client, sleeps):
    assert client.subscribed_fields() == ["feed", "messages", "group_feed"]
    fake.drop_subscription()
    assert client.subscribed_fields() == []
    client.subscribe(["feed", "messages", "group_feed"])
    assert fake.subscribed_fields == ["feed", "messages", "group_feed"]
    assert make_client(fake, sleeps, app_id="someone-else").subscribed_fields() == []


def test_debug_token_uses_the_app_token_when_app_id_is_known(fake, client, sleeps):
    data = client.debug_token()
    assert (data["is_valid"], data["expires_at"]) == (True, 0)
    assert "pages_messaging" in data["scopes"]
    [call] = calls_to(fake, "GET", "/debug_token")
    assert call["access_token"] == f"{fake.app_id}|{fake.app_secret}"
    assert call["params"]["input_token"] == fake.token
    make_client(fake, sleeps, app_id=None).debug_token()
    assert calls_to(fake, "GET", "/debug_token")[-1]["access_token"] == fake.token


# -- Meta's rules, through the fake --------------------------------------------------------------

def test_second_private_reply_means_already_done(client):
    client.private_reply("555_9", "first")
    with pytest.raises(GraphAlreadyReplied):
        client.private_reply("555_9", "second")


def test_private_reply_after_seven_days_is_refused(fake, client):
    fake.add_comment("555_old", created_time=NOW - timedelta(days=7, hours=1))
    with pytest.raises(GraphBadRequest) as caught:
        client.private_reply("555_old", "too late")
    assert (caught.value.code, caught.value.subcode) == (100, 2534025)
    assert fake.messages == []


@pytest.mark.parametrize("last_message", [None, NOW - timedelta(hours=25)])
def test_messenger_send_outside_24_hours_is_refused(fake, client, last_message):
    if last_message:
        fake.user_messaged("7002", at=last_message)
    with pytest.raises(GraphPermissionError) as caught:
        client.send_message("7002", "late answer")
    assert caught.value.outside_window is True
    assert fake.messages == []


@pytest.mark.parametrize("send", [
    lambda c: c.send_message("7003", "x" * 2001),
    lambda c: c.private_reply("555_1", "y" * 2001),
    lambda c: c.send_message("7003", "ok", metadata="m" * 1001),
    lambda c: c.send_message("7003", "   "),
])
def test_oversized_or_empty_messenger_text_is_never_sent(fake, client, send):
    fake.user_messaged("7003")
    with pytest.raises(GraphBadRequest):
        send(client)
    assert fake.requests == []


def test_same_post_twice_in_a_row_is_a_duplicate(fake, client):
    client.publish_post("Weekly update", None)
    with pytest.raises(GraphDuplicatePost):
        client.publish_post("Weekly update", None)
    assert len(fake.posts) == 1


def test_expired_token_fails_every_call_with_auth_error(fake, client):
    fake.expire_token()
    for call in (client.recent_posts, client.subscribed_fields, lambda: client.publish_post("x", None)):
        with pytest.raises(GraphAuthError) as caught:
            call()
        assert (caught.value.code, caught.value.subcode) == (190, 463)
    assert client.debug_token()["is_valid"] is False  # the app token still works and says why


def test_wrong_token_and_wrong_app_secret_are_refused(fake, sleeps):
    with pytest.raises(GraphAuthError):
        make_client(fake, sleeps, page_token="not-the-token").recent_posts()
    with pytest.raises(GraphBadRequest, match="appsecret_proof"):
        make_client(fake, sleeps, app_secret="not-the-secret").recent_posts()
    assert fake.posts == []


# -- faults -> exception classes -----------------------------------------------------------------

FAULT_TABLE = [
    # A creating POST answered 500 with code 1 or 2 may have been published all the same.
    ({"kind": "graph_error", "code": 2}, GraphOutcomeUnknown),
    ({"kind": "graph_error", "code": 1}, GraphOutcomeUnknown),
    ({"kind": "bad_gateway"}, GraphOutcomeUnknown),
    ({"kind": "timeout", "delay": 1.0}, GraphOutcomeUnknown),
    ({"kind": "reset"}, GraphOutcomeUnknown),
    ({"kind": "lost_answer"}, GraphOutcomeUnknown),
    ({"kind": "truncated"}, GraphOutcomeUnknown),
    *[({"kind": "graph_error", "code": code}, GraphRateLimited)
      for code in (4, 17, 32, 341, 613, 80001, 80006)],
    ({"kind": "graph_error", "code": 613, "subcode": 2534040}, GraphRateLimited),
    ({"kind": "graph_error", "code": 190, "subcode": 460}, GraphAuthError),
    ({"kind": "graph_error", "code": 102}, GraphAuthError),
    *[({"kind": "graph_error", "code": code}, GraphPermissionError) for code in (3, 10, 200, 299, 551)],
    ({"kind": "graph_error", "code": 368}, GraphPolicyBlocked),
    ({"kind": "graph_error", "code": 506}, GraphDuplicatePost),
    ({"kind": "graph_error", "code": 10900}, GraphAlreadyReplied),
    *[({"kind": "graph_error", "code": code}, GraphBadRequest)
      for code in (100, 1609005, 1705, 10903, 12345)],
]


FAULT_IDS = [f"{f['kind']}-{f.get('code', '')}-{f.get('subcode', '')}" for f, _ in FAULT_TABLE]


@pytest.mark.parametrize("fault, expected", FAULT_TABLE, ids=FAULT_IDS)
def test_fault_maps_to_exception_class(fake, sleeps, fault, expected):
    fake.fault(path="/feed", **fault)
    with pytest.raises(GraphError) as caught:
        make_client(fake, sleeps, attempts=1).publish_post("Hello", None)
    assert type(caught.value) is expected
    if fault["kind"] == "graph_error":
        assert caught.value.code == fault["code"] and caught.value.fbtrace_id


def test_transient_errors_on_reads_are_retried_inline(fake, client, sleeps):
    fake.add_post("Already on the Page", BLOG_LINK)
    fake.fault("graph_error", method="GET", path="/posts", code=2, times=2)
    [post] = client.recent_posts()
    assert BLOG_LINK in post["links"]
    assert len(calls_to(fake, "GET", "/posts")) == 3
    assert len(sleeps) == 2 and all(0 < s <= 10 for s in sleeps)


def test_a_post_that_changes_nothing_new_is_retried_inline(fake, client, sleeps):
    fake.fault("graph_error", method="POST", path="/555_9", code=1)
    client.hide_comment("555_9")
    assert fake.hidden == {"555_9": True}
    assert len(calls_to(fake, "POST", "/555_9")) == 2


def test_transient_errors_give_up_after_the_attempts(fake, client):
    fake.fault("graph_error", method="GET", path="/subscribed_apps", code=1, times=5)
    with pytest.raises(GraphTransient):
        client.subscribed_fields()
    assert len(calls_to(fake, "GET", "/subscribed_apps")) == 3


@pytest.mark.parametrize("code", [1, 2])
def test_a_post_meta_published_but_answered_500_is_not_repeated(fake, client, code):
    fake.fault("graph_error", path="/feed", code=code, applied=True)
    with pytest.raises(GraphOutcomeUnknown) as caught:
        client.publish_post("Published despite the error", BLOG_LINK)
    assert caught.value.code == code and caught.value.http_status == 500
    assert len(calls_to(fake, "POST", "/feed")) == 1 and len(fake.posts) == 1


@pytest.mark.parametrize("send", [
    lambda c: c.send_message("7004", "hi"),
    lambda c: c.private_reply("555_3", "hi"),
    lambda c: c.reply_to_comment("555_4", "hi"),
], ids=["message", "private_reply", "comment_reply"])
def test_a_creating_call_answered_code_2_is_not_retried_inline(fake, client, send):
    fake.user_messaged("7004")
    fake.fault("graph_error", method="POST", code=2, applied=True)
    with pytest.raises(GraphOutcomeUnknown):
        send(client)
    assert len([r for r in fake.requests if r["method"] == "POST"]) == 1
    assert len(fake.messages) + len(fake.comment_replies) == 1


def test_the_conversation_shows_what_the_page_sent_to_a_user(fake, client):
    fake.user_messaged("7004")
    client.send_message("7004", "first answer")
    client.send_message("7004", "second answer")
    messages = client.conversation_messages("7004")
    assert [m["message"] for m in messages] == ["second answer", "first answer"]
    assert all(m["from"]["id"] == fake.page_id and m["created_time"] for m in messages)
    assert client.conversation_messages("7005") == []


@pytest.mark.parametrize("kind", ["lost_answer", "reset", "bad_gateway", "truncated"])
def test_create_call_with_unknown_outcome_is_not_retried(fake, client, kind):
    fake.fault(kind, path="/feed")
    with pytest.raises(GraphOutcomeUnknown):
        client.publish_post("Maybe posted", BLOG_LINK)
    assert len(calls_to(fake, "POST", "/feed")) == 1
    assert len(fake.posts) == (0 if kind in ("reset", "bad_gateway") else 1)


def test_lost_private_reply_is_not_sent_twice(fake, client):
    fake.fault("lost_answer", path="/messages")
    with pytest.raises(GraphOutcomeUnknown):
        client.private_reply("555_2", "hi")
    assert len(fake.messages) == 1


@pytest.mark.parametrize("kind, extra", [("reset", {}), ("timeout", {"delay": 1.0}), ("bad_gateway", {})])
def test_reads_and_idempotent_calls_retry_unknown_outcomes(fake, client, kind, extra):
    fake.add_post("Still here")
    fake.fault(kind, method="GET", path="/posts", **extra)
    fake.fault(kind, method="POST", path="/555_3", **extra)
    assert [p["message"] for p in client.recent_posts()] == ["Still here"]
    client.hide_comment("555_3")
    assert fake.hidden == {"555_3": True}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_is_transient_and_retried(sleeps):
    client = GraphClient(base_url=f"http://127.0.0.1:{closed_port()}", version="v26.0", page_id="1",
                         page_token="t", app_secret="s", sleep=sleeps.append)
    with pytest.raises(GraphTransient) as caught:
        client.publish_post("never sent", None)
    assert not isinstance(caught.value, GraphOutcomeUnknown)
    assert len(sleeps) == 2


# -- rate limits ---------------------------------------------------------------------------------

def test_short_advertised_wait_is_honoured_inline(fake, client, sleeps):
    fake.fault("graph_error", path="/feed", code=80001, regain_minutes=0.1)
    client.publish_post("After the wait", None)
    assert sleeps == [pytest.approx(6.0)]
    assert len(fake.posts) == 1


def test_long_advertised_wait_goes_back_to_the_caller(fake, client, sleeps):
    fake.fault("graph_error", path="/messages", code=80006, regain_minutes=5)
    fake.user_messaged("7005")
    with pytest.raises(GraphRateLimited) as caught:
        client.send_message("7005", "hi")
    assert caught.value.retry_after == 300.0
    assert sleeps == [] and len(calls_to(fake, "POST", "/messages")) == 1


def test_rate_limit_without_advertised_wait_defaults_to_a_minute(fake, client):
    fake.fault("graph_error", path="/feed", code=4)
    with pytest.raises(GraphRateLimited) as caught:
        client.publish_post("x", None)
    assert caught.value.retry_after == 60.0


def response(status: int, body: bytes, headers: dict | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content = status, body
    resp.headers.update(headers or {})
    return resp


@pytest.mark.parametrize("resp, expected", [
    (response(200, b'{"id": "1_2"}'), None),
    (response(200, b'{"id": "1_'), GraphOutcomeUnknown),
    (response(200, b"[]"), GraphOutcomeUnknown),
    (response(503, b"Service Unavailable"), GraphOutcomeUnknown),
    (response(500, b'{"error": {"message": "oops", "code": 99999}}'), GraphTransient),
    (response(429, b""), GraphRateLimited),
    (response(404, b"<html>not found</html>"), GraphBadRequest),
    (response(400, b'{"error": {"message": "window", "code": 10, "error_subcode": 2534022}}'),
     GraphPermissionError),
])
def test_error_from_response_table(resp, expected):
    error = error_from_response(resp)
    assert (type(error) if error else None) is expected
    if isinstance(error, GraphPermissionError):
        assert error.outside_window


def test_rate_limit_wait_is_read_for_our_page():
    buc = {"999": [{"type": "pages", "estimated_time_to_regain_access": 30}],
           "104": [{"type": "messenger", "estimated_time_to_regain_access": 2}]}
    body = b'{"error": {"message": "limit", "code": 80001}}'
    resp = response(400, body, {"X-Business-Use-Case-Usage": json.dumps(buc)})
    assert error_from_response(resp).retry_after == 1800.0  # without a page id: the longest wait
    assert retry_after_from_headers(resp.headers, "104") == 120.0


# -- secrets -------------------------------------------------------------------------------------

def test_every_call_carries_a_correct_appsecret_proof(fake, client):
    fake.user_messaged("7006")
    client.publish_post("p", None)
    client.recent_posts()
    client.send_message("7006", "m")
    client.debug_token()
    assert len(fake.requests) == 4
    for request in fake.requests:
        token = request["access_token"]
        expected = hmac.new(fake.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        assert request["appsecret_proof"] == expected
    posts = calls_to(fake, "POST", "/feed") + calls_to(fake, "POST", "/messages")
    assert all("access_token" not in r["query"] for r in posts)  # POST tokens stay out of URLs


def test_tokens_secrets_and_member_text_never_reach_the_logs(fake, client, caplog):
    caplog.set_level(logging.DEBUG)
    member_text = "Mi numero A es 123-456-789"
    fake.user_messaged("7007")
    client.send_message("7007", member_text)
    client.recent_posts()
    client.debug_token()
    fake.fault("graph_error", path="/feed", code=190, subcode=463)
    fake.fault("reset", method="GET", path="/posts")
    with pytest.raises(GraphAuthError):
        client.publish_post(member_text, None)
    client.recent_posts()
    unreachable = make_client(fake, [], base_url=f"http://127.0.0.1:{closed_port()}")
    try:
        unreachable.debug_token()  # requests' error names the URL, and this URL holds both tokens
    except GraphTransient:
        logging.getLogger("caller").exception("doctor failed")  # what a caller's error log prints
    assert "Traceback" in caplog.text
    proof = hmac.new(fake.app_secret.encode(), fake.token.encode(), hashlib.sha256).hexdigest()
    assert "graph POST" in caplog.text and "GraphAuthError" in caplog.text
    for secret in (fake.token, fake.app_secret, proof, member_text, member_text[:12]):
        assert secret not in caplog.text
