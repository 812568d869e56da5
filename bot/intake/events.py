"""Meta webhook payloads -> typed events. Pure functions, no I/O.

Meta documents two shapes for ``group_feed`` (flat under ``messaging[]`` and as a
``changes[]`` value) and sometimes wraps the whole body in a JSON array; all are
accepted. One broken entry never costs the rest of its batch: it is reported in
``ParseResult.problems`` and skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union

MAX_TEXT_CHARS = 8000
PAGE_POST_ITEMS = frozenset({"status", "post", "photo", "link", "video", "share", "album"})
COMMENT_SOURCES = {"feed": "page_comment", "group_feed": "group_comment"}
# Epoch seconds of 2000-01-01 and 2100-01-01 UTC: a time outside them is a sender's bug or an
# attack, and stored it would break every page and command that formats it.
EARLIEST_TIME = 946_684_800.0
LATEST_TIME = 4_102_444_800.0


class BadPayload(ValueError):
    """The body is not a Meta webhook delivery at all (not JSON, or not an object/array)."""


@dataclass(frozen=True)
class CommentEvent:
    """A comment added, edited or removed on the Page's post (on the Page or in its Group)."""

    source: str  # 'page_comment' | 'group_comment'
    verb: str
    comment_id: str
    post_id: str | None
    parent_id: str | None
    group_id: str | None
    author_id: str
    author_name: str
    text: str
    created_time: float
    from_page: bool
    dedupe_key: str
    attachments: tuple[str, ...] = ()  # 'photo', 'video', 'sticker'...: a comment may be only that
    mentions: tuple[str, ...] = ()  # names of the people and Pages it tags (message_tags)
    from_other_page: bool = False  # written by another Facebook Page, not a person


@dataclass(frozen=True)
class MessageEvent:
    """A Messenger message; ``is_echo`` marks the Page's own messages sent back to us."""

    mid: str
    sender_id: str
    recipient_id: str
    text: str
    timestamp: float
    attachments: tuple[str, ...]
    quick_reply_payload: str | None
    is_echo: bool
    metadata: str | None
    dedupe_key: str
    app_id: str | None = None  # on an echo: the app that sent the message (ours, the Page inbox's...)
    sender_name: str | None = None  # on an echo, when Meta names who wrote it


@dataclass(frozen=True)
class PostbackEvent:
    """A tap on a postback button, Get Started or the persistent menu."""

    sender_id: str
    title: str
    payload: str
    timestamp: float
    dedupe_key: str


@dataclass(frozen=True)
class PagePostEvent:
    """The Page itself published, edited or removed a post."""

    post_id: str
    verb: str
    item: str
    link: str | None
    created_time: float
    dedupe_key: str


Event = Union[CommentEvent, MessageEvent, PostbackEvent, PagePostEvent]


@dataclass
class ParseResult:
    """Events found in one delivery, plus one line per entry that had to be skipped."""

    events: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ignored: int = 0


