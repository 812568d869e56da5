"""The Graph client an installation's settings call for: the real one, or the recording one in dry-run."""

from __future__ import annotations

import time
from typing import Callable

import requests

from bot.config import Settings
from bot.meta.client import GraphClient
from bot.meta.recording import RecordingGraph
from bot.store import Store


def build_graph(settings: Settings, store: Store, *, session: requests.Session | None = None,
                sleep: Callable[[float], None] = time.sleep) -> GraphClient | RecordingGraph:
    """The real GraphClient, or in dry-run a RecordingGraph writing to `store`."""
    if settings.dry_run:
        return RecordingGraph(store, settings.page_id)
    return GraphClient(base_url=settings.graph_url, version=settings.graph_version, page_id=settings.page_id,
                       page_token=settings.page_token, app_secret=settings.app_secret,
                       app_id=settings.app_id or None, session=session, timeout=float(settings.graph_timeout),
                       sleep=sleep)
