"""Plain helpers for the reply tests: deliveries stamped with the current time, what the fake Graph API delivered."""

from __future__ import annotations

import itertools
import time

from bot.config import Settings
from bot.store import Store, store_for
from tests.fakes.fake_graph import FakeGraph

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


def private_replies(fake: FakeGraph) -> list[dict]:
    """Private replies the fake delivered."""
    return [m for m in fake.messages if m["kind"] == "private_reply"]


def messenger_sends(fake: FakeGraph) -> list[dict]:
    """Messenger answers the fake delivered."""
    return [m for m in fake.messages if m["kind"] == "message"]


def message_requests(fake: FakeGraph) -> list[dict]:
    """Every POST /{page}/messages the fake received, delivered or refused."""
    return [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/messages")]


def earn_auto_approval(store: Store, intent: str, decisions: int = 30, *, now: float | None = None) -> None:
    """Admins' past decisions on `intent`'s suggestions, all approved unchanged: enough for the auto-approve gate."""
    now = time.time() if now is None else now
    for n in range(decisions):
        store.examples.add(question_id=None, text=f"earlier question {n}", language="es", suggested=intent,
                           intent=intent, decision="approved", decided_by="ana@firm.example", now=now - 60 * (n + 1))


def earn_auto_approval_in(env: dict[str, str], intent: str, decisions: int = 30) -> None:
    """`earn_auto_approval` in the database of a groupbot started with `env` (before it starts)."""
    store = store_for(Settings.from_env(env, env_file=None))
    try:
        store.migrate(time.time())
        earn_auto_approval(store, intent, decisions)
    finally:
        store.close()


PAGE_INBOX_APP_ID = 263902037430900  # the app id Meta puts on messages sent from the Page inbox


def staff_comment(text: str, *, under: str, comment_id: str | None = None, page_id: str = "104000000000001") -> dict:
    """The Page's own public reply under a member's comment, written by a person (not through groupbot)."""
    delivery = comment(text, comment_id=comment_id, author_id=page_id, parent_id=under, page_id=page_id)
    delivery["entry"][0]["changes"][0]["value"]["from"]["name"] = "Demo Immigration Law Firm"
    return delivery


def staff_echo(text: str, *, to: str, at: float | None = None, mid: str | None = None,
               app_id: int | None = PAGE_INBOX_APP_ID, sender_name: str | None = None,
               page_id: str = "104000000000001") -> dict:
    """The echo of a message a person sent the member from the Page inbox: no groupbot metadata."""
    stamp = int((time.time() if at is None else at) * 1000)
    body: dict = {"mid": mid or f"m_{next_id()}", "text": text, "is_echo": True}
    if app_id is not None:
        body["app_id"] = app_id
    sender: dict = {"id": page_id, **({"name": sender_name} if sender_name else {})}
    item = {"sender": sender, "recipient": {"id": to}, "timestamp": stamp, "message": body}
    return {"object": "page", "entry": [{"id": page_id, "time": stamp, "messaging": [item]}]}
