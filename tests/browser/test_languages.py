"""The dashboard's language in a real browser: the browser's own language first, then the admin's switch, kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import ADMIN_EMAIL, ADMIN_PASSWORD, simulate

pytestmark = pytest.mark.browser

URGENT = "ICE detuvo a mi hermano esta mañana, que hacemos?"


def test_an_admin_switches_to_spanish_and_the_queue_stays_in_spanish_at_the_next_sign_in(
        browser, admin_server, visitor, make_visitor):
    simulate(admin_server, "group-comment", URGENT, name="Marta Gil")
    visitor.open_signed_in("/admin/")
    card = visitor.card(URGENT)
    expect(card.locator("dd").first).to_have_text("Spanish")
    visitor.page.get_by_role("button", name="Español").click()

    page = visitor.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Cola")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("status").first).to_have_text("El panel ahora está en español.")
    expect(page.get_by_role("navigation", name="Listas").get_by_role("link", name="Pendientes 1")).to_be_visible()
    card = page.locator(".card").filter(has_text=URGENT)
    expect(card.locator(".badge-urgent")).to_have_text("Urgente")
    expect(card.locator("dt", has_text="Intención").locator("+ dd")).to_have_text("Detención urgente")
    expect(card.get_by_role("button", name="Aprobar")).to_be_visible()

    # Another browser, in English: the sign-in page follows the browser, the dashboard the admin's choice.
    other = make_visitor(browser, admin_server.url, locale="en-US")
    try:
        other.open("/admin/")
        expect(other.page.get_by_role("heading", level=1)).to_have_text("Sign in")
        other.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        expect(other.page.get_by_role("heading", level=1)).to_have_text("Cola")
        other.page.get_by_role("button", name="English").click()
        expect(other.page.get_by_role("heading", level=1)).to_have_text("Queue")
    finally:
        other.page.context.close()


def test_a_spanish_browser_gets_the_sign_in_page_in_spanish(browser, admin_server, make_visitor):
    spanish = make_visitor(browser, admin_server.url, locale="es-MX")
    try:
        spanish.open("/admin/")
        page = spanish.page
        expect(page.get_by_role("heading", level=1)).to_have_text("Iniciar sesión")
        page.get_by_label("Correo electrónico").fill(ADMIN_EMAIL)
        page.get_by_label("Contraseña").fill("not the password at all")
        page.get_by_role("button", name="Iniciar sesión").click()
        expect(page.get_by_role("alert")).to_have_text("Correo o contraseña incorrectos.")
    finally:
        page.context.close()
