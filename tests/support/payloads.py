"""Meta webhook deliveries in the shapes Meta documents (see docs: meta-platform.md §2)."""

from __future__ import annotations

import itertools
from typing import Any

PAGE_ID = "104000000000001"
_ids = itertools.count(1000)


def comment_value(text: str = "cual es su numero?", *, comment_id: str | None = None, verb: str = "add",
                  author_id: str = "5550001", name: str = "Maria Lopez", created_time: int = 1767225590) -> dict:
    comment_id = comment_id or f"{next(_ids)}_{next(_ids)}"
    return {
        "from": {"id": author_id, "name": name}, "post_id": f"{PAGE_ID}_777", "comment_id": comment_id,
        "parent_id": f"{PAGE_ID}_777", "message": text, "created_time": created_time, "item": "comment", "verb": verb,
    }


def feed(*values: dict, page_id: str = PAGE_ID, field: str = "feed") -> dict:
    changes = [{"field": field, "value": value} for value in values]
    return {"object": "page", "entry": [{"id": page_id, "time": 1767225600, "changes": changes}]}


def group_feed_flat(text: str = "hola, cual es su numero?", *, comment_id: str | None = None) -> list:
    """Meta's Messenger-docs shape: a top-level array with flat fields under messaging[]."""
    item = {
        "recipient": {"id": PAGE_ID}, "from": {"id": "5550002", "name": "Cinderella Hoover"},
        "group_id": "880000000000001", "comment_id": comment_id or f"{next(_ids)}_{next(_ids)}",
        "parent_id": "900_1", "post_id": "900_1", "created_time": 1680575789, "item": "comment",
        "verb": "add", "message": text, "field": "group_feed",
    }
    return [{"object": "page", "entry": [{"time": 1680575902263, "id": PAGE_ID, "messaging": [item], "hop_context": None}]}]


def message(text: str | None = "How much is a consultation?", *, mid: str | None = None, sender: str = "7770001",
            timestamp: int = 1767225600000, **extra: Any) -> dict:
    body: dict[str, Any] = {"mid": mid or f"m_{next(_ids)}"}
    if text is not None:
        body["text"] = text
    body.update(extra)
    item = {"sender": {"id": sender}, "recipient": {"id": PAGE_ID}, "timestamp": timestamp, "message": body}
    return messaging(item)


def messaging(*items: dict) -> dict:
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": 1767225600000, "messaging": list(items)}]}
