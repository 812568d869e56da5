"""Browser fixtures: a real `groupbot serve` with an admin, and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives /usr/bin/chromium (`apt-get install chromium`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import GroupbotServer, base_env, run_cli, wait_for
from tests.publishing_support import live_env

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


def start_server(workdir: Path, env: dict[str, str]) -> GroupbotServer:
    """Add the test admins, then start `groupbot serve` with ``env``."""
    for email in (ADMIN_EMAIL, LOCKED_EMAIL):
        added = run_cli("admin", "add", email, "--password-stdin", input=ADMIN_PASSWORD + "\n", env=env, cwd=workdir)
        assert added.returncode == 0, added.stderr
    return GroupbotServer(workdir, env).start()


def start_live_server(workdir: Path, graph, blog=None, **extra: str) -> GroupbotServer:
    """A live (not dry-run) `groupbot serve` whose Graph API is ``graph`` and blog ``blog`` (fakes on 127.0.0.1)."""
    return start_server(workdir, live_env(workdir / "var", graph, blog, **extra))


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    """`groupbot serve` (dry-run) with two admins, shared by a module's tests."""
    workdir = tmp_path_factory.mktemp("dashboard")
    server = start_server(workdir, base_env(workdir / "var"))
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

    def open_signed_in(self, path: str) -> None:
        """Open ``path``, signing in on the way."""
        self.open(path)
        self.sign_in()
        self.page.wait_for_url(f"**{path}")

    def card(self, text: str, show: str = "pending"):
        """The card holding ``text`` in one of the queue's tabs, once it is there (the worker runs after the 200)."""
        card = self.page.locator(".card").filter(has_text=text)

        def shown() -> bool:
            self.open(f"/admin/?show={show}")
            return card.count() > 0

        wait_for(shown, timeout=15, interval=0.2)
        return card

    def width(self) -> int:
        """How wide the page is laid out; wider than the screen means sideways scrolling."""
        return self.page.evaluate("document.documentElement.scrollWidth")


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


@pytest.fixture
def live_visitor(browser, live_server):
    """A new, signed-out browser profile (desktop size) on the module's ``live_server``."""
    visitor = make_visitor(browser, live_server.url)
    yield visitor
    visitor.page.context.close()


def simulate(server: GroupbotServer, kind: str, text: str, name: str = "Demo Member") -> None:
    """Send a signed delivery the way `groupbot simulate` does for someone trying groupbot."""
    sent = run_cli(
        "simulate", kind, text, "--name", name, "--url", f"{server.url}/webhooks/meta",
        env=server.env, cwd=server.workdir,
    )
    assert sent.returncode == 0, sent.stderr


@pytest.fixture(scope="module")
def fake_graph():
    """A fake Graph API shared by one module's live-server tests."""
    from tests.fakes.fake_graph import FakeGraph

    with FakeGraph() as graph:
        yield graph
