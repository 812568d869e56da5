"""Helpers for the publishing tests: settings pointing at the fakes, a Dispatcher with no real sleeps."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.meta.client import GraphClient
from bot.runtime.assemble import assemble
from bot.runtime.dispatcher import Dispatcher
from bot.store import Store
from tests.conftest import REPO_ROOT, base_env
from tests.fakes.fake_blog import FakeBlog
from tests.fakes.fake_graph import FakeGraph

BLOG_SECRET = "test-blog-webhook-secret"


def live_env(data_dir: Path, fake: FakeGraph, blog: FakeBlog | None, **extra: str) -> dict[str, str]:
    """Environment for a live (not dry-run) groupbot talking to the fakes."""
    env = base_env(data_dir, DRY_RUN="0", META_PAGE_ACCESS_TOKEN=fake.token, META_PAGE_ID=fake.page_id,
                   META_APP_SECRET=fake.app_secret, META_APP_ID=fake.app_id, META_GRAPH_URL=fake.url,
                   META_GRAPH_TIMEOUT_SECONDS="1", PYTHONPATH=str(REPO_ROOT))
    if blog is not None:
        env["BLOG_FEED_URL"] = blog.feed_url
    env.update(extra)
    return env


def live_settings(data_dir: Path, fake: FakeGraph, blog: FakeBlog | None, **extra: str) -> Settings:
    """Settings of a live groupbot talking to the fakes, ignoring the real environment."""
    return Settings.from_env(live_env(data_dir, fake, blog, **extra), env_file=None)


def graph_for(settings: Settings, *, token: str | None = None) -> GraphClient:
    """A GraphClient for the fake that never really sleeps between its inline retries."""
    return GraphClient(base_url=settings.graph_url, version=settings.graph_version, page_id=settings.page_id,
                       page_token=token or settings.page_token, app_secret=settings.app_secret,
                       app_id=settings.app_id, timeout=0.5, sleep=lambda seconds: None)


def publisher_for(settings: Settings, store: Store) -> Dispatcher:
    """The assembled dispatcher of these settings, whose feed polls time out fast."""
    return assemble(settings, store, graph=graph_for(settings), feed_timeout=0.5).dispatcher


def graph_calls(fake: FakeGraph, method: str | None = None, suffix: str = "") -> list[dict]:
    """Requests the fake Graph received (optionally one method and path ending)."""
    return [r for r in fake.requests if (method is None or r["method"] == method) and r["path"].endswith(suffix)]
