"""Build and send webhook deliveries shaped like Meta's, signed with our app secret.

For trying groupbot without Meta: ``groupbot simulate group-comment "hola"``.
"""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import urlsplit, urlunsplit

import requests

from bot.config import Settings
from bot.intake import signature

KINDS = ("comment", "group-comment", "message")
WEBHOOK_PATH = "/webhooks/meta"


class SimulationError(RuntimeError):
    """The delivery could not be sent (no server, bad URL)."""


def build_delivery(kind: str, text: str, *, page_id: str, name: str = "Demo Member") -> object:
    """A delivery as Meta would send it for ``kind`` (see meta-platform.md §2)."""
    now = time.time()
    user_id = "9" + str(secrets.randbelow(10**14)).zfill(14)
    post_id = f"{page_id}_{secrets.randbelow(10**15)}"
    comment_id = f"{post_id.split('_')[1]}_{secrets.randbelow(10**15)}"
    if kind == "comment":
        value = {
            "from": {"id": user_id, "name": name}, "post_id": post_id, "comment_id": comment_id,
            "parent_id": post_id, "message": text, "created_time": int(now), "item": "comment", "verb": "add",
        }
        return {"object": "page", "entry": [{"id": page_id, "time": int(now), "changes": [{"field": "feed", "value": value}]}]}
    if kind == "group-comment":
        # The shape of Meta's Messenger docs: a top-level array, flat fields under messaging[].
        item = {
            "recipient": {"id": page_id}, "from": {"id": user_id, "name": name},
            "group_id": str(secrets.randbelow(10**15)), "comment_id": comment_id, "parent_id": post_id,
            "post_id": post_id, "created_time": int(now), "item": "comment", "verb": "add",
            "message": text, "field": "group_feed",
        }
        return [{"object": "page", "entry": [{"time": int(now * 1000), "id": page_id, "messaging": [item], "hop_context": None}]}]
    if kind == "message":
        item = {
            "sender": {"id": user_id}, "recipient": {"id": page_id}, "timestamp": int(now * 1000),
            "message": {"mid": "m_" + secrets.token_urlsafe(24), "text": text},
        }
        return {"object": "page", "entry": [{"id": page_id, "time": int(now * 1000), "messaging": [item]}]}
    raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")


def webhook_url(url: str) -> str:
    """The webhook address for ``url``: the server's base URL gets Meta's callback path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SimulationError(f"--url must be an http(s) address like http://127.0.0.1:8000 (got {url!r})")
    if parts.path in ("", "/"):
        return urlunsplit((parts.scheme, parts.netloc, WEBHOOK_PATH, parts.query, ""))
    return url


def send(kind: str, text: str, *, url: str, settings: Settings, name: str = "Demo Member") -> tuple[int, str]:
    """POST a signed delivery to ``url`` (a base URL gets the webhook path); returns (status, short answer).

    The answer is the server's plain-text reply, or a word on what came back instead: never a page of HTML.
    Raises SimulationError.
    """
    url = webhook_url(url)
    # Meta escapes non-ASCII (\\u00e9 for é) and signs those bytes; do the same.
    body = json.dumps(build_delivery(kind, text, page_id=settings.page_id, name=name)).encode()
    headers = {"Content-Type": "application/json", signature.HEADER: signature.sign(body, settings.app_secret)}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=10)
    except requests.ConnectionError:
        raise SimulationError(f"no server answers at {url}; start one with `groupbot serve`") from None
    except requests.RequestException as exc:
        raise SimulationError(f"could not send to {url}: {type(exc).__name__}") from None
    return response.status_code, _short_answer(response)


def _short_answer(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "text/html" or response.text.lstrip()[:1] == "<":
        return f"(an HTML page, not the webhook's answer: is {response.url} groupbot's {WEBHOOK_PATH}?)"
    lines = response.text.strip().splitlines()
    return lines[0][:200] if lines else ""
