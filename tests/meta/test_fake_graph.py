"""The fake Graph API itself: Meta-shaped answers, and the same controls in-thread and out of process."""
from __future__ import annotations

import json

import pytest
import requests

from bot.meta.client import GraphClient, GraphDuplicatePost, GraphRateLimited
from tests.fakes.fake_graph import FakeGraphProcess, RemoteFakeGraph


def client_for(url: str, fake, version: str = "v26.0") -> GraphClient:
    return GraphClient(base_url=url, version=version, page_id=fake.page_id, page_token=fake.token,
                       app_secret=fake.app_secret, app_id=fake.app_id, sleep=lambda _: None)


def test_errors_and_usage_headers_look_like_meta(fake):
    resp = requests.get(f"{fake.url}/v26.0/{fake.page_id}/posts", params={"access_token": "wrong"}, timeout=5)
    error = resp.json()["error"]
    assert resp.status_code == 400
    assert (error["type"], error["code"]) == ("OAuthException", 190) and error["fbtrace_id"]
    assert json.loads(resp.headers["X-App-Usage"])["call_count"] >= 0
    assert fake.page_id in json.loads(resp.headers["X-Business-Use-Case-Usage"])


@pytest.mark.parametrize("version", ["", "v21.0", "v26.0"])
def test_any_version_prefix_or_none_is_accepted(fake, version):
    client_for(fake.url, fake, version).publish_post("Hello", None)
    assert fake.requests[0]["path"] == f"/{fake.page_id}/feed"
    assert fake.requests[0]["version"] == (version or None)


def test_remote_controls_drive_an_in_thread_fake(fake):
    remote = RemoteFakeGraph(fake.url)
    remote.fault("graph_error", path="/feed", code=506)
    with pytest.raises(GraphDuplicatePost):
        client_for(fake.url, fake).publish_post("Hello", None)
    assert [r["path"] for r in remote.requests] == [f"/{fake.page_id}/feed"]
    remote.reset()
    assert fake.requests == [] and fake.posts == []


def test_control_api_rejects_unknown_operations(fake):
    assert requests.post(f"{fake.url}/_fake/nonsense", json={}, timeout=5).status_code == 400
    assert requests.post(f"{fake.url}/_fake/fault", json={"kind": "meteor"}, timeout=5).status_code == 400


def test_fake_runs_as_its_own_process():
    with FakeGraphProcess(page_id="42", token="process-token") as remote:
        client = GraphClient(base_url=remote.url, version="v26.0", page_id="42", page_token="process-token",
                             app_secret="fake-app-secret", sleep=lambda _: None)
        post_id = client.publish_post("From another process", "https://blog.example.com/a")
        assert [p["id"] for p in remote.posts] == [post_id]
        remote.fault("graph_error", path="/feed", code=80001, regain_minutes=30)
        with pytest.raises(GraphRateLimited) as caught:
            client.publish_post("Again", None)
        assert caught.value.retry_after == 1800.0
        remote.user_messaged("7001")
        client.send_message("7001", "hi")
        assert [m["recipient_id"] for m in remote.messages] == ["7001"]
