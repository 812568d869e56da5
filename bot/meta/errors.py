"""Graph API errors typed by what the caller should do, and the one mapping from a response."""
from __future__ import annotations

import json
from typing import Any, Mapping

import requests

DEFAULT_RETRY_AFTER = 60.0
_USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Page-Usage")
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001, 80006})
AUTH_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({3, 10, 551, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})
OUTSIDE_WINDOW_SUBCODES = frozenset({2018278, 2534022})


class GraphError(Exception):
    """A Graph API call failed; the subclass says what the caller should do about it."""

    def __init__(self, message: str, *, code: int | None = None, subcode: int | None = None,
                 fbtrace_id: str | None = None, http_status: int | None = None,
                 user_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.user_message = user_message

    def __str__(self) -> str:
        details = [f"code {self.code}" + (f"/{self.subcode}" if self.subcode else "")] if self.code else []
        if self.http_status:
            details.append(f"http {self.http_status}")
        if self.fbtrace_id:
            details.append(f"fbtrace {self.fbtrace_id}")
        return f"{self.message} ({', '.join(details)})" if details else self.message


class GraphTransient(GraphError):
    """Temporary failure (codes 1, 2, 5xx with Graph JSON, no connection): retry.

    The Graph client raises GraphOutcomeUnknown instead for a POST that creates something, since Meta
    sometimes answers 500 with code 1 or 2 for a post or message it did publish.
    """


class GraphOutcomeUnknown(GraphTransient):
    """The request may have taken effect at Meta (timeout, reset, truncated or non-Graph answer, or a
    creating POST answered 5xx / code 1 or 2): reconcile first, never repeat it blind."""


class GraphRateLimited(GraphError):
    """Meta throttled the app or Page; `retry_after` is the advertised wait in seconds."""

    def __init__(self, message: str, *, retry_after: float = DEFAULT_RETRY_AFTER, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class GraphAuthError(GraphError):
    """The token is invalid or expired (190, 102): stop all sending and alert an admin."""


class GraphPermissionError(GraphError):
    """A permission, capability or messaging window forbids the call (3, 10, 200-299, 551)."""

    @property
    def outside_window(self) -> bool:
        """True when Meta refused because the 24-hour / 7-day messaging window has closed."""
        return self.code == 10 and self.subcode in OUTSIDE_WINDOW_SUBCODES


class GraphPolicyBlocked(GraphError):
    """Meta temporarily blocked the Page for policy reasons (368): stop for hours and alert."""


class GraphDuplicatePost(GraphError):
    """Meta refused a post identical to the previous one (506)."""


class GraphAlreadyReplied(GraphError):
    """The comment already got its one private reply (10900): the work is done."""


class GraphBadRequest(GraphError):
    """The request is wrong and will not succeed as is (100 and every other code)."""


def error_from_response(resp: requests.Response) -> GraphError | None:
    """Map a Graph answer to its GraphError; None for a 2xx whose body is a JSON object."""
    body = _json_or_none(resp)
    status = resp.status_code
    error = body.get("error") if isinstance(body, dict) else None
    if 200 <= status < 300 and isinstance(body, dict) and error is None:
        return None
    if not isinstance(error, dict):
        return _error_without_graph_json(resp)
    details = {
        "code": _int_or_none(error.get("code")),
        "subcode": _int_or_none(error.get("error_subcode")),
        "fbtrace_id": error.get("fbtrace_id"),
        "http_status": status,
        "user_message": error.get("error_user_msg"),
    }
    message = str(error.get("message") or "Graph API error")
    code = details["code"]
    if code in RATE_LIMIT_CODES:
        return GraphRateLimited(message, retry_after=retry_after_from_headers(resp.headers), **details)
    error_class = _class_for_code(code, status)
    return error_class(message, **details)


def retry_after_from_headers(headers: Mapping[str, str], page_id: str | None = None) -> float:
    """Seconds Meta asks us to wait, from its usage headers; DEFAULT_RETRY_AFTER when none is advertised."""
    minutes = [m for name in _USAGE_HEADERS for m in _regain_minutes(headers.get(name), page_id)]
    positive = [m for m in minutes if m > 0]
    return max(positive) * 60.0 if positive else DEFAULT_RETRY_AFTER


def _class_for_code(code: int | None, status: int) -> type[GraphError]:
    """The subclass for a Graph error code other than the rate-limit family."""
    if code in AUTH_CODES:
        return GraphAuthError
    if code in PERMISSION_CODES:
        return GraphPermissionError
    fixed = {368: GraphPolicyBlocked, 506: GraphDuplicatePost, 10900: GraphAlreadyReplied,
             100: GraphBadRequest}
    if code in fixed:
        return fixed[code]
    if code in TRANSIENT_CODES or status >= 500:
        return GraphTransient
    return GraphBadRequest


def _error_without_graph_json(resp: requests.Response) -> GraphError:
    """Errors from something in front of Graph (proxy, load balancer) that carry no Graph JSON."""
    message = f"HTTP {resp.status_code} without Graph error JSON"
    if 200 <= resp.status_code < 300:
        # Cut off or garbled: Meta may well have done what was asked.
        return GraphOutcomeUnknown("answer is not a Graph JSON object", http_status=resp.status_code)
    if resp.status_code == 429:
        return GraphRateLimited(message, retry_after=retry_after_from_headers(resp.headers),
                                http_status=resp.status_code)
    if resp.status_code >= 500:
        # A gateway error says nothing about whether Graph already acted on the request.
        return GraphOutcomeUnknown(message, http_status=resp.status_code)
    return GraphBadRequest(message, http_status=resp.status_code)


def _regain_minutes(raw: str | None, page_id: str | None) -> list[float]:
    """estimated_time_to_regain_access values in a usage header (BUC: only the Page's, if present)."""
    usage = _loads(raw)
    if isinstance(usage, dict) and "estimated_time_to_regain_access" in usage:
        usage = {"app": [usage]}
    if not isinstance(usage, dict):
        return []
    if page_id and page_id in usage:
        usage = {page_id: usage[page_id]}
    entries = [e for value in usage.values() if isinstance(value, list) for e in value]
    return [float(e["estimated_time_to_regain_access"]) for e in entries
            if isinstance(e, dict) and isinstance(e.get("estimated_time_to_regain_access"), (int, float))]


def _json_or_none(resp: requests.Response) -> Any:
    """The decoded body, or None when it is not JSON (HTML error pages, cut-off answers)."""
    return _loads(resp.text) if resp.content else None


def _loads(raw: str | None) -> Any:
    """json.loads that answers None instead of raising."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    """Graph codes are ints, but be lenient with strings."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
