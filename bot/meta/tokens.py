"""From a short-lived user token to the Page's long-lived token, as Meta documents it.

A short-lived user token (Graph API Explorer, about an hour) is exchanged for a long-lived user token
(`GET /oauth/access_token?grant_type=fb_exchange_token`, about 60 days); the Page tokens that
`GET /me/accounts` gives for a long-lived user token have no expiry date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests

from bot.meta.client import appsecret_proof, install_log_redaction
from bot.meta.errors import GraphError, GraphTransient, error_from_response

log = logging.getLogger(__name__)

_MAX_PAGES_OF_ACCOUNTS = 20  # 100 Pages each: far more than one firm manages


@dataclass(frozen=True)
class ManagedPage:
    """A Page the token's owner manages, with its Page token (kept out of repr)."""

    id: str
    name: str
    token: str = field(repr=False)
    tasks: tuple[str, ...] = ()


class TokenExchange:
    """The two Graph calls that turn a short-lived user token into Page tokens; raises GraphError."""

    def __init__(self, *, base_url: str, version: str, app_id: str, app_secret: str,
                 session: requests.Session | None = None, timeout: float = 10.0) -> None:
        install_log_redaction()  # both calls carry secrets in their query string
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.app_id = app_id
        self._app_secret = app_secret
        self.session = session or requests.Session()
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"TokenExchange(base_url={self.base_url!r}, version={self.version!r}, app_id={self.app_id!r})"

    def long_lived_user_token(self, short_lived: str) -> str:
        """Exchange a short-lived user token for a long-lived one (about 60 days)."""
        body = self._get("oauth/access_token", {"grant_type": "fb_exchange_token", "client_id": self.app_id,
                                                "client_secret": self._app_secret,
                                                "fb_exchange_token": short_lived})
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise GraphError("Meta's answer to the exchange holds no access_token")
        return token

    def managed_pages(self, user_token: str) -> list[ManagedPage]:
        """Every Page the user manages, each with its Page token (GET /me/accounts, followed page by page)."""
        params: dict[str, str] = {"fields": "id,name,access_token,tasks", "limit": "100",
                                  "access_token": user_token,
                                  "appsecret_proof": appsecret_proof(self._app_secret, user_token)}
        pages: list[ManagedPage] = []
        for _ in range(_MAX_PAGES_OF_ACCOUNTS):
            body = self._get("me/accounts", params)
            pages += [_managed_page(item) for item in body.get("data") or [] if _is_page(item)]
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            # Meta gives a `next` link only when more follow; the cursor alone is also there on the last page.
            if not (body.get("paging") or {}).get("next") or not after:
                break
            params = {**params, "after": str(after)}
        return pages

    def _get(self, path: str, params: dict[str, str]) -> dict:
        """One GET; every failure becomes a GraphError whose text holds no secret."""
        url = f"{self.base_url}/{self.version}/{path}" if self.version else f"{self.base_url}/{path}"
        try:
            resp = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            # The exception's text would include the URL, secrets and all.
            raise GraphTransient(f"could not reach Meta at {self.base_url} ({type(exc).__name__})") from None
        error = error_from_response(resp)
        if error is not None:
            log.debug("graph GET /%s failed: %s %s", path, type(error).__name__, error)  # the command says why
            raise error
        log.debug("graph GET /%s -> %s", path, resp.status_code)
        return resp.json()


def _is_page(item: Any) -> bool:
    return isinstance(item, dict) and bool(item.get("id")) and isinstance(item.get("access_token"), str)


def _managed_page(item: dict) -> ManagedPage:
    tasks = item.get("tasks") if isinstance(item.get("tasks"), list) else []
    return ManagedPage(id=str(item["id"]), name=str(item.get("name") or ""), token=item["access_token"],
                       tasks=tuple(str(t) for t in tasks))
