"""Browser fixtures: a real `groupbot serve` with an admin, and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives /usr/bin/chromium (`apt-get install chromium`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.support import ADMIN_EMAIL, ADMIN_PASSWORD, LOCKED_EMAIL, Visitor
from tests.support.groupbot import GroupbotServer, run_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (install it: apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _start_server(workdir: Path, env: dict[str, str]) -> GroupbotServer:
    """Add the test admins, then start `groupbot serve` with ``env``."""
    for email in (ADMIN_EMAIL, LOCKED_EMAIL):
        added = run_cli("admin", "add", email, "--password-stdin", input=ADMIN_PASSWORD + "\n", env=env, cwd=workdir)
        assert added.returncode == 0, added.stderr
    return GroupbotServer(workdir, env).start()


@pytest.fixture(scope="session")
def start_live_server(live_env):
    """start_live_server(workdir, graph, blog=None, **extra): a live (not dry-run) `groupbot serve` with the test
    admins, whose Graph API is ``graph`` and blog ``blog`` (fakes on 127.0.0.1). The caller stops it."""

    def start(workdir: Path, graph, blog=None, **extra: str) -> GroupbotServer:
        return _start_server(workdir, live_env(workdir / "var", graph, blog, **extra))

    return start


@pytest.fixture(scope="module")
def live_server(request, tmp_path_factory, fake_graph, start_live_server):
    """A live `groupbot serve` talking to the fake Graph API, shared by a module's tests (a module needing other
    settings defines its own)."""
    server = start_live_server(tmp_path_factory.mktemp(f"live-{request.module.__name__.rsplit('.', 1)[-1]}"),
                               fake_graph)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory, base_env):
    """`groupbot serve` (dry-run) with two admins, shared by a module's tests."""
    workdir = tmp_path_factory.mktemp("dashboard")
    server = _start_server(workdir, base_env(workdir / "var"))
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


def _make_visitor(browser, base_url: str, **context_options) -> Visitor:
    context = browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    visitor = Visitor(page, base_url)

    def on_dialog(dialog):
        visitor.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return visitor


@pytest.fixture(scope="session")
def make_visitor():
    """make_visitor(browser, base_url, **context_options): a new browser profile on ``base_url``; the caller closes
    its context."""
    return _make_visitor


@pytest.fixture
def visitor(browser, admin_server):
    """A new, signed-out browser profile (desktop size)."""
    visitor = _make_visitor(browser, admin_server.url)
    yield visitor
    visitor.page.context.close()


@pytest.fixture
def phone(browser, admin_server):
    """A new, signed-out browser profile the size of a phone (390 x 844, touch)."""
    visitor = _make_visitor(
        browser, admin_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield visitor
    visitor.page.context.close()


@pytest.fixture
def live_visitor(browser, live_server):
    """A new, signed-out browser profile (desktop size) on the module's ``live_server``."""
    visitor = _make_visitor(browser, live_server.url)
    yield visitor
    visitor.page.context.close()


@pytest.fixture(scope="module")
def fake_graph():
    """A fake Graph API shared by one module's live-server tests."""
    from tests.fakes.fake_graph import FakeGraph

    with FakeGraph() as graph:
        yield graph
