"""Helpers for the reply tests: a live groupbot's reply pipeline stepped by hand against the fake Graph API."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from bot.config import Settings
from bot.intake.deliveries import process_deliveries
from bot.replies.windows import expire_overdue
from bot.runtime.assemble import assemble
from bot.store import Store
from bot.store.replies import Reply
from tests.fakes.fake_graph import FakeGraph
from tests.publishing_support import graph_for, live_settings

POST_ID = "104000000000001_777"
_ids = itertools.count(int(time.time()) % 10**6 * 100)


def next_id(prefix: str = "") -> str:
    """A fresh Meta-like id."""
    return f"{prefix}{next(_ids)}"


def comment(text: str, *, field: str = "feed", comment_id: str | None = None, verb: str = "add",
            author_id: str = "5550001", created: float | None = None, page_id: str = "104000000000001",
            parent_id: str = POST_ID) -> dict:
    """A delivery with one comment on the Page's post (field 'feed') or in its Group ('group_feed')."""
    value = {"from": {"id": author_id, "name": "Maria Lopez"}, "post_id": POST_ID,
             "comment_id": comment_id or f"777_{next_id()}", "parent_id": parent_id, "message": text,
             "created_time": int(time.time() if created is None else created), "item": "comment", "verb": verb}
    if field == "group_feed":
        value["group_id"] = "880000000000001"
    return {"object": "page", "entry": [{"id": page_id, "time": int(time.time()),
                                         "changes": [{"field": field, "value": value}]}]}


def message(text: str, *, sender: str = "7770001", at: float | None = None, mid: str | None = None,
            page_id: str = "104000000000001", echo_metadata: str | None = None) -> dict:
    """A Messenger delivery from a member (or, with echo_metadata, the Page's echo of our send)."""
    stamp = int((time.time() if at is None else at) * 1000)
    body: dict = {"mid": mid or f"m_{next_id()}", "text": text}
    sender_id, recipient_id = sender, page_id
    if echo_metadata is not None:
        body.update(is_echo=True, metadata=echo_metadata, app_id=900000000000001)
        sender_id, recipient_id = page_id, sender
    item = {"sender": {"id": sender_id}, "recipient": {"id": recipient_id}, "timestamp": stamp, "message": body}
    return {"object": "page", "entry": [{"id": page_id, "time": stamp, "messaging": [item]}]}


class Desk:
    """One live groupbot's reply pipeline on a real database, stepped by hand: intake, judging, sending."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.now = time.time()
        # The senders read the same time as the step, so Meta's windows are judged at the step's `now`.
        self.runtime = assemble(settings, store, graph=graph_for(settings), feed_timeout=0.5, clock=lambda: self.now)
        self.publisher = self.runtime.dispatcher
        self.judge = self.runtime.suggester

    def deliver(self, *payloads: dict) -> None:
        """Commit deliveries as the webhook does."""
        self.store.deliveries.insert([(json.dumps(p).encode(), time.time()) for p in payloads])

    def step(self, now: float | None = None) -> None:
        """One worker pass over the reply pipeline: parse, judge, expire, send what is due."""
        now = self.now = time.time() if now is None else now
        process_deliveries(self.store, now=now)
        self.judge.run(now)
        expire_overdue(self.store, now)
        self.publisher.outbox.process_due(now)

    def only_reply(self) -> Reply:
        [reply] = self.store.replies.triaged()
        return reply


def make_desk(tmp_path: Path, fake: FakeGraph, **extra: str) -> Desk:
    """A Desk of a live groupbot (settings from `extra`) talking to `fake`."""
    settings = live_settings(tmp_path / "var", fake, None, **extra)
    store = Store(settings.database_path)
    store.migrate(time.time())
    return Desk(settings, store)


def private_replies(fake: FakeGraph) -> list[dict]:
    """Private replies the fake delivered."""
    return [m for m in fake.messages if m["kind"] == "private_reply"]


def messenger_sends(fake: FakeGraph) -> list[dict]:
    """Messenger answers the fake delivered."""
    return [m for m in fake.messages if m["kind"] == "message"]


def message_requests(fake: FakeGraph) -> list[dict]:
    """Every POST /{page}/messages the fake received, delivered or refused."""
    return [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/messages")]