def decode_body(body: bytes) -> Any:
    """Parse a raw body as JSON; raises BadPayload unless it is an object or an array."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("body is not JSON") from None
    except RecursionError:
        raise BadPayload("body is nested too deeply") from None
    if not isinstance(payload, (dict, list)):
        raise BadPayload("body is JSON but neither an object nor an array")
    return payload


def parse_delivery(payload: Any, *, page_id: str | None = None) -> ParseResult:
    """Every event in a delivery (an object, or a top-level array of them).

    ``page_id`` is our Page, used when an entry does not name its Page, so that the Page's
    own comments and messages are never taken for a member's.
    """
    result = ParseResult()
    deliveries = payload if isinstance(payload, list) else [payload]
    for index, delivery in enumerate(deliveries):
        if not isinstance(delivery, dict):
            result.problems.append(f"delivery[{index}] is not an object")
            continue
        if delivery.get("object") != "page":
            result.problems.append(f"delivery[{index}] has object {str(delivery.get('object'))[:20]!r}, not 'page'")
            continue
        entries = delivery.get("entry")
        if not isinstance(entries, list):
            result.problems.append(f"delivery[{index}] has no entry list")
            continue
        for position, entry in enumerate(entries):
            _parse_entry(entry, f"entry[{position}]", result, page_id)
    return result


def _parse_entry(entry: Any, where: str, result: ParseResult, our_page_id: str | None) -> None:
    if not isinstance(entry, dict):
        result.problems.append(f"{where} is not an object")
        return
    page_id = _id(entry.get("id")) or our_page_id
    try:
        entry_time = _seconds(entry.get("time"))
    except _Skip as skip:
        result.problems.append(f"{where}: {skip}")
        return
    for kind, items in (("changes", entry.get("changes")), ("messaging", entry.get("messaging"))):
        if items is None:
            continue
        if not isinstance(items, list):
            result.problems.append(f"{where}.{kind} is not a list")
            continue
        parse_item = _parse_change if kind == "changes" else _parse_messaging
        for n, item in enumerate(items):
            try:
                event = parse_item(item, page_id, entry_time)
            except _Skip as skip:
                result.problems.append(f"{where}.{kind}[{n}]: {skip}")
                continue
            except (TypeError, ValueError, AttributeError) as exc:  # a shape nobody foresaw
                result.problems.append(f"{where}.{kind}[{n}]: unreadable ({type(exc).__name__})")
                continue
            if event is None:
                result.ignored += 1
            else:
                result.events.append(event)


class _Skip(ValueError):
    """An item that cannot be understood; the reason never quotes member text."""


def _parse_change(change: Any, page_id: str | None, entry_time: float | None) -> Event | None:
    if not isinstance(change, dict):
        raise _Skip("not an object")
    field_name = _str(change.get("field"))
    if field_name not in COMMENT_SOURCES:
        return None
    value = change.get("value")
    if not isinstance(value, dict):
        raise _Skip(f"{field_name} change without a value object")
    return _feed_value(value, field_name, page_id, entry_time)


def _parse_messaging(item: Any, page_id: str | None, entry_time: float | None) -> Event | None:
    if not isinstance(item, dict):
        raise _Skip("not an object")
    field_name = _str(item.get("field"))
    if field_name in COMMENT_SOURCES or ("comment_id" in item and "sender" not in item):
        # Meta's Messenger docs show group_feed flat inside messaging[]: a comment, not a DM.
        return _feed_value(item, field_name if field_name in COMMENT_SOURCES else "group_feed", page_id, entry_time)
    sender = _id(_get(item, "sender", "id"))
    if "message" in item:
        return _message(item, sender, page_id)
    if "postback" in item:
        return _postback(item, sender)
    return None  # reads, deliveries, reactions, optins: nothing a member asked


def _feed_value(value: dict, field_name: str, page_id: str | None, entry_time: float | None) -> Event | None:
    item, verb = _str(value.get("item")), value.get("verb")
    if item is None and "comment_id" in value:
        item = "comment"  # group_feed documents only comments, and some senders omit the item
    if verb is None and item == "comment":
        verb = "add"
    author_id = _id(_get(value, "from", "id"))
    if item in PAGE_POST_ITEMS and field_name == "feed":
        return _page_post(value, item, verb, author_id, page_id)
    if item != "comment":
        return None
    comment_id = _id(value.get("comment_id"))
    if not comment_id:
        raise _Skip(f"{field_name} comment without comment_id")
    if not isinstance(verb, str) or not verb:
        raise _Skip(f"{field_name} comment {comment_id} without a verb")
    text = _text(value.get("message"))
    created = _seconds(value.get("created_time")) or entry_time or 0.0
    if verb == "add":
        key = f"comment:{comment_id}:add"
    else:
        # Edits and removals of one comment can happen many times; a redelivery repeats
        # the same body, so the text and send time tell a new change from a repeat.
        digest = hashlib.sha256(f"{text}\x00{entry_time}".encode()).hexdigest()[:16]
        key = f"comment:{comment_id}:{verb}:{digest}"
    return CommentEvent(
        source=COMMENT_SOURCES[field_name],
        verb=verb,
        comment_id=comment_id,
        post_id=_id(value.get("post_id")),
        parent_id=_id(value.get("parent_id")),
        group_id=_id(value.get("group_id")),
        author_id=author_id or "",
        author_name=_text(_get(value, "from", "name"))[:200],
        text=text,
        created_time=created,
        from_page=bool(author_id) and author_id == page_id,
        dedupe_key=key,
        attachments=_comment_attachments(value),
        mentions=_mentions(value.get("message_tags")),
        # Meta describes a Page author with its category; a person has none (the Page's own comments aside).
        from_other_page=bool(author_id) and author_id != page_id and bool(_get(value, "from", "category")),
    )


def _comment_attachments(value: dict) -> tuple[str, ...]:
    """The kinds of media a comment carries: Meta gives a photo's or video's URL, or an attachment object."""
    kinds = [kind for kind in ("photo", "video") if isinstance(value.get(kind), str) and value.get(kind)]
    attachment = value.get("attachment")
    if isinstance(attachment, dict) and isinstance(attachment.get("type"), str):
        kind = attachment["type"][:30]
        if kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def _mentions(tags: Any) -> tuple[str, ...]:
    """The names a comment tags; Meta gives offsets too, but in units that differ between its clients."""
    if not isinstance(tags, list):
        return ()
    names = (_text(tag.get("name")).strip()[:200] for tag in tags[:50] if isinstance(tag, dict))
    return tuple(name for name in names if name)


def _page_post(value: dict, item: str, verb: Any, author_id: str | None, page_id: str | None) -> Event | None:
    post_id = _id(value.get("post_id"))
    if not post_id or not page_id or author_id not in (None, page_id):
        return None  # visitor posts on the Page are not the Page's own
    verb = verb if isinstance(verb, str) else "add"
    link = value.get("link") if isinstance(value.get("link"), str) else None
    return PagePostEvent(
        post_id=post_id,
        verb=verb,
        item=item,
        link=link,
        created_time=_seconds(value.get("created_time")) or 0.0,
        dedupe_key=f"post:{post_id}:{verb}",
    )


def _message(item: dict, sender: str | None, page_id: str | None) -> Event | None:
    message = item.get("message")
    if not isinstance(message, dict):
        raise _Skip("message is not an object")
    mid = _id(message.get("mid"))
    if not mid:
        raise _Skip("message without mid")
    if not sender:
        raise _Skip(f"message {mid} without sender")
    attachments = tuple(
        str(a.get("type") or "unknown")[:30] for a in message.get("attachments") or [] if isinstance(a, dict)
    )
    is_echo = message.get("is_echo") is True or (bool(page_id) and sender == page_id)
    quick = message.get("quick_reply")
    return MessageEvent(
        mid=mid,
        sender_id=sender,
        recipient_id=_id(_get(item, "recipient", "id")) or "",
        text=_text(message.get("text")),
        timestamp=_seconds(item.get("timestamp")) or 0.0,
        attachments=attachments,
        quick_reply_payload=_text(quick.get("payload")) if isinstance(quick, dict) else None,
        is_echo=is_echo,
        metadata=_text(message.get("metadata")) or None,
        dedupe_key=f"{'echo' if is_echo else 'message'}:{mid}",
        app_id=_id(message.get("app_id")),
        sender_name=_text(_get(item, "sender", "name"))[:200] or None,
    )


def _postback(item: dict, sender: str | None) -> Event:
    postback = item.get("postback")
    if not isinstance(postback, dict) or not sender:
        raise _Skip("postback without sender or body")
    timestamp = _seconds(item.get("timestamp")) or 0.0
    mid = _id(postback.get("mid")) or f"{sender}:{timestamp}"
    return PostbackEvent(
        sender_id=sender,
        title=_text(postback.get("title"))[:200],
        payload=_text(postback.get("payload"))[:1000],
        timestamp=timestamp,
        dedupe_key=f"postback:{mid}",
    )


def is_member_message(event: Event) -> bool:
    """True for what a member wrote: not echoes, not the Page's own comments or posts."""
    if isinstance(event, CommentEvent):
        return not event.from_page
    if isinstance(event, MessageEvent):
        return not event.is_echo
    return False


