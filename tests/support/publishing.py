"""Plain helpers for the publishing tests: the blog's webhook secret, the calls the fake Graph API received."""

from __future__ import annotations

from tests.fakes.fake_graph import FakeGraph

BLOG_SECRET = "test-blog-webhook-secret"


def graph_calls(fake: FakeGraph, method: str | None = None, suffix: str = "") -> list[dict]:
    """Requests the fake Graph received (optionally one method and path ending)."""
    return [r for r in fake.requests if (method is None or r["method"] == method) and r["path"].endswith(suffix)]
