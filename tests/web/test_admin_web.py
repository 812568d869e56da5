"""The dashboard over HTTP (Flask's test client): sign-in, CSRF, headers, escaping, and every page's actions."""

from __future__ import annotations

import html
import re
import time
from datetime import datetime, timezone

import pytest

from bot.accounts import admins as accounts
from bot.answers.responder import Responder
from bot.config import Settings
from bot.meta.recording import RecordingGraph
from bot.outbox.pause import hold_sending, pause_sending
from bot.replies.review import approve_reply
from bot.replies.suggest import suggest_replies
from bot.store import NewQuestion
from bot.store.blog import NewEntry
from bot.store.questions import Classification
from bot.store.replies import NewReply
from tests.fakes.fake_graph import FakeGraph
from tests.support.groupbot import PAGE_ID
from webhooks import create_app
from webhooks.admin.auth import safe_next
from webhooks.admin.chart import stacked_bars
from webhooks.admin.formatting import duration, time_left
from webhooks.admin.posts import group_post_url_problem, web_link
from webhooks.admin.stats import intents_per_week, week_label, week_starts

EMAIL = "ana@example-firm.test"
PASSWORD = "Mar-Azul 2024 casa"


@pytest.fixture
def make_app(base_env):
    """make_app(tmp_path, **extra): the dashboard's app in dry-run, with data in ``tmp_path`` and one admin."""

    def make_app(tmp_path, **extra):
        settings = Settings.from_env(base_env(tmp_path / "var", **extra), env_file=None)
        app = create_app(settings)
        accounts.add_admin(app.extensions["groupbot"].store, EMAIL, PASSWORD, actor="test")
        return app

    return make_app


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, password=PASSWORD, **headers):
    token = csrf_token(client.get("/admin/login").text)
    form = {"email": EMAIL, "password": password, "csrf_token": token}
    return client.post("/admin/login", data=form, headers=headers)


@pytest.fixture
def app(tmp_path, make_app):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


