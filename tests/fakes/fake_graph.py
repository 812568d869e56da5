"""A fake of Meta's Graph API on a real local HTTP server, run in-thread or as its own process.

One `GraphState` holds the rules; `FakeGraph` (in-thread) and `RemoteFakeGraph` (another process,
through the `/_fake/...` control API) expose the same controls, so tests drive both the same way.
Run standalone: `python -m tests.fakes.fake_graph --port N --page-id P --token T`.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlsplit

import requests

HOST = "127.0.0.1"
_REPO_ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0
DEFAULT_SCOPES = ("pages_show_list", "pages_manage_metadata", "pages_read_engagement",
                  "pages_read_user_content", "pages_manage_posts", "pages_manage_engagement",
                  "pages_messaging")
DEFAULT_FIELDS = ("feed", "messages", "group_feed")
USER_TOKEN = "fake-short-lived-user-token"  # what the Graph API Explorer would give the firm's admin
LONG_LIVED_USER_TOKEN = "fake-long-lived-user-token"
ALL_TASKS = ("ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE")
_VERSION = re.compile(r"^/(v\d+(?:\.\d+)?)(?=/)")
_ERROR_KINDS = ("graph_error", "bad_gateway")
FAULT_KINDS = (*_ERROR_KINDS, "timeout", "reset", "lost_answer", "truncated")


@dataclass
class Fault:
    """One queued failure for the next request whose method and path match."""

    kind: str  # graph_error | bad_gateway | timeout | reset | lost_answer | truncated
    method: str | None = None
    path: str | None = None  # substring of the path without the version prefix
    code: int = 2
    subcode: int | None = None
    status: int | None = None
    message: str | None = None
    regain_minutes: float | None = None  # estimated_time_to_regain_access in the BUC header
    delay: float = 2.0  # seconds a "timeout" holds the answer back
    times: int = 1
    # An error fault answered after the request took effect, as Meta sometimes answers a POST that worked.
    applied: bool = False

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to the request."""
        return (self.method is None or self.method.upper() == method) and (self.path or "") in path


@dataclass
class Answer:
    """What the server sends back: a JSON or text body, or a broken connection."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    abort: bool = False  # reset the connection instead of answering
    truncate: bool = False  # promise more bytes than sent, then close


def _error(code: int, message: str, subcode: int | None = None, status: int | None = None) -> Answer:
    """A Graph error answer shaped like Meta's."""
    error = {"message": message if code in (190, 102) else f"(#{code}) {message}",
             "type": "OAuthException", "code": code, "fbtrace_id": secrets.token_urlsafe(8)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status or (500 if code in (1, 2) else 400), {"error": error})


def _oauth_error(code: int, message: str, subcode: int | None = None) -> Answer:
    """An OAuth error as /oauth/access_token gives it: Meta's text without the "(#code)" prefix, HTTP 400."""
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": secrets.token_urlsafe(8)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(400, {"error": error})


def _epoch(value: datetime | float | int | str | None) -> float | None:
    """Seconds since the epoch from a datetime, a number or an ISO string (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    return float(value)


def _obj(value: Any) -> dict:
    """A nested parameter that may arrive as a dict (JSON body) or a JSON string (form)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _psid_for(comment_id: str) -> str:
    """A stable, numeric, PSID-like id for the unnamed author of a comment."""
    return str(int(hashlib.sha1(comment_id.encode()).hexdigest()[:13], 16))


