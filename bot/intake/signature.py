"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC of the raw body>``."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The header value Meta would send for ``body``."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """True when ``header`` signs exactly these bytes; constant time, False on any malformation."""
    if not header or not secret or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().lower().encode())
