"""Exactly one Page post per blog entry, whatever Meta answers: faults injected by the fake Graph API."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from bot.blog.entries import list_posts, request_poll
from bot.blog.feed import fetch_feed
from bot.blog.page_posts import retry_page_post
from bot.ops.doctor import examine
from bot.outbox.jobs import JobHandler
from bot.outbox.leases import process_host
from bot.outbox.sender import Outbox, RetryPolicy
from bot.runtime.assemble import assemble
from bot.runtime.dispatcher import Dispatcher, poll_once
from bot.store import Store, store_for
from tests.fakes.fake_blog import FakePost, make_posts
from tests.fakes.fake_graph import FakeGraph
from tests.support.publishing import graph_calls

SITE = "https://blog.example-immigration-firm.test"
LINK = f"{SITE}/2026/11/work-permits/"
HOUR = 3600.0


@pytest.fixture
def setup(tmp_path, fake, blog, live_settings, publisher_for):
    """A live groupbot whose first poll ran, with one new entry on the blog not yet polled."""
    settings = live_settings(tmp_path / "var", fake, blog)
    store = store_for(settings)
    store.migrate(time.time())
    publisher = publisher_for(settings, store)
    publisher.poll_now(time.time())
    new = FakePost("Work permits: what changes in 2027", LINK, guid=f"{SITE}/?p=9001",
                   content_html="<p>USCIS extended automatic EAD extensions.</p>",
                   published=datetime(2026, 11, 3, tzinfo=timezone.utc))
    blog.set_posts([new, *make_posts(2)])
    yield settings, store, publisher
    store.close()


def entry(store: Store) -> dict:
    return list_posts(store)[0]


def pass_at(publisher: Dispatcher, now: float) -> int:
    """One worker pass at `now`: poll the blog (if due) and send the due jobs."""
    publisher.poll_now(now)
    return publisher.outbox.process_due(now)


def page_links(fake: FakeGraph) -> list[str]:
    return [p["link"] for p in fake.posts]


# -- faults that end well --------------------------------------------------------------------------

@pytest.mark.parametrize("fault", [
    dict(kind="graph_error", code=2),                      # 500 before Meta acted: checked, then sent again
    dict(kind="graph_error", code=1, times=3),             # keeps failing: retried on a later pass
    dict(kind="graph_error", code=2, applied=True),        # Meta posted, then answered 500 code 2
    dict(kind="graph_error", code=1, applied=True),        # Meta posted, then answered 500 code 1
    dict(kind="bad_gateway"),                              # a proxy's 502: outcome unknown
    dict(kind="reset"),                                    # connection reset before Meta acted
    dict(kind="lost_answer"),                              # Meta posted, the answer was lost
    dict(kind="truncated"),                                # Meta posted, the answer was cut off
], ids=["code-2", "code-1-three-times", "code-2-after-posting", "code-1-after-posting", "502", "reset", "lost-answer", "truncated"])
def test_after_a_transient_fault_the_page_has_exactly_one_post(setup, fake, fault):
    settings, store, publisher = setup
    fake.fault(method="POST", path="/feed", **fault)
    now = time.time()

    for step in range(4):
        pass_at(publisher, now + step * 2 * HOUR)

    assert page_links(fake) == [LINK]
    row = entry(store)
    assert (row["page_status"], row["page_post_id"]) == ("posted", fake.posts[0]["id"])


def test_a_call_that_times_out_after_meta_posted_is_adopted_not_repeated(setup, fake):
    settings, store, publisher = setup
    fake.fault("timeout", method="POST", path="/feed", delay=0.8)  # longer than the client's 0.5 s
    now = time.time()

    pass_at(publisher, now)
    assert entry(store)["page_status"] == "retrying" and "no complete answer" in entry(store)["page_error"]
    # Meta finishes the request after the client gave up; the retry waits for that (settle time).
    deadline = time.monotonic() + 5
    while not fake.posts and time.monotonic() < deadline:
        time.sleep(0.05)
    pass_at(publisher, now + HOUR)

    assert page_links(fake) == [LINK]
    assert entry(store)["page_post_id"] == fake.posts[0]["id"]
    assert len(graph_calls(fake, "POST", "/feed")) == 1


def test_a_post_meta_made_before_answering_500_is_adopted_and_never_sent_twice(setup, fake):
    settings, store, publisher = setup
    fake.fault("graph_error", method="POST", path="/feed", code=2, applied=True,
               message="An unexpected error has occurred. Please retry your request later.")
    now = time.time()

    pass_at(publisher, now)
    assert entry(store)["page_status"] == "retrying" and "unexpected error" in entry(store)["page_error"]
    pass_at(publisher, now + HOUR)

    assert page_links(fake) == [LINK] and len(graph_calls(fake, "POST", "/feed")) == 1
    assert entry(store)["page_post_id"] == fake.posts[0]["id"]


def test_a_job_keeps_its_retry_visible_while_it_waits(setup, fake):
    settings, store, publisher = setup
    fake.fault("graph_error", method="POST", path="/feed", code=1, times=3, message="Please retry your request later")

    pass_at(publisher, time.time())

    row = entry(store)
    assert row["page_status"] == "retrying" and row["page_attempts"] == 1
    assert "Please retry your request later" in row["page_error"] and row["page_next_attempt_at"]


def test_a_post_that_keeps_failing_gives_up_visibly_and_can_be_retried(setup, fake):
    settings, store, publisher = setup
    fake.fault("graph_error", method="POST", path="/feed", code=1, times=10)  # one try per attempt: never repeated blind
    now = time.time()

    for step in range(12):
        pass_at(publisher, now + step * 2 * HOUR)
    row = entry(store)
    assert row["page_status"] == "failed" and "gave up after 10 attempts" in row["page_error"]

    retry_page_post(store, row["id"], "maria@firm.example", now=now + 30 * HOUR)
    publisher.outbox.process_due(now + 30 * HOUR)
    assert page_links(fake) == [LINK] and entry(store)["page_status"] == "posted"


@pytest.mark.parametrize("code, regain_minutes, wait", [
    (4, None, 60), (17, None, 60), (32, None, 60), (613, None, 60), (80001, 5, 300),
])
def test_a_rate_limit_stops_all_sending_for_the_advertised_wait(setup, fake, code, regain_minutes, wait):
    settings, store, publisher = setup
    fake.fault("graph_error", method="POST", path="/feed", code=code, regain_minutes=regain_minutes)
    now = time.time()

    pass_at(publisher, now)
    calls = len(fake.requests)
    publisher.outbox.process_due(now + wait - 5)
    assert len(fake.requests) == calls and fake.posts == []

    publisher.outbox.process_due(now + wait + 1)
    assert page_links(fake) == [LINK]


# -- faults that stop a job ------------------------------------------------------------------------

@pytest.mark.parametrize("code, message", [
    (200, "Permissions error"),
    (368, "The action attempted has been deemed abusive or is otherwise disallowed"),
    (100, "Invalid parameter"),
])
def test_a_refused_post_stops_at_once_with_metas_message_visible(setup, fake, code, message):
    settings, store, publisher = setup
    fake.fault("graph_error", method="POST", path="/feed", code=code, message=message)
    now = time.time()

    for step in range(3):
        pass_at(publisher, now + step * 2 * HOUR)

    assert fake.posts == [] and len(graph_calls(fake, "POST", "/feed")) == 1
    row = entry(store)
    assert row["page_status"] == "dead" and f"(#{code}) {message}" in row["page_error"]


def test_a_duplicate_refusal_adopts_the_post_already_on_the_page(setup, fake):
    settings, store, publisher = setup
    existing = fake.add_post("Work permits: what changes in 2027", LINK)
    fake.fault("graph_error", method="POST", path="/feed", code=506, message="Duplicate status message")

    pass_at(publisher, time.time())

    assert page_links(fake) == [LINK]
    assert (entry(store)["page_status"], entry(store)["page_post_id"]) == ("posted", existing)


def test_a_duplicate_refusal_without_our_post_fails_with_metas_message(setup, fake):
    settings, store, publisher = setup
    fake.fault("graph_error", method="POST", path="/feed", code=506, message="Duplicate status message")

    pass_at(publisher, time.time())

    assert fake.posts == []
    row = entry(store)
    assert row["page_status"] == "failed" and "(#506) Duplicate status message" in row["page_error"]


# -- the invalid token ------------------------------------------------------------------------------

def test_an_invalid_token_pauses_all_sending_until_the_token_is_replaced(setup, fake, tmp_path, caplog, live_settings,
                                                                         graph_for):
    settings, store, publisher = setup
    fake.expire_token()
    now = time.time()
    with caplog.at_level(logging.INFO):
        pass_at(publisher, now)
    refused = len(fake.requests)

    for step in range(1, 4):
        pass_at(publisher, now + step * 2 * HOUR)
        publisher.check_subscription(now + step * 2 * HOUR)

    assert len(fake.requests) == refused and fake.posts == []
    row = entry(store)
    assert row["page_status"] == "paused" and "META_PAGE_ACCESS_TOKEN" in row["page_error"]
    doctor = examine(settings, store, publisher.graph, fetch=fetch_feed)
    assert any(f.level == "problem" and "sending paused" in f.detail for f in doctor)
    assert caplog.text.count("admin alert: Facebook sending paused") == 1
    assert fake.token not in caplog.text

    fake.state.token, fake.state.token_expired = "replaced-page-token", False
    renewed = live_settings(tmp_path / "var", fake, None, BLOG_FEED_URL=settings.blog_feed_url,
                            META_PAGE_ACCESS_TOKEN="replaced-page-token")
    with caplog.at_level(logging.INFO):
        assemble(renewed, store, graph=graph_for(renewed)).dispatcher.outbox.process_due(now + 8 * HOUR)

    assert page_links(fake) == [LINK]
    assert entry(store)["page_status"] == "posted" and "sending resumes" in caplog.text


# -- one sender at a time --------------------------------------------------------------------------

def test_only_the_lease_holder_polls_and_sends(setup, fake, blog, publisher_for):
    settings, store, first = setup
    second = publisher_for(settings, store)
    now = time.time()
    assert first.lease.hold(now)
    blog.reset_stats()
    request_poll(store, now)

    assert second.poll_if_due(now + 1) is False and second.send_due(now + 1) is False
    outcome = poll_once(store, second)

    assert blog.feed_requests == 0 and fake.posts == []
    assert outcome.deferred_to == first.lease.holder
    assert first.poll_if_due(now + 2) is True  # asked for by the deferred `poll`: due before the period ends
    first.send_due(now + 2)
    assert page_links(fake) == [LINK]


def test_a_job_left_sending_by_a_dead_process_is_checked_before_it_is_sent(setup, fake):
    settings, store, publisher = setup
    publisher.poll_now(time.time())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    dead_holder = f"{process_host()}:{dead.pid}:gone"
    job = store.jobs.claim_due(time.time(), dead_holder, 300)
    fake.add_post("posted by the process that died", LINK)  # its call had reached Meta

    pass_at(publisher, time.time() + HOUR)

    assert len(fake.posts) == 1 and not graph_calls(fake, "POST", "/feed")
    assert store.jobs.get(job.id).status == "sent" and entry(store)["page_post_id"] == fake.posts[0]["id"]


def test_jobs_of_other_kinds_use_their_own_handler(store):
    class Echo(JobHandler):
        def send(self, job, graph):
            return {"echo": job.payload["text"]}

    outbox = Outbox(store, graph=None, handlers={"echo": Echo()}, policy=RetryPolicy())

    first = outbox.enqueue("echo", {"text": "hola"}, dedupe_key="echo:1")
    again = outbox.enqueue("echo", {"text": "hola"}, dedupe_key="echo:1")
    assert outbox.process_due(time.time()) == 1

    assert again is None and store.jobs.get(first).result == {"echo": "hola"}
    with pytest.raises(ValueError, match="no handler"):
        outbox.enqueue("unknown", {}, dedupe_key="x")
    store.close()
