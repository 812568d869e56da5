"""The dashboard over HTTP (Flask's test client): sign-in, CSRF, cookies, headers, escaping."""

from __future__ import annotations

import re

import pytest

from bot import accounts
from bot.config import Settings
from bot.store import NewQuestion
from tests.conftest import base_env
from webhooks import create_app
from webhooks.admin.auth import safe_next

EMAIL = "ana@example-firm.test"
PASSWORD = "Mar-Azul 2024 casa"


def make_app(tmp_path, **extra):
    settings = Settings.from_env(base_env(tmp_path / "var", **extra), env_file=None)
    app = create_app(settings)
    accounts.add_admin(app.extensions["groupbot"].store, EMAIL, PASSWORD, actor="test")
    return app


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, password=PASSWORD, **headers):
    token = csrf_token(client.get("/admin/login").text)
    form = {"email": EMAIL, "password": password, "csrf_token": token}
    return client.post("/admin/login", data=form, headers=headers)


@pytest.fixture
def app(tmp_path):
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


def test_the_cookie_is_secure_behind_https(tmp_path):
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


def test_proxy_headers_are_ignored_unless_trusted(tmp_path):
    plain = make_app(tmp_path / "a")
    sign_in(plain.test_client(), **{"X-Forwarded-For": "203.0.113.9"})
    trusting = make_app(tmp_path / "b", TRUST_PROXY_HOPS="1")
    sign_in(trusting.test_client(), **{"X-Forwarded-For": "203.0.113.9"})
    assert plain.extensions["groupbot"].store.list_audit()[0]["detail"] == "from 127.0.0.1"
    assert trusting.extensions["groupbot"].store.list_audit()[0]["detail"] == "from 203.0.113.9"


def test_admin_pages_send_a_strict_policy_and_are_not_cached(client):
    sign_in(client)
    for path in ("/admin/", "/admin/faq", "/admin/audit", "/admin/login"):
        response = client.get(path)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", response.text), "inline code"


def test_member_html_is_shown_as_text(app, client):
    store = app.extensions["groupbot"].store
    store.insert_question(NewQuestion(
        source="page_comment", external_id="1_2", author_id="9", author_name="<b>x</b>",
        text="<img src=x onerror=alert(1)><script>alert(2)</script>", event_time=1_800_000_000.0,
    ))
    sign_in(client)
    page = client.get("/admin/").text
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
    answer = client.post("/admin/faq", data={"message": "how much is a consultation?", "csrf_token": csrf_token(page)})
    assert answer.status_code == 200
    assert "fees" in answer.text and "General information, not legal advice." in answer.text


def test_a_broken_faq_file_is_reported_on_the_page(tmp_path):
    broken = tmp_path / "faq.toml"
    broken.write_text("[[intent]\nname = ")
    client = make_app(tmp_path, FAQ_FILE=str(broken)).test_client()
    sign_in(client)
    response = client.get("/admin/faq")
    assert response.status_code == 500 and "The FAQ file cannot be used" in response.text