def _str(value: Any) -> str | None:
    """A string field as Meta sends it, or None for anything else (lists, numbers, objects)."""
    return value if isinstance(value, str) else None


def _get(obj: dict, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _id(value: Any) -> str | None:
    """Meta ids are opaque strings, but some senders give numbers; booleans are not ids."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, str)):
        text = str(value).strip()
        return text[:100] if text else None
    return None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    # NUL bytes break C-string consumers downstream (logs, SMTP); nothing legitimate uses them.
    return value.replace("\x00", "")[:MAX_TEXT_CHARS]


def _seconds(value: Any) -> float | None:
    """Epoch seconds from Meta's mixed units (seconds or milliseconds) or an ISO string.

    None when absent or not a time; _Skip when it is a number out of 2000-2100 or not finite.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            seconds = value / 1000.0 if value > 10**11 else float(value)
        except OverflowError:  # an int too large for a float
            seconds = math.inf
    elif isinstance(value, str):
        try:
            seconds = datetime.fromisoformat(value.replace("+0000", "+00:00")).timestamp()
        except (ValueError, OverflowError):
            return None
    else:
        return None
    if not math.isfinite(seconds) or not EARLIEST_TIME <= seconds <= LATEST_TIME:
        raise _Skip("time out of range (not between 2000 and 2100)")
    return seconds
