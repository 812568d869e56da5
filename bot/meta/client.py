"""Graph API client for the firm's Page: posts, comments, private replies and Messenger sends."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, Callable, Iterator, Sequence
from urllib.parse import parse_qs, urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from urllib3.exceptions import NewConnectionError

from bot.meta.errors import (
    GraphAlreadyReplied,
    GraphAuthError,
    GraphBadRequest,
    GraphDuplicatePost,
    GraphError,
    GraphOutcomeUnknown,
    GraphPermissionError,
    GraphPolicyBlocked,
    GraphRateLimited,
    GraphTransient,
    error_from_response,
    retry_after_from_headers,
)

__all__ = [
    "GraphAlreadyReplied", "GraphAuthError", "GraphBadRequest", "GraphClient", "GraphDuplicatePost",
    "GraphError", "GraphOutcomeUnknown", "GraphPermissionError", "GraphPolicyBlocked",
    "GraphRateLimited", "GraphTransient", "MESSENGER_TEXT_LIMIT", "appsecret_proof", "error_from_response",
    "post_links",
]

log = logging.getLogger(__name__)

MESSENGER_TEXT_LIMIT = 2000
MESSENGER_METADATA_LIMIT = 1000
MAX_PAGE_EDGE_LIMIT = 100  # Meta caps /feed and /posts at 100 items per call
POST_FIELDS = "id,message,created_time,permalink_url,attachments{url,unshimmed_url,target}"
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")
_SECRET_PARAMS = re.compile(r"((?:access_token|appsecret_proof|input_token|client_secret|fb_exchange_token)=)"
                            r"[^&\s\"']+")
_SHIM_HOSTS = frozenset({"l.facebook.com", "lm.facebook.com"})


class _RedactSecrets(logging.Filter):
    """Scrub token parameters from urllib3's DEBUG lines, which print GET URLs with their query."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "=" in message:
            record.msg, record.args = _SECRET_PARAMS.sub(r"\1[redacted]", message), ()
        return True


def install_log_redaction() -> None:
    """Attach the filter once to each urllib3 logger that prints URLs (a parent's filter would not apply).

    Called by every GraphClient rather than at import, so importing this module changes nothing process-wide.
    """
    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        url_log = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecrets) for f in url_log.filters):
            url_log.addFilter(_RedactSecrets())



