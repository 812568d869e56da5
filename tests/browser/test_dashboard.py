"""The dashboard in a real browser: signing in and out, throttling, CSRF, hostile member text, phones."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN_PASSWORD, LOCKED_EMAIL, simulate
from tests.support.groupbot import wait_for

pytestmark = pytest.mark.browser

HOSTILE_TEXT = "<img src=x onerror=alert(1)><script>alert(2)</script>"
HOSTILE_NAME = "<b>x</b>"


def test_signing_in_opens_the_queue(visitor):
    visitor.open("/admin/login")
    visitor.sign_in()
    expect(visitor.page).to_have_url(f"{visitor.base_url}/admin/")
    expect(visitor.page.get_by_role("heading", name="Queue", level=1)).to_be_visible()
    nav = visitor.page.get_by_role("navigation", name="Dashboard")
    expect(nav.get_by_role("link", name="Queue")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_wrong_password_says_so_and_opens_no_session(visitor):
    visitor.open("/admin/login")
    visitor.sign_in(password="Wrong-password-1")
    expect(visitor.page.get_by_role("alert")).to_have_text("Wrong email or password.")
    visitor.open("/admin/")
    expect(visitor.page).to_have_url(re.compile(r"/admin/login\?next="))


def test_repeated_failures_make_the_account_wait(visitor):
    visitor.open("/admin/login")
    for attempt in range(5):
        visitor.sign_in(LOCKED_EMAIL, f"Wrong-guess-{attempt}")
        expect(visitor.page.get_by_role("alert")).to_have_text("Wrong email or password.")
    visitor.sign_in(LOCKED_EMAIL, ADMIN_PASSWORD)
    expect(visitor.page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many failed sign-ins\. Wait 1[45] minutes, then try again\.")
    )
    visitor.open("/admin/")
    expect(visitor.page).to_have_url(re.compile(r"/admin/login"))


def test_signing_in_returns_to_the_page_asked_for(visitor):
    visitor.open("/admin/audit")
    expect(visitor.page).to_have_url(f"{visitor.base_url}/admin/login?next=/admin/audit")
    visitor.sign_in()
    expect(visitor.page).to_have_url(f"{visitor.base_url}/admin/audit")
    expect(visitor.page.get_by_role("heading", name="Audit", level=1)).to_be_visible()
    expect(visitor.page.get_by_role("table")).to_contain_text("sign in")


def test_member_html_shows_as_text_and_runs_nothing(visitor, admin_server):
    simulate(admin_server, "comment", HOSTILE_TEXT, name=HOSTILE_NAME)
    visitor.open("/admin/login")
    visitor.sign_in()
    card = visitor.card("alert(2)", show="all")  # no FAQ answer: no suggestion, so not pending
    expect(card.locator(".message")).to_have_text(HOSTILE_TEXT)
    expect(card.get_by_role("heading", level=2)).to_have_text(HOSTILE_NAME)
    assert visitor.page.locator("main img, main script, main b").count() == 0
    assert visitor.dialogs == []


def test_a_post_without_the_csrf_token_is_refused(visitor):
    visitor.open("/admin/login")
    visitor.sign_in()
    # The page's own cookies, but no token: what a forged cross-site form would send.
    response = visitor.page.request.post(f"{visitor.base_url}/admin/logout")
    assert response.status == 400
    assert "Request refused" in response.text()
    visitor.open("/admin/")
    expect(visitor.page.get_by_role("heading", name="Queue", level=1)).to_be_visible()


def test_the_phone_layout_fits_and_its_nav_works(phone, admin_server):
    long_link = "https://example.com/?caso=" + "asilo" * 60  # no hyphen or space to break at
    simulate(admin_server, "group-comment", f"hola, vean esto {long_link} ¿es cierto?")
    simulate(admin_server, "group-comment", "hola, cual es su numero? " + "necesito-ayuda" * 30)
    phone.open("/admin/login")
    assert phone.width() <= 390
    phone.sign_in()
    phone.card("vean esto", show="all")
    card = phone.card("necesito-ayuda")
    approve = card.get_by_role("button", name="Approve")
    box = approve.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # big enough for a thumb
    for path in ("/admin/", "/admin/?show=all", "/admin/faq", "/admin/audit", "/admin/health", "/admin/stats",
                 "/admin/posts"):
        phone.open(path)
        assert phone.width() <= 390, path
    nav = phone.page.get_by_role("navigation", name="Dashboard")
    nav.get_by_role("link", name="FAQ").tap()
    expect(phone.page.get_by_role("heading", name="FAQ", level=1)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_in_viewport()


def test_signing_out_ends_the_session(visitor):
    visitor.open("/admin/login")
    visitor.sign_in()
    visitor.page.get_by_role("button", name="Sign out").click()
    expect(visitor.page.get_by_role("status")).to_have_text("You are signed out.")
    visitor.page.go_back()
    expect(visitor.page).to_have_url(re.compile(r"/admin/login"))
    visitor.open("/admin/faq")
    expect(visitor.page).to_have_url(re.compile(r"/admin/login\?next=/admin/faq"))


def test_the_faq_box_answers_in_spanish(visitor):
    visitor.open("/admin/faq")
    visitor.sign_in()
    visitor.page.get_by_label("Message", exact=True).fill("cual es su numero?")
    visitor.page.get_by_role("button", name="What would the bot answer?").click()
    answer = visitor.page.get_by_role("status", name="Answer")
    expect(answer).to_contain_text("Spanish")
    expect(answer).to_contain_text("mensaje de texto al 619-569-1768")
    expect(answer).to_contain_text("Información general, no es asesoría legal.")


def test_a_fresh_install_prints_an_admin_login_that_works(browser, server, make_visitor):
    try:
        printed = wait_for(lambda: next((line for line in server.output if "admin login:" in line), None))
    finally:
        print(server.log)  # shown when the test fails
    email, password = re.search(r"admin login: (\S+) / (\S+) ", printed).groups()
    assert server.log.count(password) == 1
    visitor = make_visitor(browser, server.url)
    try:
        visitor.open("/admin/")
        visitor.sign_in(email, password)
        expect(visitor.page.get_by_role("heading", name="Queue", level=1)).to_be_visible()
    finally:
        visitor.page.context.close()