def test_pages_need_sign_in_and_remember_where_you_were(client):
    response = client.get("/admin/audit?page=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=/admin/audit?page%3D1"
    token = csrf_token(client.get(response.headers["Location"]).text)
    signed_in = client.post(
        "/admin/login?next=/admin/audit?page%3D1", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.headers["Location"] == "/admin/audit?page=1"


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/admin/faq", "/admin/faq"),
        ("/admin/?page=2", "/admin/?page=2"),
        ("https://evil.example/admin/", "/admin/"),
        ("//evil.example/admin/", "/admin/"),
        ("/\\evil.example", "/admin/"),
        ("/admin/\r\nSet-Cookie: x", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
        ("/healthz", "/admin/"),
        ("", "/admin/"),
    ],
)
def test_only_dashboard_paths_are_followed_after_sign_in(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected


def test_the_session_cookie_is_httponly_lax_and_new_after_sign_in(client):
    client.get("/admin/login")
    before = client.get_cookie("groupbot_session").value
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get_cookie("groupbot_session").value != before


def test_the_cookie_is_secure_behind_https(tmp_path, make_app):
    client = make_app(tmp_path, PUBLIC_URL="https://groupbot.example-firm.test").test_client()
    response = sign_in(client, **{"Referer": "https://localhost/admin/login"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_password_is_refused_without_a_session(client):
    response = sign_in(client, password="Wrong-password-1")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert client.get("/admin/").status_code == 302


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client):
    sign_in(client)
    response = client.post("/admin/logout")
    assert response.status_code == 400
    assert "Request refused" in response.text and "token is missing" in response.text
    assert client.get("/admin/").status_code == 200


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, client):
    sign_in(client)
    copied = client.get_cookie("groupbot_session").value
    page = client.get("/admin/").text
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    thief = app.test_client()
    thief.set_cookie("groupbot_session", copied)
    assert thief.get("/admin/").status_code == 302


def test_proxy_headers_are_ignored_unless_trusted(tmp_path, make_app):
    plain = make_app(tmp_path / "a")
    sign_in(plain.test_client(), **{"X-Forwarded-For": "203.0.113.9"})
    trusting = make_app(tmp_path / "b", TRUST_PROXY_HOPS="1")
    sign_in(trusting.test_client(), **{"X-Forwarded-For": "203.0.113.9"})
    assert plain.extensions["groupbot"].store.audit.newest()[0].detail == "from 127.0.0.1"
    assert trusting.extensions["groupbot"].store.audit.newest()[0].detail == "from 203.0.113.9"


def test_admin_pages_send_a_strict_policy_and_are_not_cached(client):
    sign_in(client)
    for path in ("/admin/", "/admin/?show=all", "/admin/posts", "/admin/health", "/admin/stats", "/admin/faq",
                 "/admin/audit", "/admin/login"):
        response = client.get(path)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", response.text), "inline code"


def test_member_html_is_shown_as_text(app, client):
    store = app.extensions["groupbot"].store
    store.questions.insert(NewQuestion(
        source="page_comment", external_id="1_2", author_id="9", author_name="<b>x</b>",
        text="<img src=x onerror=alert(1)><script>alert(2)</script>", event_time=1_800_000_000.0,
    ), time.time())
    sign_in(client)
    page = client.get("/admin/?show=all").text
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<img src=x" not in page and "<b>x</b>" not in page


def test_audit_page_lists_sign_ins(client):
    sign_in(client)
    page = client.get("/admin/audit").text
    assert "sign in" in page and EMAIL in page


def test_faq_page_shows_both_languages_and_tries_a_message(client):
    sign_in(client)
    page = client.get("/admin/faq").text
    assert "urgent_detention" in page and "Información general, no es asesoría legal." in page
    answer = client.post("/admin/faq",
                         data={"message": "how much do you charge for a case?", "csrf_token": csrf_token(page)})
    assert answer.status_code == 200
    assert "<dd>Fees (confidence: high)</dd>" in answer.text
    assert "General information, not legal advice." in answer.text


def test_a_broken_faq_file_is_reported_on_the_page(tmp_path, make_app):
    broken = tmp_path / "faq.toml"
    broken.write_text("[[intent]\nname = ")
    client = make_app(tmp_path, FAQ_FILE=str(broken)).test_client()
    sign_in(client)
    response = client.get("/admin/faq")
    assert response.status_code == 500 and "The FAQ file cannot be used" in response.text


# -- the queue ----------------------------------------------------------------------------------------

def ask(app, text: str, *, source: str = "group_comment", name: str = "Maria Lopez", at: float | None = None) -> int:
    """Store a member's question and let the bot judge it, as the worker does; returns the question id."""
    services = app.extensions["groupbot"]
    number = services.store.questions.count() + 1
    question_id = services.store.questions.insert(NewQuestion(
        source=source, external_id=f"777_{number}", author_id=str(5550000 + number), author_name=name, text=text,
        event_time=time.time() if at is None else at,
    ), time.time())
    suggest_replies(services.store, Responder.from_settings(services.settings), page_id=PAGE_ID, now=time.time())
    return question_id


def reply_of(app, question_id: int) -> dict:
    return app.extensions["groupbot"].store.replies.of_question(question_id)


def test_pending_lists_urgent_first_then_the_closest_deadline(app, client):
    later = ask(app, "cual es su numero?", name="Later Deadline")
    sooner = ask(app, "how much is a consultation?", name="Sooner Deadline", at=time.time() - 3 * 86400)
    urgent = ask(app, "ICE detuvo a mi hermano hoy, que hacemos?", name="Urgent Member")
    ask(app, "gracias, muy buena informacion", name="Just Thanks")
    sign_in(client)
    page = client.get("/admin/").text
    order = [page.index(name) for name in ("Urgent Member", "Sooner Deadline", "Later Deadline")]
    assert order == sorted(order) and "Just Thanks" not in page
    assert re.search(r"Pending <span class=\"count\">3</span>", page) and "All <span class=\"count\">4</span>" in page
    assert "3 days 23 h left" in page or "3 days 22 h left" in page
    assert {reply_of(app, q).status for q in (later, sooner, urgent)} == {"pending"}
    assert "No reply suggested" in client.get("/admin/?show=all").text


def test_approving_sends_the_edited_text_audits_it_and_goes_back(app, client):
    question_id = ask(app, "cual es su numero?")
    reply_id = reply_of(app, question_id).id
    sign_in(client)
    token = csrf_token(client.get("/admin/").text)
    response = client.post(f"/admin/questions/{question_id}/approve",
                           data={"csrf_token": token, "text": "  Texto editado.  ", "back": "/admin/?show=pending"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/?show=pending"
    reply = app.extensions["groupbot"].store.replies.get(reply_id)
    # The edit keeps the firm's disclaimer, in the member's language.
    assert (reply.status, reply.text, reply.approved_by) == (
        "approved", "Texto editado.\n\nInformación general, no es asesoría legal.", EMAIL)
    entry = app.extensions["groupbot"].store.audit.newest()[0]
    assert (entry.actor, entry.action, entry.detail) == (EMAIL, "approve_reply", "with edited text")
    page = client.get("/admin/?show=pending").text
    assert f"Question {question_id}: reply approved; it is being sent." in page and "Approved recently" in page
    assert client.get(f"/admin/replies/{reply_id}/status").json == {
        "status": "approved", "label": f"Approved by {EMAIL}; sending…"}


def test_approving_the_suggestion_unchanged_sends_it_as_suggested(app, client):
    reply = reply_of(app, ask(app, "cual es su numero?"))
    sign_in(client)
    token = csrf_token(client.get("/admin/").text)
    as_a_browser_sends_it = reply.text.replace("\n", "\r\n")
    client.post(f"/admin/questions/{reply.question_id}/approve",
                data={"csrf_token": token, "text": as_a_browser_sends_it})
    store = app.extensions["groupbot"].store
    assert store.replies.get(reply.id).text == reply.text and "\n\n" in reply.text
    assert store.audit.newest()[0].detail == ""


def test_an_action_that_cannot_be_done_says_why_and_changes_nothing(app, client):
    question_id = ask(app, "cual es su numero?")
    reply_id = reply_of(app, question_id).id
    sign_in(client)
    token = csrf_token(client.get("/admin/").text)
    client.post(f"/admin/questions/{question_id}/reject", data={"csrf_token": token})
    client.get("/admin/")  # the success message is shown once
    response = client.post(f"/admin/questions/{question_id}/approve", data={"csrf_token": token, "text": "hola"},
                           follow_redirects=True)
    assert f'role="alert">Question {question_id}&#39;s reply is rejected, not pending.</p>' in response.text
    empty = client.post(f"/admin/questions/{question_id + 1000}/approve", data={"csrf_token": token},
                        follow_redirects=True)
    assert f"There is no question {question_id + 1000}." in empty.text
    assert app.extensions["groupbot"].store.replies.get(reply_id).status == "rejected"


def test_the_way_back_after_an_action_stays_on_the_dashboard(app, client):
    question_id = ask(app, "cual es su numero?")
    sign_in(client)
    token = csrf_token(client.get("/admin/").text)
    response = client.post(f"/admin/questions/{question_id}/reject",
                           data={"csrf_token": token, "back": "https://evil.example/admin/"})
    assert response.headers["Location"] == "/admin/"


def test_a_page_comment_with_personal_data_can_be_hidden(app, client):
    question_id = ask(app, "mi numero A es A123456789, cuanto cuesta la consulta?", source="page_comment")
    group_id = ask(app, "mi numero A es A987654321, cuanto cuesta la consulta?")
    sign_in(client)
    page = client.get("/admin/").text
    assert page.count(">Hide comment</button>") == 1 and page.count('<strong class="flag">A-number</strong>') == 2
    token = csrf_token(page)
    client.post(f"/admin/questions/{question_id}/hide", data={"csrf_token": token})
    assert "Hiding the comment on the Page…" in client.get("/admin/").text
    refused = client.post(f"/admin/questions/{group_id}/hide", data={"csrf_token": token}, follow_redirects=True)
    assert "only comments on the Page can be hidden" in refused.text
    assert [e.action for e in app.extensions["groupbot"].store.audit.newest()][:1] == ["hide_comment"]


def test_failed_and_expired_replies_show_why(app, client):
    store = app.extensions["groupbot"].store
    failed = reply_of(app, ask(app, "cual es su numero?")).id
    approve_reply(store, failed, "test", None)
    store.replies.close(failed, "failed", time.time(), error="(#100) Invalid parameter (code 100, http 400)",
                        from_statuses=("approved",))
    old = ask(app, "cual es su numero?", source="messenger", at=time.time() - 25 * 3600)
    sign_in(client)
    token = csrf_token(client.get("/admin/").text)
    client.post(f"/admin/questions/{old}/approve", data={"csrf_token": token})
    page = client.get("/admin/?show=failed").text
    assert "Failed. Meta said: (#100) Invalid parameter (code 100, http 400)" in page
    assert page.count(">Retry</button>") == 1
    assert "Expired: the 24-hour Messenger window closed at " in page


# -- posts --------------------------------------------------------------------------------------------

def entry(app, title: str, status: str, **extra) -> int:
    return app.extensions["groupbot"].store.blog.insert_entry(NewEntry(
        entry_key=f"https://blog.example/{title}", guid=None, link=f"https://blog.example/{title}/", title=title,
        published_at=time.time(), page_status=status, page_message=f"{title}\n\nhttps://blog.example/{title}/",
        group_draft=f"{title}\n\nText 619-569-1768", **extra), time.time())


def test_a_post_waiting_for_approval_is_approved_from_the_posts_page(tmp_path, make_app):
    app = make_app(tmp_path, PAGE_POST_APPROVAL="1")
    client = app.test_client()
    entry_id = entry(app, "asylum-rules", "awaiting_approval")
    entry(app, "older-news", "seen")
    sign_in(client)
    page = client.get("/admin/posts").text
    assert "Waiting for your approval." in page and "once you approve them" in page
    assert "Not posted: it was on the blog before groupbot started." in page
    response = client.post(f"/admin/posts/{entry_id}/approve",
                           data={"csrf_token": csrf_token(page), "back": "/admin/posts"}, follow_redirects=True)
    assert "Post approved; it is being published on the Page." in response.text
    assert "Queued; it goes out in a moment." in response.text
    store = app.extensions["groupbot"].store
    assert store.blog.entry(entry_id).approved_by == EMAIL
    assert store.audit.newest()[0].action == "approve_post"


def test_a_group_post_address_must_be_on_facebook(app, client):
    entry_id = entry(app, "asylum-rules", "queued")
    sign_in(client)
    token = csrf_token(client.get("/admin/posts").text)
    refused = client.post(f"/admin/posts/{entry_id}/group-posted",
                          data={"csrf_token": token, "url": "javascript:alert(1)"})
    assert refused.status_code == 400 and "That is not a Facebook address." in refused.text
    assert 'name="back" value="/admin/posts"' in refused.text
    assert app.extensions["groupbot"].store.blog.entry(entry_id).group_status == "draft"
    done = client.post(f"/admin/posts/{entry_id}/group-posted",
                       data={"csrf_token": token, "url": "", "back": "/admin/posts"}, follow_redirects=True)
    assert "Marked as posted in the Group." in done.text and f"Posted in the Group by {EMAIL}" in done.text


@pytest.mark.parametrize("url, allowed", [
    ("", True),
    ("https://www.facebook.com/groups/demo/posts/123", True),
    ("https://m.facebook.com/groups/demo/permalink/123/", True),
    ("http://fb.com/groups/demo/posts/1", True),
    ("https://facebook.com.evil.example/groups/1", False),
    ("https://evilfacebook.com/groups/1", False),
    ("javascript:alert(1)//facebook.com", False),
    ("ftp://www.facebook.com/groups/1", False),
    ("www.facebook.com/groups/1", False),
])
def test_only_facebook_addresses_count_as_group_posts(url, allowed):
    assert (group_post_url_problem(url) is None) == allowed


def test_only_web_links_are_linked():
    assert web_link("https://blog.example/a/") == "https://blog.example/a/"
    assert web_link("javascript:alert(1)") is None and web_link(None) is None


# -- health -------------------------------------------------------------------------------------------

def test_health_in_dry_run_shows_no_token_and_the_recorded_calls(app, client):
    store = app.extensions["groupbot"].store
    reply_id = reply_of(app, ask(app, "cual es su numero?")).id
    approve_reply(store, reply_id, "test", None)
    RecordingGraph(store, PAGE_ID).private_reply("777_1", "hola")
    sign_in(client)
    page = client.get("/admin/health").text
    assert "dry-run: no token" in page and "Sending normally." in page
    assert "Private reply" in page and f"POST /{PAGE_ID}/messages" in page
    assert "<dt>Waiting</dt><dd>1</dd>" in page


def test_health_shows_a_paused_or_held_sender_and_recent_failures(app, client):
    store, now = app.extensions["groupbot"].store, time.time()
    job_id = store.jobs.insert("page_post", {"entry_id": 7, "message": "m", "link": "l"}, "page_post:7", now)
    store.jobs.claim_due(now, "me", 60)
    store.jobs.finish(job_id, "me", "dead", now, error="(#200) Requires pages_manage_posts permission")
    hold_sending(store, now + 600, now)
    sign_in(client)
    page = client.get("/admin/health").text
    assert "Held: Meta's rate limit." in page
    assert "Page post</strong> (blog entry 7)" in page and "Requires pages_manage_posts permission" in page
    pause_sending(store, "Error validating access token (code 190)", "sha256:abc", now)
    assert "Paused: sending paused since" in client.get("/admin/health").text


def test_check_now_asks_meta_once_and_the_page_shows_the_stored_result(tmp_path, live_settings):
    with FakeGraph() as graph:
        app = create_app(live_settings(tmp_path / "var", graph, None))
        accounts.add_admin(app.extensions["groupbot"].store, EMAIL, PASSWORD, actor="test")
        client = app.test_client()
        sign_in(client)
        page = client.get("/admin/health").text
        assert "Not checked yet." in page and not [r for r in graph.requests if r["path"] == "/debug_token"]
        client.post("/admin/health/check", data={"csrf_token": csrf_token(page), "back": "/admin/health"})
        shown = client.get("/admin/health").text
        client.get("/admin/health")
        assert len([r for r in graph.requests if r["path"] == "/debug_token"]) == 1
    assert "Live:" in shown and f"by {EMAIL}" in shown
    assert "valid page token with the needed scopes, no expiry" in shown
    assert "the Page is not subscribed to messaging_postbacks, message_echoes" in shown


# -- stats --------------------------------------------------------------------------------------------

def test_stats_draws_an_accessible_chart_with_a_table_of_the_same_numbers(app, client):
    store = app.extensions["groupbot"].store
    for text in ("cual es su numero?", "what is your phone number", "how much is a consultation?", "gracias!"):
        ask(app, text)
    reply_id = store.replies.triaged(status="pending")[0].id
    approve_reply(store, reply_id, "test", None)
    store.replies.mark_sent(reply_id, "m_1", None, time.time() + 300)
    sign_in(client)
    page = client.get("/admin/stats").text
    for size, box in (("wide", "0 0 640 280"), ("narrow", "0 0 360 240")):
        assert (f'<svg class="chart-{size}" viewBox="{box}" role="img" '
                f'aria-labelledby="chart-title-{size} chart-desc-{size}"') in page
        assert f'<title id="chart-title-{size}">Questions per week, by intent</title>' in page
    assert "4 questions." in page
    assert re.search(r"<th scope=\"row\">Contact</th>(<td>0</td>){7}<td>2</td>", page)
    assert re.search(r"<th scope=\"row\">no FAQ answer</th>(<td>0</td>){7}<td>1</td>", page)
    assert '<p class="big-number">5 min</p>' in page


def test_questions_are_counted_in_the_week_they_came_in(store):
    weeks = week_starts(datetime(2026, 3, 11, 12, tzinfo=timezone.utc).timestamp(), 8)
    assert [week_label(w) for w in weeks[-2:]] == ["Mar 2", "Mar 9"]
    monday = weeks[-1]
    asked = [(monday - 1, "fees", 50), (monday, "fees", 120), (monday + 5, None, None), (monday, "contact", None),
             (monday + 9, "contact", 60), (monday - 10, "contact", 60), (monday - 20, "fees", 90)]
    for n, (at, intent, wait) in enumerate(asked):
        question_id = store.questions.insert(NewQuestion("page_comment", f"c_{n}", "a", "Ana", "hi", at), at)
        store.questions.save_classification(
            question_id, 0, Classification(intent, "en", 1.0, [], False, False, "suggested"), at)
        if wait is not None:
            reply_id = store.replies.insert(NewReply(question_id, intent or "none", "en", "comment_reply", "c", "ok",
                                                     False, None), "approved", at)
            store.replies.mark_sent(reply_id, f"m_{n}", None, at + wait)
    counts = intents_per_week(store.dashboard.intents_per_week(weeks[0], 7 * 86400, 8), 8)
    assert list(counts) == ["contact", "fees", "no FAQ answer"]
    assert counts["fees"][-2:] == [2, 1] and counts["contact"][-2:] == [1, 2]
    waits, overall = store.dashboard.waits_per_week(weeks[0], 7 * 86400, 8)
    assert (waits[6].replies, waits[6].median) == (3, 60.0) and (waits[7].replies, waits[7].median) == (2, 90.0)
    assert (overall.replies, overall.median) == (5, 60.0) and 5 not in waits


def test_the_chart_stacks_bars_to_scale_and_groups_the_smallest_intents():
    series = {f"intent {n}": [n, 0] for n in range(1, 10)} | {"no FAQ answer": [3, 0]}
    chart = stacked_bars(["Mar 2", "Mar 9"], series, none_label="no FAQ answer")
    labels = [label for label, _ in chart.legend]
    assert labels[0] == "intent 9" and labels[-2:] == ["other", "no FAQ answer"] and len(labels) == 9
    total = sum(s.height for s in chart.segments)
    top = chart.baseline - chart.ticks[-1].y
    assert abs(total / top - 48 / int(chart.ticks[-1].label)) < 0.01
    assert chart.ticks[-1].label == "80" and len(chart.segments) == 9


@pytest.mark.parametrize("seconds, words", [
    (42, "42 s"), (60, "1 min"), (3599, "59 min"), (3600, "1 h"), (3900, "1 h 5 min"), (86400, "1 day"),
    (90000, "1 day 1 h"), (7 * 86400 - 1, "6 days 23 h"), (None, ""),
])
def test_durations_read_like_people_say_them(seconds, words):
    assert duration(seconds) == words


def test_time_left_says_when_the_deadline_passed():
    assert time_left(1000.0, now=1000.0 - 7200) == "2 h left"
    assert time_left(1000.0, now=1000.0) == "deadline passed" and time_left(None) == "no deadline"


def walk(client, path: str, pattern: str, link: str = "Older") -> list[list[str]]:
    """Follow the pager's ``link`` from ``path`` to the end: the names matching ``pattern`` on each page, in order."""
    pages = []
    while path:
        page = client.get(path).text
        pages.append(list(dict.fromkeys(re.findall(pattern, page))))
        found = re.search(rf'<a href="([^"]+)">{link}</a>', page)
        path = html.unescape(found.group(1)) if found else None
    return pages


def test_older_and_newer_reach_every_post_and_come_back(app, client):
    for n in range(120):
        entry(app, f"post-{n:03}", "seen")
    sign_in(client)
    pages = walk(client, "/admin/posts", r"post-\d{3}")
    assert [len(names) for names in pages] == [50, 50, 20]
    assert [name for names in pages for name in names] == [f"post-{n:03}" for n in range(119, -1, -1)]
    last = client.get("/admin/posts").text
    older = html.unescape(re.search(r'<a href="([^"]+)">Older</a>', last).group(1))
    second = client.get(older).text
    assert ">Newer</a>" in second and ">Newer</a>" not in last
    back = html.unescape(re.search(r'<a href="([^"]+)">Newer</a>', second).group(1))
    assert walk(client, back, r"post-\d{3}", "Newer")[0] == pages[0]


def test_the_all_tab_pages_through_every_question_and_keeps_the_tab(app, client):
    for n in range(55):
        ask(app, f"pregunta numero q{n:02}x", at=time.time() - 1000 + n)
    sign_in(client)
    pages = walk(client, "/admin/?show=all", r"q\d{2}x")
    assert [len(names) for names in pages] == [50, 5]
    assert [name for names in pages for name in names] == [f"q{n:02}x" for n in range(54, -1, -1)]
    assert '<span class="count">55</span>' in client.get("/admin/?show=all").text