class GraphClient:
    """Calls the Graph API as the Page; raises a GraphError subclass for every failure."""

    def __init__(self, *, base_url: str, version: str, page_id: str, page_token: str, app_secret: str,
                 app_id: str | None = None, session: requests.Session | None = None,
                 timeout: float = 10.0, attempts: int = 3, sleep: Callable[[float], None] = time.sleep,
                 max_inline_wait: float = 10.0) -> None:
        install_log_redaction()  # urllib3 would print this client's GET URLs, tokens included, at DEBUG
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.page_id = page_id
        self._page_token = page_token
        self._app_secret = app_secret
        self.app_id = app_id
        self.session = session or requests.Session()
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.max_inline_wait = max_inline_wait
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(multiplier=0.5, max=8.0, jitter=0.5)
        # Meta's clock as its last answer's Date header gave it, with this process's monotonic time then.
        self._server_date: tuple[float, float] | None = None

    def __repr__(self) -> str:
        return f"GraphClient(base_url={self.base_url!r}, version={self.version!r}, page_id={self.page_id!r})"

    # -- Page posts ---------------------------------------------------------------------------

    def publish_post(self, message: str, link: str | None) -> str:
        """Publish a Page post and return its id; never retried once it may have reached Meta."""
        params = {"message": message, **({"link": link} if link else {})}
        return self._required_id(self._call("POST", f"{self.page_id}/feed", params, creates=True), "id")

    def recent_posts(self, limit: int = 25) -> list[dict]:
        """The Page's newest posts, each with a "links" list of every URL it carries."""
        params = {"fields": POST_FIELDS, "limit": max(1, min(limit, MAX_PAGE_EDGE_LIMIT))}
        body = self._call("GET", f"{self.page_id}/posts", params)
        posts = [p for p in body.get("data") or [] if isinstance(p, dict)]
        return [{**post, "links": post_links(post)} for post in posts]

    # -- comments and messages ----------------------------------------------------------------

    def private_reply(self, comment_id: str, text: str, *, metadata: str | None = None) -> str:
        """Send the one private reply a comment allows and return the message id."""
        _check_messenger_text(text)
        message = {"text": text, **({"metadata": metadata} if metadata is not None else {})}
        params = {"recipient": {"comment_id": comment_id}, "message": message}
        return self._required_id(self._call("POST", f"{self.page_id}/messages", params, creates=True),
                                 "message_id")

    def reply_to_comment(self, comment_id: str, text: str) -> str:
        """Reply publicly under a comment as the Page and return the new comment's id."""
        if not text.strip():
            raise GraphBadRequest("reply text is empty")
        return self._required_id(self._call("POST", f"{comment_id}/comments", {"message": text},
                                            creates=True), "id")

    def send_message(self, psid: str, text: str, *, metadata: str | None = None) -> str:
        """Answer a Messenger user inside the 24-hour window and return the message id."""
        _check_messenger_text(text)
        message: dict[str, str] = {"text": text}
        if metadata is not None:
            if len(metadata) > MESSENGER_METADATA_LIMIT:
                raise GraphBadRequest(f"metadata is {len(metadata)} characters; Messenger allows "
                                      f"{MESSENGER_METADATA_LIMIT}")
            message["metadata"] = metadata
        params = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message}
        return self._required_id(self._call("POST", f"{self.page_id}/messages", params, creates=True),
                                 "message_id")

    def conversation_messages(self, psid: str, limit: int = 25) -> list[dict]:
        """The newest messages of the Page's Messenger thread with one user (message, created_time, from)."""
        params = {"platform": "messenger", "user_id": psid,
                  "fields": f"messages.limit({max(1, min(limit, MAX_PAGE_EDGE_LIMIT))}){{message,created_time,from}}"}
        threads = [t for t in self._call("GET", f"{self.page_id}/conversations", params).get("data") or []
                   if isinstance(t, dict)]
        messages = threads[0].get("messages") if threads else None
        data = messages.get("data") if isinstance(messages, dict) else None
        return [m for m in data or [] if isinstance(m, dict)]

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        """Hide (or unhide) a comment on the Page; safe to repeat."""
        self._call("POST", comment_id, {"is_hidden": hidden})

    def can_reply_privately(self, comment_id: str) -> bool:
        """Whether Meta still accepts a private reply to this comment."""
        body = self._call("GET", comment_id, {"fields": "can_reply_privately"})
        return body.get("can_reply_privately") is True

    # -- webhook subscription and token -------------------------------------------------------

    def subscribed_fields(self) -> list[str]:
        """Webhook fields this app is subscribed to on the Page; empty when Meta dropped the app."""
        apps = [a for a in self._call("GET", f"{self.page_id}/subscribed_apps").get("data") or []
                if isinstance(a, dict)]
        mine = [a for a in apps if str(a.get("id")) == self.app_id] if self.app_id else apps[:1]
        fields = mine[0].get("subscribed_fields") or [] if mine else []
        return [f["name"] if isinstance(f, dict) else str(f) for f in fields]

    def subscribe(self, fields: Sequence[str]) -> None:
        """Subscribe the app to the Page's webhook fields (replaces the previous set)."""
        body = self._call("POST", f"{self.page_id}/subscribed_apps", {"subscribed_fields": ",".join(fields)})
        if body.get("success") not in (True, "true"):
            raise GraphBadRequest("Meta did not confirm the subscription")

    def debug_token(self) -> dict:
        """Meta's view of the Page token (is_valid, scopes, expires_at, ...)."""
        checker = f"{self.app_id}|{self._app_secret}" if self.app_id else self._page_token
        body = self._call("GET", "debug_token", {"input_token": self._page_token}, token=checker)
        data = body.get("data")
        if not isinstance(data, dict):
            raise GraphOutcomeUnknown("debug_token answer has no data object")
        return data

    def server_time(self, *, max_age: float = 300.0) -> float | None:
        """Meta's current time by its answers' Date header (asking for the Page's id when no answer is recent).

        None when Meta cannot be reached or sends no usable date. Good to a second or two: enough to tell a
        wall clock set days wrong from a right one.
        """
        if self._server_date is None or time.monotonic() - self._server_date[1] > max_age:
            try:
                self._call("GET", self.page_id, {"fields": "id"})
            except GraphError:
                pass  # an error answer carries a Date header too
        if self._server_date is None:
            return None
        date, seen_at = self._server_date
        return date + (time.monotonic() - seen_at)

    # -- plumbing -----------------------------------------------------------------------------

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None, *,
              creates: bool = False, token: str | None = None) -> dict:
        """One logical call with the retry policy; a create call is never repeated blindly."""
        retrying = Retrying(
            retry=retry_if_exception(partial(self._retryable, creates=creates)),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=partial(_log_retry, method, path),
            reraise=True,
        )
        return retrying(self._send_once, method, path, params or {}, token or self._page_token, creates)

    def _send_once(self, method: str, path: str, params: dict[str, Any], token: str, creates: bool = False) -> dict:
        """One HTTP attempt: sign, send, and turn every failure into a GraphError."""
        auth = {"access_token": token, "appsecret_proof": appsecret_proof(self._app_secret, token)}
        url = f"{self.base_url}/{self.version}/{path}" if self.version else f"{self.base_url}/{path}"
        # Tokens ride in the form body for POSTs so they never sit in a URL.
        where = "params" if method == "GET" else "data"
        try:
            resp = self.session.request(method, url, timeout=self.timeout,
                                        **{where: {**_form(params), **auth}})
        except requests.RequestException as exc:
            error = _network_error(exc)
            log.warning("graph %s /%s failed: %s", method, path, error)
            raise error from None  # the chained exception would print the URL, query and all
        self._note_server_date(resp)
        error = error_from_response(resp)
        if error is None:
            log.debug("graph %s /%s -> %s", method, path, resp.status_code)
            return resp.json()
        if isinstance(error, GraphRateLimited):
            error.retry_after = retry_after_from_headers(resp.headers, self.page_id)
        if creates:
            error = _unknown_if_it_may_have_happened(error)
        log.warning("graph %s /%s failed: %s %s", method, path, type(error).__name__, error)
        raise error

    def _note_server_date(self, resp: requests.Response) -> None:
        header = resp.headers.get("Date")
        try:
            date = parsedate_to_datetime(header).timestamp() if header else None
        except (TypeError, ValueError):
            date = None
        if date is not None:
            self._server_date = (date, time.monotonic())

    def _retryable(self, error: BaseException, *, creates: bool) -> bool:
        """Retry inside the call only what cannot duplicate an effect and needs a short wait."""
        if isinstance(error, GraphRateLimited):
            return error.retry_after <= self.max_inline_wait
        if isinstance(error, GraphOutcomeUnknown):
            return not creates
        return isinstance(error, GraphTransient)

    def _wait(self, state: RetryCallState) -> float:
        """Meta's advertised wait for rate limits, else exponential backoff with jitter."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, GraphRateLimited):
            return error.retry_after
        return self._backoff(state)

    @staticmethod
    def _required_id(body: dict, key: str) -> str:
        """The id Meta returns for a created object; its absence leaves the outcome unknown."""
        value = body.get(key)
        if not value:
            raise GraphOutcomeUnknown(f"answer has no {key}")
        return str(value)


def appsecret_proof(app_secret: str, token: str) -> str:
    """HMAC-SHA256 of the access token keyed with the app secret, as Meta expects it."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def post_links(post: dict) -> list[str]:
    """Every URL a post carries (attachments, Facebook's link shims unwrapped, and its text)."""
    found: list[str] = []
    for url in (*_attachment_urls(post.get("attachments")),
                *_URL_IN_TEXT.findall(post.get("message") or "")):
        url = url.rstrip(".,;:!?)]}")
        for candidate in (url, _unshim(url)):
            if candidate and candidate not in found:
                found.append(candidate)
    return found


