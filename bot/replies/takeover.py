"""Human takeover: a person answering by hand withdraws groupbot's suggestions and keeps automation away.

Two signs that a person answered outside groupbot:
- the Page's own comment under a member's comment that is not groupbot's reply (no reply of ours
  is being sent there, and Meta gave our sent reply another id): that comment's suggestion is
  withdrawn and the question shows what staff wrote;
- a Messenger echo of the Page to a member without groupbot's metadata and not sent by our app
  (the Page inbox, Business Suite, the Pages app): that member's suggestions not yet sending are
  withdrawn, and for HUMAN_TAKEOVER_HOURS after that person's last message nothing automated goes
  to the member (new suggestions wait for an admin). The member's own messages never shorten it.
"""

from __future__ import annotations

import logging

from bot.replies import echoes
from bot.store import Store
from bot.store.replies import Reply
from bot.store.takeovers import Takeover

log = logging.getLogger(__name__)

STAFF_REPLY_REASON = "answered by staff: a person replied to this comment from the Page"
TAKEOVER_REASON = "a person is talking to this member"
PAGE_INBOX = "the Page inbox"  # who, when Meta's echo does not name the person
# Sending states in which the Page's comment under the member's may be our own reply coming back.
MAYBE_OURS = ("sending", "unconfirmed", "failed")


def page_commented(store: Store, *, parent_id: str, comment_id: str, text: str, at: float, now: float) -> None:
    """The Page commented under `parent_id`: our reply's echo, or staff answering by hand."""
    question_id = store.questions.id_for(parent_id)
    reply = store.replies.of_question(question_id) if question_id is not None else None
    if question_id is None or _may_be_ours(reply, comment_id):
        echoes.page_echo(store, key=f"comment:{parent_id}", external_id=comment_id, now=now)
        return
    store.questions.record_staff_reply(question_id, text, at, now)
    if store.replies.cancel_open(question_id, STAFF_REPLY_REASON, now):
        log.info("question %d: staff answered it from the Page; its suggestion is withdrawn", question_id)


def page_messaged(store: Store, *, member_id: str, message_id: str, metadata: str | None, app_id: str | None,
                  our_app_id: str | None, by: str | None, at: float, takeover_hours: float, now: float) -> None:
    """The Page's Messenger message to a member came back as an echo: ours settles a send, a person's takes over."""
    key = echoes.echo_key_for_metadata(metadata)
    if key:
        echoes.page_echo(store, key=key, external_id=message_id, now=now)
        return
    if (our_app_id and app_id == our_app_id) or not member_id:
        return  # sent by groupbot's own app some other way: no person is talking
    store.takeovers.record(member_id, at, at + takeover_hours * 3600.0, by or "")
    withdrawn = store.replies.cancel_for_member(member_id, TAKEOVER_REASON, now)
    log.info("a person is talking to a Messenger member; %d suggestion(s) withdrawn", withdrawn)


def active_takeover(store: Store, member_id: str, now: float) -> Takeover | None:
    """The takeover of a Messenger member while it lasts."""
    return store.takeovers.active(member_id, now)


def who(by: str | None) -> str:
    """Who is talking to the member, as the listings say it."""
    return by or PAGE_INBOX


def _may_be_ours(reply: Reply | None, comment_id: str) -> bool:
    if reply is None or reply.channel != "comment_reply":
        return False
    if reply.message_id:
        return reply.message_id == comment_id
    return reply.status in MAYBE_OURS
