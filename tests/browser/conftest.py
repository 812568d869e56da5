"""Browser fixtures: a real `groupbot serve` with an admin, and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives /usr/bin/chromium (`apt-get install chromium`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import GroupbotServer, base_env, run_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_EMAIL = "ana@example-firm.test"
ADMIN_PASSWORD = "Mar-Azul 2024 casa"
LOCKED_EMAIL = "luis@example-firm.test"  # the throttling test locks this account out


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (install it: apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    """`groupbot serve` (dry-run) with two admins, shared by a module's tests."""
    workdir = tmp_path_factory.mktemp("dashboard")
    env = base_env(workdir / "var")
    for email in (ADMIN_EMAIL, LOCKED_EMAIL):
        added = run_cli("admin", "add", email, "--password-stdin", input=ADMIN_PASSWORD + "\n", env=env, cwd=workdir)
        assert added.returncode == 0, added.stderr
    server = GroupbotServer(workdir, env).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visitor:
    """A fresh browser profile on the dashboard, recording every JavaScript dialog it sees."""

    page: object
    base_url: str
    dialogs: list[str] = field(default_factory=list)

    def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)


def make_visitor(browser, base_url: str, **context_options) -> Visitor:
    context = browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    visitor = Visitor(page, base_url)

    def on_dialog(dialog):
        visitor.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return visitor


@pytest.fixture
def visitor(browser, admin_server):
    """A new, signed-out browser profile (desktop size)."""
    visitor = make_visitor(browser, admin_server.url)
    yield visitor
    visitor.page.context.close()


@pytest.fixture
def phone(browser, admin_server):
    """A new, signed-out browser profile the size of a phone (390 x 844, touch)."""
    visitor = make_visitor(
        browser, admin_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield visitor
    visitor.page.context.close()
