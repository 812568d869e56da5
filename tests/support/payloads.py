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


# -- shapes seen in real `feed` deliveries (meta-platform.md, "Shapes seen in real feed webhooks") --------------

OTHER_PAGE = {"id": "109000000000077", "name": "Tacos El Primo", "category": "Mexican Restaurant"}


def reaction(*, comment_id: str | None = None, reaction_type: str = "love", verb: str = "add") -> dict:
    """A reaction to the Page's post (or, with comment_id, to a comment): never a question."""
    value = {"from": {"id": "5550001", "name": "Maria Lopez"}, "post_id": f"{PAGE_ID}_777", "item": "reaction",
             "verb": verb, "reaction_type": reaction_type, "parent_id": f"{PAGE_ID}_777", "created_time": 1767225590}
    if comment_id:
        value["comment_id"] = comment_id
    return feed(value)


def media_comment(kind: str, *, comment_id: str | None = None) -> dict:
    """A comment with no `message`: only a photo, a video, a sticker or a GIF (Meta gives the media's URL)."""
    value = comment_value(comment_id=comment_id)
    del value["message"]
    if kind in ("photo", "video"):
        value[kind] = f"https://scontent.example.invalid/{kind}/{next(_ids)}.{'mp4' if kind == 'video' else 'jpg'}"
    elif kind == "gif":
        value["photo"] = f"https://media.example.invalid/{next(_ids)}.gif"
    else:  # a sticker arrives as the sticker's picture
        value["photo"] = f"https://scontent.example.invalid/sticker/{next(_ids)}.png"
    return feed(value)


def thread_reply(text: str, *, parent_comment_id: str, comment_id: str | None = None) -> dict:
    """A member's reply inside a comment thread: its parent_id is the comment, not the post."""
    value = comment_value(text, comment_id=comment_id, author_id="5550003", name="Rosa Diaz")
    value["parent_id"] = parent_comment_id
    return feed(value)


def other_page_comment(text: str = "Cual es su numero? Tenemos tacos 2x1 hoy!", *,
                       comment_id: str | None = None) -> dict:
    """A comment written by another Facebook Page (Meta describes it with a category)."""
    value = comment_value(text, comment_id=comment_id)
    value["from"] = dict(OTHER_PAGE)
    return feed(value)


def page_post(item: str, *, post_id: str | None = None, verb: str = "add") -> dict:
    """The Page's own post (status, photo, video, share or post), or its removal with verb='remove'."""
    post_id = post_id or f"{PAGE_ID}_{next(_ids)}"
    value: dict[str, Any] = {"from": {"id": PAGE_ID, "name": "Demo Immigration Law Firm"}, "post_id": post_id,
                             "item": item, "verb": verb, "created_time": 1767225590, "published": 1}
    if verb != "remove":
        value["message"] = "Nuevas reglas para la residencia permanente"
        value["post"] = {"status_type": "added_photos" if item == "photo" else "mobile_status_update",
                         "is_published": True, "permalink_url": f"https://www.facebook.com/{post_id}",
                         "promotion_status": "inactive", "id": post_id}
        if item in ("photo", "video"):
            value[item] = f"https://scontent.example.invalid/{item}/{next(_ids)}"
        if item == "share":
            value["link"] = "https://blog.example-immigration-firm.test/posts/reglas"
    return feed(value)


def tagged_comment(text: str, tags: list[tuple[str, str]], *, comment_id: str | None = None) -> dict:
    """A comment tagging people or Pages: `tags` holds (name, type) pairs, each name found in `text`."""
    value = comment_value(text, comment_id=comment_id)
    value["message_tags"] = [{"id": str(5560000 + n), "name": name, "type": kind, "offset": text.find(name),
                              "length": len(name)} for n, (name, kind) in enumerate(tags)]
    return feed(value)
