"""Fetch and parse the firm's blog feed (RSS 2.0 or Atom): conditional GET, byte cap, strict checks."""

from __future__ import annotations

import email.utils
import hashlib
import html
import io
import logging
import re
import time
import xml.sax
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import feedparser
import requests

from bot.blog.outgoing import OutgoingRefused
from bot.ops.logsafe import printable

logger = logging.getLogger(__name__)

# A blog that has not answered in this long is down for this poll; the next poll tries again.
FEED_TIMEOUT_SECONDS = 10.0
USER_AGENT = "groupbot-feed/0.1"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
TITLE_MAX_CHARS = 300
# A guid longer than this is stored by its hash so a hostile feed cannot bloat the seen-set.
KEY_MAX_CHARS = 512
_CHUNK_BYTES = 64 * 1024
# expat messages that mean the document simply stops early; the loose parser would
# otherwise hand back a half-read last entry.
_TRUNCATION_MESSAGES = {"no element found", "unclosed token", "unclosed CDATA section", "partial character"}
_HTML_SNIFF = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class FeedError(ValueError):
    """The bytes are not a usable feed, or the feed could not be fetched; the message is one line."""


class _DownloadFailed(FeedError):
    """A fetch that failed after reading some bytes."""

    def __init__(self, message: str, bytes_read: int = 0):
        super().__init__(message)
        self.bytes_read = bytes_read


@dataclass(frozen=True)
class FeedEntry:
    """One blog post; `key` (guid, else link) stays the same when the post is edited."""

    key: str
    guid: str | None
    link: str
    title: str
    summary_html: str
    content_html: str
    published: datetime | None
    updated: datetime | None


@dataclass(frozen=True)
class FeedResult:
    """The outcome of one poll: status 'ok', 'not_modified' or 'error' (with a one-line reason)."""

    status: str
    entries: list[FeedEntry]
    etag: str | None
    last_modified: str | None
    error: str | None
    bytes_read: int
    hub_url: str | None
    self_url: str | None
    elapsed: float


@dataclass(frozen=True)
class _Download:
    body: bytes | None  # None: not modified
    etag: str | None
    last_modified: str | None
    content_type: str | None
    base_url: str | None
    hub_url: str | None = None
    self_url: str | None = None


def fetch_feed(
    source: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    session: requests.Session | None = None,
    timeout: float = FEED_TIMEOUT_SECONDS,
    max_bytes: int = 5 * 1024 * 1024,
    max_redirects: int = 5,
) -> FeedResult:
    """Fetch and parse a feed from an http(s) URL or a local file; never raises, reports status='error'."""
    started = time.monotonic()

    def result(status: str, **fields) -> FeedResult:
        defaults = dict(entries=[], etag=etag, last_modified=last_modified, error=None,
                        bytes_read=0, hub_url=None, self_url=None)
        return FeedResult(status=status, elapsed=time.monotonic() - started, **(defaults | fields))

    download: _Download | None = None
    try:
        download = _download(source, etag, last_modified, session, timeout, max_bytes, max_redirects)
        if download.body is None:
            return result("not_modified", etag=download.etag or etag,
                          last_modified=download.last_modified or last_modified)
        entries, hub_url, self_url = _parse(download.body, download.base_url, download.content_type)
    except FeedError as exc:
        bytes_read = len(download.body or b"") if download else getattr(exc, "bytes_read", 0)
        logger.warning("feed poll failed: %s", printable(exc, 500))
        return result("error", error=str(exc), bytes_read=bytes_read)
    except Exception as exc:  # the poller must survive anything a hostile feed can trigger
        logger.exception("feed poll failed unexpectedly (%s)", type(exc).__name__)
        return result("error", error=f"unexpected {type(exc).__name__} while reading the feed")
    return result("ok", entries=entries, etag=download.etag, last_modified=download.last_modified,
                  bytes_read=len(download.body), hub_url=download.hub_url or hub_url,
                  self_url=download.self_url or self_url)


def parse_feed(data: bytes, *, base_url: str | None = None) -> tuple[list[FeedEntry], str | None, str | None]:
    """Parse feed bytes into (entries newest first, hub_url, self_url); raises FeedError if not a usable feed."""
    return _parse(data, base_url, None)


