"""What the Page was seen saying settles sends whose answer was lost.

A Messenger send carries the job id in its metadata and Meta's echo brings it back; a public
comment reply shows up as the Page's own comment under the member's.
"""

from __future__ import annotations

from bot.store import Store

ECHO_PREFIX = "groupbot:job:"  # Messenger metadata of our sends; Meta sends it back in the echo


def page_echo(store: Store, *, key: str, external_id: str, now: float) -> None:
    """The Page was seen saying something (a Messenger echo with our metadata, a comment under a member's)."""
    store.echoes.record(key, external_id, now)


def echo_key_for_metadata(metadata: str | None) -> str | None:
    """The echo key of a Messenger send's metadata, or None when the message was not ours."""
    if metadata and metadata.startswith(ECHO_PREFIX) and metadata[len(ECHO_PREFIX):].isdigit():
        return "job:" + metadata[len(ECHO_PREFIX):]
    return None
