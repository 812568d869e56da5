"""Dry-run: Graph calls are recorded in the database instead of sent, and answered with Meta-shaped ids."""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

from bot.meta.client import MESSENGER_TEXT_LIMIT, GraphBadRequest, post_links
from bot.store import Store

log = logging.getLogger(__name__)

_FAKE_OBJECT_BASE = 122000000000000000  # large, like Meta's object ids, and clearly not a real one


class RecordingGraph:
    """Stands in for GraphClient (same methods): records calls that would change something; never sends."""

    def __init__(self, store: Store, page_id: str, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.page_id = page_id
        self._clock = clock

    def __repr__(self) -> str:
        return f"RecordingGraph(page_id={self.page_id!r})"

    # -- Page posts ---------------------------------------------------------------------------

    def publish_post(self, message: str, link: str | None) -> str:
        """Record a Page post; returns a post id shaped like Meta's ({page-id}_{post-id})."""
        params = {"message": message, **({"link": link} if link else {})}
        return self._record("POST", f"{self.page_id}/feed", params,
                            lambda n: f"{self.page_id}_{_FAKE_OBJECT_BASE + n}")

    def recent_posts(self, limit: int = 25) -> list[dict]:
        """The posts recorded so far, newest first, shaped like GraphClient.recent_posts (so reconciling works)."""
        calls = self.store.graph_calls.recent(limit, method="POST", path=f"{self.page_id}/feed")
        posts = []
        for call in calls:
            link = call.params.get("link")
            post = {"id": call.result_id, "message": call.params.get("message", ""),
                    "created_time": _iso(call.created_at),
                    "permalink_url": f"https://www.facebook.com/{call.result_id}",
                    "attachments": {"data": [{"url": link}]} if link else None}
            posts.append({**post, "links": post_links(post)})
        return posts

    # -- comments and messages ----------------------------------------------------------------

    def private_reply(self, comment_id: str, text: str, *, metadata: str | None = None) -> str:
        """Record a private reply; returns a message id."""
        _check_text(text)
        message = {"text": text, **({"metadata": metadata} if metadata is not None else {})}
        params = {"recipient": {"comment_id": comment_id}, "message": message}
        return self._record("POST", f"{self.page_id}/messages", params, lambda n: f"m_dryrun{n}")

    def reply_to_comment(self, comment_id: str, text: str) -> str:
        """Record a public reply under a comment; returns a comment id."""
        if not text.strip():
            raise GraphBadRequest("reply text is empty")
        post_part = comment_id.split("_")[0]
        return self._record("POST", f"{comment_id}/comments", {"message": text},
                            lambda n: f"{post_part}_{_FAKE_OBJECT_BASE + n}")

    def send_message(self, psid: str, text: str, *, metadata: str | None = None) -> str:
        """Record a Messenger answer; returns a message id."""
        _check_text(text)
        message = {"text": text, **({"metadata": metadata} if metadata is not None else {})}
        params = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message}
        return self._record("POST", f"{self.page_id}/messages", params, lambda n: f"m_dryrun{n}")

    def conversation_messages(self, psid: str, limit: int = 25) -> list[dict]:
        """The Messenger answers recorded for this user, newest first, shaped like GraphClient's."""
        calls = self.store.graph_calls.recent(200, method="POST", path=f"{self.page_id}/messages")
        mine = [c for c in calls if (c.params.get("recipient") or {}).get("id") == psid][:limit]
        return [{"id": c.result_id, "message": (c.params.get("message") or {}).get("text", ""),
                 "created_time": _iso(c.created_at), "from": {"id": self.page_id}} for c in mine]

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        """Record hiding (or unhiding) a comment."""
        self._record("POST", comment_id, {"is_hidden": hidden}, lambda n: None)

    def can_reply_privately(self, comment_id: str) -> bool:
        """Dry-run assumes Meta would accept the private reply."""
        return True

    # -- webhook subscription and token -------------------------------------------------------

    def subscribed_fields(self) -> list[str]:
        """The fields of the last recorded subscription ([] before any)."""
        calls = self.store.graph_calls.recent(1, method="POST", path=f"{self.page_id}/subscribed_apps")
        raw = calls[0]["params"].get("subscribed_fields", "") if calls else ""
        return [f for f in raw.split(",") if f]

    def subscribe(self, fields: Sequence[str]) -> None:
        """Record the subscription of the Page's webhook fields."""
        self._record("POST", f"{self.page_id}/subscribed_apps", {"subscribed_fields": ",".join(fields)},
                     lambda n: None)

    def debug_token(self) -> dict:
        """Dry-run has no token to check; answers a valid, scope-less one."""
        return {"is_valid": True, "type": "PAGE", "scopes": [], "expires_at": 0, "dry_run": True}

    # -- plumbing -----------------------------------------------------------------------------

    def _record(self, method: str, path: str, params: dict, make_id: Callable[[int], str | None]) -> str | None:
        call_id, made = self.store.graph_calls.record(method, path, params, self._clock(), make_id)
        log.info("dry-run: would %s /%s (call %d; see `groupbot list calls`)", method, path, call_id)
        return made


def _check_text(text: str) -> None:
    """The refusals GraphClient makes before sending, so dry-run fails the same way."""
    if not text.strip():
        raise GraphBadRequest("message text is empty")
    if len(text) > MESSENGER_TEXT_LIMIT:
        raise GraphBadRequest(f"message text is {len(text)} characters; Messenger allows {MESSENGER_TEXT_LIMIT}")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(epoch))