def _describe_url(url: str) -> str:
    """The URL without credentials, query or fragment, for error messages and logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # never the user:password part
    # A feed or a redirect chooses these URLs: no control character may reach a status line or log.
    return printable(f"{parts.scheme}://{host}{parts.path}", 300) + ("?…" if parts.query else "")


# --- download ---------------------------------------------------------------------------------

def _download(source, etag, last_modified, session, timeout, max_bytes, max_redirects) -> _Download:
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        own_session = session is None
        session = session or requests.Session()
        try:
            return _download_http(source, etag, last_modified, session, timeout, max_bytes, max_redirects)
        finally:
            if own_session:
                session.close()
    if scheme == "file" or len(scheme) <= 1:  # one letter: a Windows drive, not a scheme
        return _read_file(source, last_modified, max_bytes)
    raise FeedError(f"unsupported feed address scheme {scheme!r}")


def _download_http(url, etag, last_modified, session, timeout, max_bytes, max_redirects) -> _Download:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    try:
        response = _get_following_redirects(url, headers, session, timeout, max_redirects)
        with response:
            if response.status_code == 304:
                return _Download(None, response.headers.get("ETag"), response.headers.get("Last-Modified"),
                                 None, response.url)
            if not 200 <= response.status_code < 300:
                raise FeedError(f"HTTP {response.status_code} from {_describe_url(response.url)}")
            body = _read_capped(response, max_bytes, deadline, timeout)
            return _Download(body, response.headers.get("ETag"), response.headers.get("Last-Modified"),
                             response.headers.get("Content-Type"), response.url,
                             _link_header(response, "hub"), _link_header(response, "self"))
    except requests.RequestException as exc:
        raise FeedError(_network_reason(exc, url, timeout)) from None
    except OutgoingRefused as exc:
        raise FeedError(str(exc)) from None


def _get_following_redirects(url, headers, session, timeout, max_redirects) -> requests.Response:
    seen = {url}
    for _ in range(max_redirects + 1):
        response = session.get(url, headers=headers, timeout=timeout, stream=True, allow_redirects=False)
        if not response.is_redirect:
            return response
        response.close()
        target = urljoin(url, response.headers["Location"])
        if urlsplit(target).scheme not in ("http", "https"):
            raise FeedError(f"redirect to a non-web address from {_describe_url(url)}")
        if target in seen:
            raise FeedError(f"redirect loop at {_describe_url(target)}")
        seen.add(target)
        url = target
    raise FeedError(f"more than {max_redirects} redirects from {_describe_url(url)}")


def _read_capped(response: requests.Response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    where = _describe_url(response.url)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedError(f"feed larger than {max_bytes} bytes from {where}")
    chunks, total = [], 0
    for chunk in response.iter_content(_CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise _DownloadFailed(f"feed larger than {max_bytes} bytes from {where}", total)
        # `timeout` bounds each socket read; this bounds a server that drips bytes forever.
        if time.monotonic() > deadline:
            raise _DownloadFailed(f"timed out after {timeout:g}s reading {where}", total)
        chunks.append(chunk)
    return b"".join(chunks)


def _network_reason(exc: requests.RequestException, url: str, timeout: float) -> str:
    where = _describe_url(url)
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return f"timed out after {timeout:g}s fetching {where}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error talking to {where}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"connection dropped while reading {where}"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect to {where}"
    return f"request to {where} failed ({type(exc).__name__})"


def _link_header(response: requests.Response, rel: str) -> str | None:
    url = response.links.get(rel, {}).get("url")
    return _absolute_web_url(url, response.url)


def _read_file(source: str, last_modified: str | None, max_bytes: int) -> _Download:
    parts = urlsplit(source)
    path = Path(url2pathname(parts.path)) if parts.scheme.lower() == "file" else Path(source)
    try:
        stat = path.stat()
        # The file's mtime plays Last-Modified, so a cron poll of an unchanged file is cheap.
        modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        if last_modified == modified:
            return _Download(None, None, modified, None, None)
        if stat.st_size > max_bytes:
            raise FeedError(f"feed larger than {max_bytes} bytes in {path.name}")
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FeedError(f"cannot read feed file {path.name}: {exc.strerror or type(exc).__name__}") from None
    if len(body) > max_bytes:
        raise _DownloadFailed(f"feed larger than {max_bytes} bytes in {path.name}", len(body))
    return _Download(body, None, modified, None, None)


# --- parsing ----------------------------------------------------------------------------------

def _parse(data: bytes, base_url: str | None, content_type: str | None):
    if not data.strip():
        raise FeedError("not a feed: empty document")
    # No content-location: feedparser would resolve relative guids against it, and a key must not
    # change when the feed moves. Links are resolved below instead.
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-type": content_type or "application/xml"},
                              sanitize_html=True, resolve_relative_uris=True)
    _check_is_feed(parsed, data)
    entries = _entries(parsed.entries, base_url)
    hub_url, self_url = _feed_link(parsed.feed, "hub", base_url), _feed_link(parsed.feed, "self", base_url)
    return entries, hub_url, self_url


def _check_is_feed(parsed, data: bytes) -> None:
    """Raise FeedError for HTML, truncated or non-feed documents; tolerate recoverable bozo issues."""
    problem = parsed.get("bozo_exception")
    if not parsed.get("version") and _HTML_SNIFF.search(data[:4096]):
        raise FeedError("not a feed: got an HTML page")
    if isinstance(problem, xml.sax.SAXParseException) and problem.getMessage() in _TRUNCATION_MESSAGES:
        raise FeedError(f"truncated XML at line {problem.getLineNumber()}")
    if not parsed.get("version"):
        reason = _describe_problem(problem) if problem else "no RSS or Atom root element"
        raise FeedError(f"not a feed: {reason}")
    if problem:
        # An undeclared entity or a mislabelled encoding: the lenient parser recovered every entry.
        logger.info("feed accepted despite a recoverable problem: %s", printable(_describe_problem(problem)))


def _describe_problem(problem: Exception) -> str:
    if isinstance(problem, xml.sax.SAXParseException):
        return f"{problem.getMessage()} at line {problem.getLineNumber()}"
    first_line = (str(problem).splitlines() or [""])[0][:120]
    return f"{type(problem).__name__}: {first_line}" if first_line else type(problem).__name__


def _entries(raw_entries, base_url: str | None) -> list[FeedEntry]:
    entries, seen = [], set()
    for raw in raw_entries:
        entry = _entry(raw, base_url)
        if entry is not None and entry.key not in seen:
            seen.add(entry.key)
            entries.append(entry)
    # Stable sort: undated entries keep the feed's own order, after the dated ones.
    entries.sort(key=lambda e: e.published or e.updated or _EPOCH, reverse=True)
    return entries


def _entry(raw, base_url: str | None) -> FeedEntry | None:
    guid = (raw.get("id") or "").strip() or None
    link = _absolute_web_url(raw.get("link"), base_url)
    if link is None:
        logger.info("feed entry skipped: no http(s) link (guid %s)", printable(guid or "none", 80))
        return None
    key = guid or link
    if len(key) > KEY_MAX_CHARS:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return FeedEntry(
        key=key, guid=guid, link=link,
        title=_title_text(raw.get("title_detail") or {}),
        summary_html=_as_html(raw.get("summary_detail") or {}),
        content_html=_content_html(raw.get("content") or []),
        # dict.get: FeedParserDict maps a missing `updated` to `published` with a DeprecationWarning.
        published=_utc(dict.get(raw, "published_parsed")),
        updated=_utc(dict.get(raw, "updated_parsed")),
    )


def _title_text(detail) -> str:
    value = detail.get("value") or ""
    if "html" in (detail.get("type") or "") or re.search(r"<[a-zA-Z/!]", value):
        value = html.unescape(_TAG.sub(" ", value))
    value = " ".join(value.split())
    return value if len(value) <= TITLE_MAX_CHARS else value[: TITLE_MAX_CHARS - 1].rstrip() + "…"


def _as_html(detail) -> str:
    value = detail.get("value") or ""
    return value if "html" in (detail.get("type") or "text/html") else html.escape(value)


def _content_html(contents) -> str:
    for item in contents:
        if "html" in (item.get("type") or ""):
            return item.get("value") or ""
    return _as_html(contents[0]) if contents else ""


def _utc(parsed_time) -> datetime | None:
    if not parsed_time:
        return None
    try:
        return datetime(*parsed_time[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def _feed_link(feed, rel: str, base_url: str | None) -> str | None:
    for link in feed.get("links") or []:
        if link.get("rel") == rel:
            return _absolute_web_url(link.get("href"), base_url)
    return None


def _absolute_web_url(url: str | None, base_url: str | None) -> str | None:
    """The URL made absolute against base_url, or None unless it is http(s) (no javascript:, data:)."""
    url = (url or "").strip()
    if not url:
        return None
    if base_url:
        url = urljoin(base_url, url)
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None
