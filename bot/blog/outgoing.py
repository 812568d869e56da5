"""The one way out for requests a feed or a hub decides: feed polls, their redirects, hub subscribe POSTs.

A feed names its hub and its redirect targets, so whoever controls (or spoofs) the blog would
otherwise choose where groupbot connects and what it sends (the hub POST carries hub.secret).
Once PUBLIC_URL is public, the session from `guarded_session` therefore refuses every address
that is not globally routable; in live mode it also refuses plain http except to BLOG_FEED_URL's
own host. The check runs on the addresses the name resolves to, each time a connection is
opened, and the socket connects to the very address that was checked, so a second DNS answer
(rebinding) cannot slip in between. The session never follows a redirect itself: callers that
want one (the feed poll) follow it hop by hop through this same session, so each hop is checked.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from bot.config import Settings
from bot.errors import Refused
from bot.ops.logsafe import printable

try:
    from urllib3.exceptions import NameResolutionError
except ImportError:  # urllib3 1.x, which requests still allows, reports it as NewConnectionError
    NameResolutionError = None

_LOCAL_NAMES = {"localhost", "localhost.localdomain"}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutgoingRefused(Refused):
    """A feed or hub request was refused before anything was sent; the message is one line."""


@dataclass(frozen=True)
class OutgoingRules:
    """What feed and hub requests may reach: internal addresses, plain http (and to which hosts)."""

    internal_allowed: bool
    https_only: bool
    http_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_settings(cls, settings: Settings) -> "OutgoingRules":
        """Internal addresses only while PUBLIC_URL is local; https only in live mode, but to BLOG_FEED_URL's host."""
        feed = urlsplit(settings.blog_feed_url or "")
        http_hosts = frozenset({feed.hostname.lower()}) if feed.scheme == "http" and feed.hostname else frozenset()
        return cls(internal_allowed=is_local_url(settings.public_url), https_only=not settings.dry_run,
                   http_hosts=http_hosts)

    def check_url(self, url: str) -> None:
        """Raise OutgoingRefused if the address's scheme (or plain http to this host) is not allowed."""
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if scheme not in ("http", "https") or not host:
            raise OutgoingRefused(f"refused {printable(scheme or 'an address without a scheme', 20)}: "
                                  "only http(s) addresses are fetched")
        if scheme == "http" and self.https_only and host not in self.http_hosts:
            raise OutgoingRefused(f"refused plain http to {printable(host, 100)}: a live groupbot reaches feeds "
                                  "and hubs over https only (BLOG_FEED_URL's own host excepted)")

    def addresses(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, if all may be reached; raises OutgoingRefused otherwise."""
        infos = socket.getaddrinfo(host, port, urllib3_connection.allowed_gai_family(), socket.SOCK_STREAM)
        found = list(dict.fromkeys(info[4][0] for info in infos))
        if not self.internal_allowed:
            for address in found:
                kind = internal_kind(address)
                if kind:
                    # One internal answer refuses them all: which one a connect would pick is not ours to guess.
                    raise OutgoingRefused(
                        f"refused {printable(host, 100)}: it resolves to {address}, a {kind} address, and groupbot "
                        "does not reach internal addresses for a feed or hub once PUBLIC_URL is public")
        return found


def is_local_url(url: str) -> bool:
    """True when the URL's host is localhost or a loopback address: a test or dry-run install on this machine."""
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def internal_kind(address: str) -> str | None:
    """What makes an address unfit for a feed or hub ('loopback', 'private'...), or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not part of it
    if ip.version == 6:
        # IPv4 addresses wrapped in IPv6 reach the IPv4 host: judge the IPv4 one.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and internal_kind(str(inner)):
            return internal_kind(str(inner))
    for kind, test in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                       ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                       ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if test:
            return kind
    return None if ip.is_global else "non-public"


def guarded_session(settings: Settings) -> requests.Session:
    """A requests session for feed and hub requests under these settings' rules; close it when done."""
    return session_with(OutgoingRules.for_settings(settings))


def session_with(rules: OutgoingRules) -> requests.Session:
    """A requests session that enforces `rules` on every connection and never follows redirects itself."""
    session = _NoRedirectSession()
    # Environment proxies would put a third party between the check and the connection.
    session.trust_env = False
    adapter = GuardedAdapter(rules)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class GuardedAdapter(HTTPAdapter):
    """A transport adapter whose connections check `rules` and connect only to the checked address."""

    def __init__(self, rules: OutgoingRules, **kwargs):
        self.rules = rules
        self._pools = {"http": _guarded(HTTPConnectionPool, HTTPConnection, rules),
                       "https": _guarded(HTTPSConnectionPool, HTTPSConnection, rules)}
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        """The usual pool manager, with pools whose connections are checked."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        """Refused: through a proxy the address actually reached could not be checked."""
        raise OutgoingRefused("refused to use a proxy for a feed or hub request")

    def send(self, request, *args, **kwargs):
        """Check the scheme rules before the request goes to a (checked) connection."""
        self.rules.check_url(request.url)
        return super().send(request, *args, **kwargs)


class _NoRedirectSession(requests.Session):
    def get_redirect_target(self, resp):
        # A redirect is handed back to the caller, never followed here: the hub POST must not be
        # replayed elsewhere (307 keeps the body and its secret), and the feed follows hop by hop.
        return None


class _CheckedConnect:
    """Mixin for urllib3 connections: resolve, check every address, connect to a checked one."""

    rules: OutgoingRules

    def _new_conn(self) -> socket.socket:
        try:
            addresses = self.rules.addresses(self._dns_host, self.port)
        except socket.gaierror as exc:
            if NameResolutionError is None:
                raise NewConnectionError(self, f"Failed to resolve {self.host}: {exc}") from exc
            raise NameResolutionError(self.host, self, exc) from exc
        error: Exception | None = None
        for address in addresses:
            try:
                sock = urllib3_connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except socket.timeout as exc:
                error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection: {exc}")
                error.__cause__ = exc
            else:
                sys.audit("http.client.connect", self, self.host, self.port)
                return sock
        raise error or NewConnectionError(self, f"{self.host} resolves to no address")


def _guarded(pool_class, connection_class, rules: OutgoingRules):
    checked = type(f"Guarded{connection_class.__name__}", (_CheckedConnect, connection_class), {"rules": rules})
    return type(f"Guarded{pool_class.__name__}", (pool_class,), {"ConnectionCls": checked})