def _attachment_urls(attachments: Any) -> Iterator[str]:
    """URLs inside an attachments{...} edge, subattachments included."""
    items = attachments.get("data") if isinstance(attachments, dict) else None
    for item in items or []:
        if not isinstance(item, dict):
            continue
        target = item.get("target") if isinstance(item.get("target"), dict) else {}
        for url in (item.get("unshimmed_url"), item.get("url"), target.get("url")):
            if isinstance(url, str) and url:
                yield url
        yield from _attachment_urls(item.get("subattachments"))


def _unshim(url: str) -> str | None:
    """The destination of an l.facebook.com/l.php?u=... redirect, else None."""
    parts = urlsplit(url)
    if parts.hostname in _SHIM_HOSTS and parts.path == "/l.php":
        return (parse_qs(parts.query).get("u") or [None])[0]
    return None


def _check_messenger_text(text: str) -> None:
    """Refuse before sending what Messenger would reject anyway."""
    if not text.strip():
        raise GraphBadRequest("message text is empty")
    if len(text) > MESSENGER_TEXT_LIMIT:
        raise GraphBadRequest(f"message text is {len(text)} characters; Messenger allows "
                              f"{MESSENGER_TEXT_LIMIT}")


def _form(params: dict[str, Any]) -> dict[str, str]:
    """Graph's form encoding: nested objects as JSON strings, booleans as true/false."""
    encoded = {}
    for key, value in params.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        encoded[key] = str(value)
    return encoded


def _network_error(exc: requests.RequestException) -> GraphError:
    """Transport failures: never connected is safe to retry; anything later may have reached Meta."""
    name = type(exc).__name__
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.SSLError)) \
            or isinstance(reason, NewConnectionError):
        return GraphTransient(f"could not connect to Graph ({name})")
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return GraphOutcomeUnknown(f"no complete answer from Graph ({name})")
    return GraphBadRequest(f"request could not be built ({name})")


def _unknown_if_it_may_have_happened(error: GraphError) -> GraphError:
    """A creating POST answered 5xx or Graph code 1/2 may still have taken effect (Meta does this): unknown."""
    if type(error) is not GraphTransient:
        return error
    return GraphOutcomeUnknown(error.message, code=error.code, subcode=error.subcode, fbtrace_id=error.fbtrace_id,
                               http_status=error.http_status, user_message=error.user_message)


def _log_retry(method: str, path: str, state: RetryCallState) -> None:
    """One line per inline retry: what failed and how long we wait."""
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("graph %s /%s retry %d in %.1fs after %s", method, path, state.attempt_number, wait,
             type(error).__name__)
