"""Text from outside (a hub's reason, a feed's URLs) made safe to write into one log line."""

from __future__ import annotations

# Every Cc character (C0, DEL, C1: CR, LF, ESC...) plus the Unicode line and paragraph separators:
# any of them lets a caller end our log line and forge the next one, or drive the operator's terminal.
_UNSAFE = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029])


def printable(value: object, limit: int = 200) -> str:
    """`value` as text without control characters or line breaks, cut to `limit` characters."""
    text = str(value).translate(_UNSAFE)
    return text if len(text) <= limit else text[: limit - 1] + "…"