def _iso(epoch: float) -> str:
    """Meta's created_time format."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _top_fields(fields: str | None) -> set[str]:
    """Top-level names in a fields= list such as 'id,attachments{url,target}'."""
    return set(re.sub(r"\{[^{}]*\}", "", re.sub(r"\{[^{}]*\}", "", fields or "")).split(",")) - {""}


class GraphState:
    """Everything the fake knows, and Meta's rules, behind one lock."""

    def __init__(self, page_id: str, token: str, app_secret: str, app_id: str,
                 scopes: tuple[str, ...] = DEFAULT_SCOPES, clock: Callable[[], float] = time.time) -> None:
        self.page_id, self.token, self.app_secret, self.app_id = page_id, token, app_secret, app_id
        self.scopes, self.clock = list(scopes), clock
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget all posts, comments, messages, faults and recorded requests."""
        with self.lock:
            self.posts: list[dict] = []
            self.comments: dict[str, dict] = {}
            self.replied: set[str] = set()
            self.messages: list[dict] = []
            self.comment_replies: list[dict] = []
            self.hidden: dict[str, bool] = {}
            self.last_user_message: dict[str, float] = {}
            self.faults: list[Fault] = []
            self.requests: list[dict] = []
            self.subscribed_fields = list(DEFAULT_FIELDS)
            self.token_expired = False
            self.user_token_expired = False
            self.clock_offset = 0.0  # how far Meta's clock (its Date header) is from this machine's
            self.managed_pages = [
                {"id": self.page_id, "name": "Demo Immigration Law Firm", "access_token": self.token,
                 "tasks": list(ALL_TASKS)},
                {"id": "104000000000002", "name": "Firm Events", "access_token": "fake-other-page-token",
                 "tasks": list(ALL_TASKS)}]
            self.next_id = 122100000000000001

    # -- controls (shared by the in-thread object and the HTTP control API) --------------------

    def control(self, op: str, args: dict) -> Any:
        """Run one control operation by name; used in-thread and by /_fake/{op}."""
        ops: dict[str, Callable[..., Any]] = {
            "fault": lambda **a: self.faults.append(Fault(**a)), "reset": self.reset,
            "comment": self.add_comment, "post": self.add_post, "user_messaged": self.user_messaged,
            "expire_token": lambda: setattr(self, "token_expired", True),
            "expire_user_token": lambda: setattr(self, "user_token_expired", True),
            "managed_pages": lambda pages: setattr(self, "managed_pages", [dict(p) for p in pages]),
            "drop_subscription": lambda: setattr(self, "subscribed_fields", []),
            "clock_offset": lambda seconds: setattr(self, "clock_offset", float(seconds)),
            "requests": lambda: list(self.requests), "state": self.snapshot,
        }
        if op not in ops:
            raise KeyError(op)
        with self.lock:
            return ops[op](**args)

    def add_comment(self, comment_id: str, created_time: float | None = None, post_id: str | None = None,
                    from_id: str | None = None, can_reply_privately: bool = True) -> None:
        """Make a comment known (its age drives the 7-day private-reply rule)."""
        created = self.clock() if created_time is None else created_time
        self.comments[comment_id] = {"created_time": created, "post_id": post_id,
                                     "from_id": from_id, "can_reply_privately": can_reply_privately}

    def add_post(self, message: str, link: str | None = None, created_time: float | None = None) -> str:
        """Put a post on the Page as if someone had published it; returns its id."""
        self.next_id += 1
        post = {"id": f"{self.page_id}_{self.next_id}", "message": message, "link": link,
                "created_time": self.clock() if created_time is None else created_time}
        self.posts.append(post)
        return post["id"]

    def user_messaged(self, psid: str, at: float | None = None) -> None:
        """Record that a user wrote to the Page, opening the 24-hour window."""
        self.last_user_message[psid] = self.clock() if at is None else at

    def snapshot(self) -> dict:
        """The observable effects: posts, messages, public replies, hidden comments, subscription."""
        return {"posts": [dict(p) for p in self.posts], "messages": [dict(m) for m in self.messages],
                "comment_replies": [dict(c) for c in self.comment_replies], "hidden": dict(self.hidden),
                "subscribed_fields": list(self.subscribed_fields), "token_expired": self.token_expired}

    # -- request handling ---------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes,
               wait: Callable[[float], bool]) -> Answer:
        """Answer one Graph request; `wait(seconds)` returns False if the server is stopping."""
        request = self._record(method, target, headers, body)
        path, params = request["path"], request["params"]
        with self.lock:
            fault = self._take_fault(method, path)
            if fault and fault.kind in _ERROR_KINDS and not fault.applied:
                return self._with_usage(self._fault_answer(fault), path, fault)
        if fault and fault.kind == "timeout" and not wait(fault.delay):
            return Answer(0, None, abort=True)
        if fault and fault.kind == "reset":
            return Answer(0, None, abort=True)
        with self.lock:
            answer = (self._user_token_route(method, path, params) or self._check_auth(path, params)
                      or self._route(method, path, params))
        if fault and fault.kind in _ERROR_KINDS:
            return self._with_usage(self._fault_answer(fault), path, fault)
        answer.abort = bool(fault and fault.kind == "lost_answer")
        answer.truncate = bool(fault and fault.kind == "truncated")
        return self._with_usage(answer, path, None)

    def _record(self, method: str, target: str, headers: dict[str, str], body: bytes) -> dict:
        """Parse and keep the request (tokens included, so tests can check appsecret_proof)."""
        split = urlsplit(target)
        match = _VERSION.match(split.path)
        path = split.path[match.end():] if match else split.path
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        form: dict[str, str] = {}
        body_json: Any = None
        content_type = headers.get("Content-Type", "")
        if "application/json" in content_type and body:
            body_json = _obj(body.decode(errors="replace")) or None
        elif body:
            form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        params = {**query, **form, **(body_json if isinstance(body_json, dict) else {})}
        bearer = headers.get("Authorization", "").split(" ", 1)
        if "access_token" not in params and len(bearer) == 2 and bearer[0] in ("Bearer", "OAuth"):
            params["access_token"] = bearer[1]
        request = {"method": method, "path": path, "version": match.group(1) if match else None,
                   "query": query, "form": form, "json": body_json, "params": params,
                   "access_token": params.get("access_token"),
                   "appsecret_proof": params.get("appsecret_proof"), "time": self.clock()}
        with self.lock:
            self.requests.append(request)
        return request

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """Consume the first queued fault that matches."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_answer(fault: Fault) -> Answer:
        """The answer for an injected error."""
        if fault.kind == "bad_gateway":
            return Answer(fault.status or 502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        message = fault.message or f"Injected error {fault.code}"
        return _error(fault.code, message, fault.subcode, fault.status)

    def _with_usage(self, answer: Answer, path: str, fault: Fault | None) -> Answer:
        """Add the usage headers Meta sends with every answer."""
        regain = fault.regain_minutes if fault and fault.regain_minutes is not None else 0
        pct = 100 if regain else min(99, len(self.requests) // 5)
        kind = "messenger" if path.endswith("/messages") else "pages"
        usage = {"call_count": pct, "total_time": pct, "total_cputime": pct}
        answer.headers["X-App-Usage"] = json.dumps(usage)
        answer.headers["X-Business-Use-Case-Usage"] = json.dumps({self.page_id: [{
            "type": kind, "call_count": pct, "total_cputime": pct, "total_time": pct,
            "estimated_time_to_regain_access": regain}]})
        return answer

    def _check_auth(self, path: str, params: dict) -> Answer | None:
        """Meta's token and appsecret_proof checks; None when the caller may proceed."""
        token = params.get("access_token")
        if not token:
            return _error(104, "An access token is required to request this resource.")
        app_token = f"{self.app_id}|{self.app_secret}"
        if token != self.token and not (token == app_token and path == "/debug_token"):
            return _error(190, "Invalid OAuth access token - Cannot parse access token")
        proof = params.get("appsecret_proof")
        if not proof:
            return _error(100, "API calls from the server require an appsecret_proof argument")
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(str(proof), expected):
            return _error(100, "Invalid appsecret_proof provided in the API argument")
        if token == self.token and self.token_expired:
            return _error(190, "Error validating access token: Session has expired.", 463)
        return None

    # -- a user's tokens: the long-lived exchange and the Pages they manage ---------------------

    def _user_token_route(self, method: str, path: str, params: dict) -> Answer | None:
        """The calls made with a user token rather than the Page's; None for every other call."""
        if method == "GET" and path == "/oauth/access_token":
            return self._exchange(params)
        if method == "GET" and path == "/me/accounts":
            return self._accounts(params)
        return None

    def _exchange(self, params: dict) -> Answer:
        """GET /oauth/access_token?grant_type=fb_exchange_token: a short-lived user token for a long-lived one."""
        if not params.get("client_id"):
            return _oauth_error(101, "Missing client_id parameter.")
        if params["client_id"] != self.app_id:
            return _oauth_error(101, "Error validating application. Invalid application ID.")
        if params.get("client_secret") != self.app_secret:
            return _oauth_error(1, "Error validating client secret.")
        if params.get("grant_type") != "fb_exchange_token":
            return _oauth_error(100, "Invalid grant_type")
        if not params.get("fb_exchange_token"):
            return _oauth_error(1, "fb_exchange_token parameter not specified")
        refusal = self._user_token_refusal(params["fb_exchange_token"])
        if refusal:
            return refusal
        return Answer(200, {"access_token": LONG_LIVED_USER_TOKEN, "token_type": "bearer", "expires_in": 5183944})

    def _accounts(self, params: dict) -> Answer:
        """GET /me/accounts: the Pages the user manages with their Page tokens, a cursor page at a time."""
        token = params.get("access_token")
        if not token:
            return _error(104, "An access token is required to request this resource.")
        refusal = self._user_token_refusal(token)
        if refusal:
            return refusal
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(str(params.get("appsecret_proof") or ""), expected):
            return _error(100, "Invalid appsecret_proof provided in the API argument")
        start, limit = int(params.get("after") or 0), min(int(params.get("limit") or 25), 100)
        chunk = self.managed_pages[start:start + limit]
        fields = _top_fields(params.get("fields")) or {"id", "name", "access_token", "category", "tasks"}
        data = [{k: v for k, v in {**page, "category": "Lawyer & Law Firm"}.items() if k in fields}
                for page in chunk]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + len(chunk))}}
        if start + limit < len(self.managed_pages):
            paging["next"] = f"https://graph.facebook.com/v26.0/me/accounts?after={start + len(chunk)}"
        return Answer(200, {"data": data, "paging": paging})

    def _user_token_refusal(self, token: str) -> Answer | None:
        """Meta's 190 for a user token it does not know, or for the short-lived one once it has expired."""
        if token not in (USER_TOKEN, LONG_LIVED_USER_TOKEN):
            return _oauth_error(190, "Invalid OAuth access token - Cannot parse access token")
        if token == USER_TOKEN and self.user_token_expired:
            expired = datetime.fromtimestamp(self.clock() - 3600, timezone.utc).strftime("%A, %d-%b-%y %H:%M:%S")
            now = datetime.fromtimestamp(self.clock(), timezone.utc).strftime("%A, %d-%b-%y %H:%M:%S")
            return _oauth_error(190, f"Error validating access token: Session has expired on {expired} UTC. "
                                     f"The current time is {now} UTC.", 463)
        return None

    def _route(self, method: str, path: str, params: dict) -> Answer:
        """Dispatch to the rule for this method and path."""
        parts = path.strip("/").split("/")
        if parts == ["debug_token"] and method == "GET":
            return self._debug_token(params)
        if len(parts) == 2 and parts[0] == self.page_id:
            handler = {("GET", "posts"): self._list_posts, ("GET", "feed"): self._list_posts,
                       ("POST", "feed"): self._create_post, ("POST", "messages"): self._send,
                       ("GET", "conversations"): self._conversations,
                       ("GET", "subscribed_apps"): self._list_apps,
                       ("POST", "subscribed_apps"): self._subscribe}.get((method, parts[1]))
            if handler:
                return handler(params)
        if len(parts) == 2 and parts[1] == "comments" and method == "POST":
            return self._reply_to_comment(parts[0], params)
        if len(parts) == 1 and parts[0] and method in ("GET", "POST"):
            return (self._get_object if method == "GET" else self._update_object)(parts[0], params)
        return _error(100, f"Unsupported {method.lower()} request. Object with ID '{parts[0]}' does not "
                           "exist, cannot be loaded due to missing permissions, or does not support "
                           "this operation.", 33)

    # -- posts ---------------------------------------------------------------------------------

    def _create_post(self, params: dict) -> Answer:
        message, link = params.get("message", ""), params.get("link") or None
        if not message and not link:
            return _error(100, "Missing message or attachment.")
        if message and self.posts and self.posts[-1]["message"] == message:
            return _error(506, "Duplicate status message")
        return Answer(200, {"id": self.add_post(message, link)})

    def _list_posts(self, params: dict) -> Answer:
        fields = _top_fields(params.get("fields")) or {"id", "message", "created_time"}
        newest = sorted(self.posts, key=lambda p: p["created_time"], reverse=True)
        data = [self._post_view(p, fields) for p in newest[: int(params.get("limit") or 25)]]
        return Answer(200, {"data": data, "paging": {"cursors": {"before": "b", "after": "a"}}})

    def _post_view(self, post: dict, fields: set[str]) -> dict:
        """A post as Graph shows it, with the link behind Facebook's l.php shim like Meta does."""
        view = {"id": post["id"], "message": post["message"], "created_time": _iso(post["created_time"]),
                "permalink_url": f"https://www.facebook.com/{post['id']}"}
        if post["link"]:
            shim = f"https://l.facebook.com/l.php?u={quote(post['link'], safe='')}&h=AT0fake"
            view["attachments"] = {"data": [{"type": "share", "url": shim, "unshimmed_url": post["link"],
                                             "target": {"url": shim}}]}
        return {k: v for k, v in view.items() if k in fields or k == "id"}

    # -- comments ------------------------------------------------------------------------------

    def _comment(self, comment_id: str) -> dict:
        """A known comment, or a fresh one for an id the fake has not seen."""
        if comment_id not in self.comments:
            self.add_comment(comment_id)
        return self.comments[comment_id]

    def _reply_to_comment(self, parent_id: str, params: dict) -> Answer:
        message = params.get("message", "")
        if not message:
            return _error(100, "Missing message or attachment.")
        if len(message) > 8000:
            return _error(100, "Param message must be at most 8000 characters long.")
        self.next_id += 1
        reply_id = f"{parent_id.split('_')[-1]}_{self.next_id}"
        reply = {"id": reply_id, "parent_id": parent_id, "message": message}
        self.comment_replies.append(reply)
        return Answer(200, {"id": reply["id"]})

    def _get_object(self, object_id: str, params: dict) -> Answer:
        post = next((p for p in self.posts if p["id"] == object_id), None)
        if post:
            return Answer(200, self._post_view(post, _top_fields(params.get("fields")) or {"message"}))
        comment = self._comment(object_id)
        view = {"id": object_id, "created_time": _iso(comment["created_time"]),
                "can_reply_privately": self._private_reply_refusal(object_id) is None,
                "is_hidden": self.hidden.get(object_id, False), "can_hide": True}
        fields = _top_fields(params.get("fields")) or {"created_time"}
        return Answer(200, {k: v for k, v in view.items() if k in fields or k == "id"})

    def _update_object(self, object_id: str, params: dict) -> Answer:
        if "is_hidden" not in params:
            return _error(100, "Invalid parameter")
        self.hidden[object_id] = str(params["is_hidden"]).lower() in ("true", "1")
        return Answer(200, {"success": True})

    # -- Messenger -----------------------------------------------------------------------------

    def _private_reply_refusal(self, comment_id: str) -> Answer | None:
        """Why Meta would refuse a private reply to this comment now, or None."""
        if comment_id in self.replied:
            return _error(10900, "Activity already replied to")
        comment = self._comment(comment_id)
        if self.clock() - comment["created_time"] > 7 * DAY:
            return _error(100, "The comment is invalid for private reply", 2534025)
        if not comment["can_reply_privately"]:
            return _error(10903, "This user can't reply to this activity")
        return None

    def _send(self, params: dict) -> Answer:
        recipient, message = _obj(params.get("recipient")), _obj(params.get("message"))
        text = str(message.get("text", ""))
        if len(text) > 2000:
            return _error(100, "Length of param message[text] must be less than or equal to 2000")
        if len(str(message.get("metadata", ""))) > 1000:
            return _error(100, "Length of param message[metadata] must be less than or equal to 1000")
        target = recipient.get("comment_id") or recipient.get("post_id")
        if target:
            refusal = self._private_reply_refusal(target)
            if refusal:
                return refusal
            self.replied.add(target)
            psid = self._comment(target).get("from_id") or _psid_for(target)
            return self._deliver(psid, text, {"kind": "private_reply", "comment_id": target,
                                              "metadata": message.get("metadata")})
        psid = str(recipient.get("id") or "")
        if not psid:
            return _error(100, "param recipient must be non-empty.")
        refusal = self._window_refusal(psid, params)
        if refusal:
            return refusal
        if "sender_action" in params and not message:
            return Answer(200, {"recipient_id": psid})
        return self._deliver(psid, text, {"kind": "message", "messaging_type": params.get("messaging_type"),
                                          "tag": params.get("tag"), "metadata": message.get("metadata")})

    def _window_refusal(self, psid: str, params: dict) -> Answer | None:
        """The 24-hour rule, and the 7-day rule for the two message tags that still exist."""
        messaging_type = params.get("messaging_type")
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return _error(100, "param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
        window = DAY
        if messaging_type == "MESSAGE_TAG":
            if params.get("tag") not in ("HUMAN_AGENT", "CUSTOMER_FEEDBACK"):
                return _error(100, "param tag must be one of {HUMAN_AGENT, CUSTOMER_FEEDBACK}")
            window = 7 * DAY
        last = self.last_user_message.get(psid)
        if last is None or self.clock() - last > window:
            return _error(10, "This message is sent outside of allowed window.", 2018278)
        return None

    def _deliver(self, psid: str, text: str, details: dict) -> Answer:
        message_id = "m_" + secrets.token_urlsafe(30)
        self.messages.append({**details, "recipient_id": psid, "text": text, "message_id": message_id,
                              "created_time": self.clock()})
        return Answer(200, {"recipient_id": psid, "message_id": message_id})

    def _conversations(self, params: dict) -> Answer:
        """GET /{page-id}/conversations?user_id=PSID: the Page's thread with one user, newest message first."""
        psid = str(params.get("user_id") or "")
        if not psid:
            return _error(100, "Param user_id is required for this request")  # the fake lists threads by user only
        sent = [m for m in self.messages if m["recipient_id"] == psid]
        if not sent:
            return Answer(200, {"data": []})
        page = {"name": "Demo Immigration Law Firm", "id": self.page_id}
        data = [{"id": m["message_id"], "message": m["text"], "created_time": _iso(m["created_time"]),
                 "from": page, "to": {"data": [{"id": psid}]}}
                for m in sorted(sent, key=lambda m: m["created_time"], reverse=True)]
        thread = {"id": "t_" + hashlib.sha1(psid.encode()).hexdigest()[:15],
                  "messages": {"data": data, "paging": {"cursors": {"before": "b", "after": "a"}}}}
        return Answer(200, {"data": [thread], "paging": {"cursors": {"before": "b", "after": "a"}}})

    # -- subscription and token ----------------------------------------------------------------

    def _list_apps(self, params: dict) -> Answer:
        if not self.subscribed_fields:
            return Answer(200, {"data": []})
        return Answer(200, {"data": [{"category": "Business", "link": "https://groupbot.example/",
                                      "name": "groupbot", "id": self.app_id,
                                      "subscribed_fields": list(self.subscribed_fields)}]})

    def _subscribe(self, params: dict) -> Answer:
        raw = params.get("subscribed_fields")
        fields = raw if isinstance(raw, list) else [f.strip() for f in str(raw or "").strip("[]").split(",")]
        fields = [str(f).strip('"') for f in fields if f]
        if not fields:
            return _error(100, "Param subscribed_fields is required")
        self.subscribed_fields = fields
        return Answer(200, {"success": True})

    def _debug_token(self, params: dict) -> Answer:
        valid = params.get("input_token") == self.token and not self.token_expired
        now = int(self.clock())
        data = {"app_id": self.app_id, "type": "PAGE", "application": "groupbot",
                "data_access_expires_at": now + 90 * int(DAY), "expires_at": 0, "is_valid": valid,
                "issued_at": now - int(DAY), "profile_id": self.page_id, "scopes": list(self.scopes),
                "user_id": "100000000000001"}
        if not valid:
            data["error"] = {"code": 190, "subcode": 463, "message": "Session has expired."}
        return Answer(200, {"data": data})


class _Handler(BaseHTTPRequestHandler):
    """HTTP glue: route /_fake/ to the controls and everything else to the rules."""

    server: "_Server"

    def do_GET(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/_fake/"):
            return self._control(body)
        answer = self.server.state.handle(self.command, self.path, dict(self.headers), body,
                                          wait=lambda s: not self.server.stopping.wait(s))
        if answer.abort:
            return self._reset()
        try:
            self._answer(answer)
        except OSError:
            pass  # the client already gave up (timeout fault)

    do_POST = do_DELETE = do_GET

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header, by the fake Meta's clock (which a test may set apart from this machine's)."""
        state = self.server.state
        return super().date_time_string(state.clock() + state.clock_offset if timestamp is None else timestamp)

    def _answer(self, answer: Answer) -> None:
        is_json = not isinstance(answer.body, str)
        data = (json.dumps(answer.body) if is_json else answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8" if is_json else "text/html")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data) + (50 if answer.truncate else 0)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if answer.truncate else data)

    def _control(self, body: bytes) -> None:
        op = self.path[len("/_fake/"):].split("?")[0].strip("/")
        try:
            result = self.server.state.control(op, json.loads(body) if body else {})
            status, payload = 200, {"ok": True, "result": result}
        except (KeyError, TypeError, ValueError) as exc:
            status, payload = 400, {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset and no answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines carry tokens."""


class _Server(ThreadingHTTPServer):
    """A threading server bound to 127.0.0.1 that carries the shared state."""

    daemon_threads = True

    def __init__(self, port: int, state: GraphState) -> None:
        super().__init__((HOST, port), _Handler)
        self.state = state
        self.stopping = threading.Event()


class _Controls:
    """The test-facing controls, identical whether the fake runs in-thread or in another process."""

    def _control(self, op: str, **args: Any) -> Any:
        raise NotImplementedError

    def fault(self, kind: str, *, method: str | None = None, path: str | None = None, **details: Any) -> None:
        """Queue a fault (see Fault) for the next request matching method and path substring."""
        self._control("fault", kind=kind, method=method, path=path, **details)

    def add_comment(self, comment_id: str, *, created_time: datetime | float | None = None,
                    post_id: str | None = None, from_id: str | None = None,
                    can_reply_privately: bool = True) -> None:
        """Make a comment known to the fake, with its creation time."""
        self._control("comment", comment_id=comment_id, created_time=_epoch(created_time),
                      post_id=post_id, from_id=from_id, can_reply_privately=can_reply_privately)

    def add_post(self, message: str, link: str | None = None, *,
                 created_time: datetime | float | None = None) -> str:
        """Put a post on the Page directly; returns its id."""
        return self._control("post", message=message, link=link, created_time=_epoch(created_time))

    def user_messaged(self, psid: str, at: datetime | float | None = None) -> None:
        """Record a user's message to the Page at `at` (default now)."""
        self._control("user_messaged", psid=psid, at=_epoch(at))

    def expire_user_token(self) -> None:
        """The short-lived user token has expired: Meta answers 190/463 to it from now on."""
        self._control("expire_user_token")

    def set_managed_pages(self, pages: list[dict]) -> None:
        """The Pages /me/accounts lists: dicts with id, name, access_token and tasks."""
        self._control("managed_pages", pages=pages)

    def expire_token(self) -> None:
        """Every call with the Page token fails with 190/463 from now on."""
        self._control("expire_token")

    def drop_subscription(self) -> None:
        """Unsubscribe the app from the Page, as Meta does after an hour of failed deliveries."""
        self._control("drop_subscription")

    def set_clock_offset(self, seconds: float) -> None:
        """Set Meta's clock (the Date header of every answer) this far from this machine's."""
        self._control("clock_offset", seconds=seconds)

    def reset(self) -> None:
        """Back to an empty Page with the app subscribed."""
        self._control("reset")

    @property
    def requests(self) -> list[dict]:
        """Every Graph request received, parsed, oldest first."""
        return self._control("requests")

    def _state(self, key: str) -> Any:
        return self._control("state")[key]

    posts = property(lambda self: self._state("posts"), doc="Posts on the Page, in creation order.")
    messages = property(lambda self: self._state("messages"), doc="Private replies and Messenger sends.")
    comment_replies = property(lambda self: self._state("comment_replies"), doc="Public replies to comments.")
    hidden = property(lambda self: self._state("hidden"), doc="comment id -> is_hidden.")
    subscribed_fields = property(lambda self: self._state("subscribed_fields"), doc="The app's fields.")


class FakeGraph(_Controls):
    """The fake Graph API on 127.0.0.1 in a daemon thread; a context manager."""

    def __init__(self, *, page_id: str = "104000000000001", token: str = "fake-page-token",
                 app_secret: str = "fake-app-secret", app_id: str = "900000000000001", port: int = 0,
                 scopes: tuple[str, ...] = DEFAULT_SCOPES, clock: Callable[[], float] = time.time) -> None:
        self.state = GraphState(page_id, token, app_secret, app_id, scopes, clock)
        self.page_id, self.token, self.app_secret, self.app_id = page_id, token, app_secret, app_id
        self.user_token = USER_TOKEN
        self._port = port
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:PORT (no version; any /vNN.N/ prefix is accepted)."""
        if self._server is None:
            raise RuntimeError("FakeGraph is not started")
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> "FakeGraph":
        """Bind and serve in a daemon thread."""
        self._server = _Server(self._port, self.state)
        # A short poll keeps stop() quick: shutdown() waits for the loop's next poll.
        threading.Thread(target=self._server.serve_forever, args=(0.02,), name="fake-graph",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; pending timeout faults end at once."""
        if self._server:
            self._server.stopping.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeGraph":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _control(self, op: str, **args: Any) -> Any:
        # Through JSON like the HTTP control API, so both paths see the same values.
        return json.loads(json.dumps(self.state.control(op, args)))


class RemoteFakeGraph(_Controls):
    """Controls for a fake running in another process, through its /_fake/ API."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _control(self, op: str, **args: Any) -> Any:
        method = "GET" if op in ("requests", "state") else "POST"
        resp = requests.request(method, f"{self.url}/_fake/{op}", json=args if method == "POST" else None,
                                timeout=10)
        resp.raise_for_status()
        return resp.json()["result"]


class FakeGraphProcess(RemoteFakeGraph):
    """Start `python -m tests.fakes.fake_graph` as a child process; a context manager."""

    def __init__(self, *, page_id: str = "104000000000001", token: str = "fake-page-token",
                 app_secret: str = "fake-app-secret", app_id: str = "900000000000001") -> None:
        args = ["--port", "0", "--page-id", page_id, "--token", token, "--app-secret", app_secret,
                "--app-id", app_id]
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fakes.fake_graph", *args],
                                        stdout=subprocess.PIPE, text=True, cwd=_REPO_ROOT)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("FAKE_GRAPH_URL="):
            self.stop()
            raise RuntimeError("fake graph process did not start")
        super().__init__(line.strip().split("=", 1)[1])

    def stop(self) -> None:
        """Terminate the child and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> "FakeGraphProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve the fake until SIGTERM/SIGINT; prints FAKE_GRAPH_URL=... once listening."""
    parser = argparse.ArgumentParser(description="Fake Meta Graph API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--page-id", default="104000000000001")
    parser.add_argument("--token", default="fake-page-token")
    parser.add_argument("--app-secret", default="fake-app-secret")
    parser.add_argument("--app-id", default="900000000000001")
    options = parser.parse_args(argv)
    server = _Server(options.port, GraphState(options.page_id, options.token, options.app_secret,
                                              options.app_id))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"FAKE_GRAPH_URL=http://{HOST}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()


if __name__ == "__main__":
    main()
