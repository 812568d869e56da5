"""``/admin/``: what members asked and the replies the bot suggests, to approve, edit, reject or answer by hand.

Tabs: Pending (the questions waiting for a person, urgent first, then by deadline, each saying why it waits; below
them what was approved in the last hour, with its outcome), Sent, Failed (failed, expired or unconfirmed) and All.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass

from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as N_

from bot.answers.knowledge import FaqFileError
from bot.replies.relabel import WITHDRAWN_REASON
from bot.replies.takeover import STAFF_REPLY_REASON, TAKEOVER_REASON
from bot.store.dashboard import QueueItem
from bot.store.replies import Reply
from webhooks.admin.banner import desk_state
from webhooks.admin.blueprint import bp, page_cursor, pager
from webhooks.admin.formatting import sentence
from webhooks.admin.knowledge import current_responder
from webhooks.admin.words import intent_label
from webhooks.services import services

PAGE_SIZE = 50
RECENT_SECONDS = 3600
IN_FLIGHT = ("approved", "sending")
SOURCE_LABELS = {"page_comment": N_("Page comment"), "group_comment": N_("Group comment"), "messenger": N_("Messenger")}
CHANNEL_LABELS = {"private_reply": N_("private reply in Messenger"),
                  "comment_reply": N_("public reply under the comment"), "messenger": N_("Messenger answer")}
LANGUAGE_LABELS = {"en": N_("English"), "es": N_("Spanish"), "mixed": N_("English and Spanish")}
SENSITIVE_LABELS = {"a_number": N_("A-number"), "receipt_number": N_("USCIS receipt number"),
                    "ssn": N_("Social Security number"), "date_of_birth": N_("date of birth"),
                    "passport": N_("passport number"), "address": N_("home address"), "phone": N_("phone number"),
                    "case_details": N_("case details")}
ATTACHMENT_LABELS = {"photo": N_("photo"), "image": N_("image"), "video": N_("video"), "sticker": N_("sticker"),
                     "animated_image_share": N_("GIF"), "audio": N_("audio"), "file": N_("file")}
# Why a suggestion was withdrawn, as the core says it, and as the page says it.
WITHDRAWN_LABELS = {STAFF_REPLY_REASON: N_("Withdrawn: answered by staff on the Page; nothing was sent."),
                    TAKEOVER_REASON: N_("Withdrawn: a person is talking to this member; nothing was sent.")}


@dataclass(frozen=True)
class Tab:
    """One list of the queue: its ``show=`` name, label, and what the page says when it is empty."""

    name: str
    label: str
    empty: str


TABS = (
    Tab("pending", N_("Pending"), N_("Nobody waits for you. New questions appear here as members write.")),
    Tab("sent", N_("Sent"), N_("No reply has been sent yet.")),
    Tab("failed", N_("Failed"), N_("No reply failed, expired or is unconfirmed.")),
    Tab("all", N_("All"), N_("No questions yet. They appear here as members comment or write to the Page.")),
)


@bp.get("/")
def queue():
    """One tab of the queue, a page at a time."""
    tab = next((t for t in TABS if t.name == request.args.get("show")), TABS[0])
    store, now = services().store, time.time()
    page = store.dashboard.queue_items(tab.name, now - RECENT_SECONDS, PAGE_SIZE,
                                       page_cursor(store.dashboard.sort_key_length(tab.name)))
    recent = (store.dashboard.queue_items("recent", now - RECENT_SECONDS, PAGE_SIZE).rows
              if tab.name == "pending" else [])
    return render_template(
        "admin/queue.html", tab=tab, tabs=TABS, counts=store.dashboard.queue_counts(), pages=pager(page),
        items=[present(row) for row in page.rows], recent=[present(row) for row in recent],
        intent_choices=intent_choices(),
    )


def intent_choices() -> list[tuple[str, str]]:
    """The FAQ's intents for "Change answer", as (name, words), by their words; none while FAQ_FILE is unusable."""
    try:
        names = current_responder(services().settings).kb.intents
    except FaqFileError:
        return []
    return sorted(((name, intent_label(name)) for name in names), key=lambda choice: choice[1].casefold())


@bp.get("/replies/<int:reply_id>/status")
def reply_status(reply_id: int):
    """A reply's status as JSON, so the page can show a send's outcome without a manual reload."""
    reply = services().store.replies.get(reply_id)
    if reply is None:
        abort(404)
    return jsonify(status=reply.status, label=status_line(reply, desk_state().sending_stopped))


def waits_because(row: QueueItem) -> list[str]:
    """Why a question waits for a person, in words (empty when it does not wait)."""
    if not row.waiting:
        return []
    reasons = []
    if row.status == "pending":
        reasons.append(_("A suggested reply waits for your approval."))
    elif row.asks and row.status in (None, "cancelled"):
        reasons.append(_("It asks something, and no suggested reply fits: answer by hand, or mark it done."))
    if row.flagged and row.source != "messenger" and row.hide_status not in ("queued", "hidden"):
        reasons.append(_("A public comment shows personal data: hide it."))
    if row.urgent:
        reasons.append(_("Urgent."))
    return reasons


def present(row: QueueItem) -> dict:
    """A queue row with the words the page shows for it."""
    return {
        **asdict(row),
        "source_label": str(SOURCE_LABELS.get(row.source, row.source)),
        "channel_label": str(CHANNEL_LABELS.get(row.channel, row.channel or "")),
        "language_label": _language(row.question_language or row.language),
        "intent_label": intent_label(row.intent or row.question_intent),
        "sensitive": [str(SENSITIVE_LABELS.get(kind, kind.replace("_", " "))) for kind in row.pii],
        "in_flight": row.status in IN_FLIGHT,
        "status_line": status_line(row, desk_state().sending_stopped) if row.reply_id else _question_line(row),
        "reasons": waits_because(row),
        "by_hand": row.origin == "hand",
        # "Change answer": a pending suggestion, a judged question without one, or one withdrawn by relabelling.
        "can_relabel": row.question_status != "removed" and (
            row.status == "pending" or (row.reply_id is None and row.question_status == "no_reply")
            or (row.status == "cancelled" and row.error == WITHDRAWN_REASON)),
        "attachment_labels": [str(ATTACHMENT_LABELS.get(kind, kind)) for kind in row.attachments],
        "takeover": _takeover(row),
    }


def _takeover(row: QueueItem) -> dict | None:
    """Who is talking to this Messenger member and since when, while automation stays off for them."""
    if row.takeover_until is None or row.takeover_until <= time.time():
        return None
    return {"by": row.takeover_by or _("the Page inbox"), "since": row.takeover_since}


def status_line(reply: Reply | QueueItem, stopped: str | None = None) -> str:
    """Where a reply stands, in one sentence (Meta's message included for a failure; why it waits while sending
    is paused, from ``stopped``)."""
    status, error = reply.status, reply.error
    if stopped and status in IN_FLIGHT:
        return _("Waiting: sending is paused because %(reason)s", reason=stopped)
    if status == "sent":
        line = (_("Sent (automatically).") if reply.approved_by == "auto-approve"
                else _("Sent (written by %(admin)s).", admin=reply.approved_by) if reply.origin == "hand"
                else _("Sent (approved by %(admin)s).", admin=reply.approved_by))
        return line + (f" {sentence(error)}" if error else "")
    # Meta's and the core's own words (``error``) are shown as they are: they are not in the catalog.
    if status == "pending":
        reason = getattr(reply, "review_reason", None)
        return review_reason_words(reason) if reason else _("Waiting for approval.")
    if status == "approved":
        return _("Approved by %(admin)s; sending…", admin=reply.approved_by)
    if status == "sending":
        return _("Sending…") + (f" {sentence(error)}" if error else "")
    if status == "failed":
        return _("Failed. Meta said: %(error)s", error=error)
    if status == "unconfirmed":
        return _("Unconfirmed: Meta may or may not have delivered it, and nothing confirmed it. Meta said: "
                 "%(error)s", error=error)
    if status == "expired":
        return _("Expired: %(error)s", error=error) if error else _("Expired: Meta's window for this reply closed.")
    if status == "rejected":
        return _("Rejected; nothing was sent.")
    if status == "cancelled" and error in WITHDRAWN_LABELS:
        return str(WITHDRAWN_LABELS[error])
    if status == "cancelled":
        if error == WITHDRAWN_REASON:
            return _("Withdrawn: an admin decided this message needs no reply.")
        return _("Cancelled: %(error)s", error=error) if error else _("Cancelled; nothing was sent.")
    return status


# The auto-approve gate's reasons (bot/replies/quality.py), as stored in English, read back into the page's language.
_REASON_PARTS = (
    (re.compile(r"confidence (?P<confidence>[\d.]+) is below (?P<minimum>[\d.]+)"),
     lambda m: _("the bot's confidence, %(confidence)s, is below %(minimum)s", **m)),
    (re.compile(r"(?P<count>\d+) decisions on (?P<intent>\S+) in (?P<days>\d+) days, (?P<needed>\d+) needed"),
     lambda m: _("%(count)s decisions on %(intent)s in %(days)s days, %(needed)s needed",
                 **{**m, "intent": intent_label(m["intent"])})),
    (re.compile(r"(?P<approved>\d+) of (?P<count>\d+) suggestions of (?P<intent>\S+) approved unchanged in "
                r"(?P<days>\d+) days \((?P<share>[\d.]+%)\), (?P<needed>\d+%) needed"),
     lambda m: _("%(approved)s of %(count)s suggestions of %(intent)s approved unchanged in %(days)s days "
                 "(%(share)s), %(needed)s needed", **{**m, "intent": intent_label(m["intent"])})),
)


def review_reason_words(reason: str) -> str:
    """Why an auto-approved intent's suggestion waits, in the page's language (as stored, if not recognised)."""
    parts = []
    for part in reason.removeprefix("waiting for approval: ").split("; "):
        for pattern, words in _REASON_PARTS:
            found = pattern.fullmatch(part)
            if found:
                parts.append(words(found.groupdict()))
                break
        else:
            parts.append(part)
    return _("Waiting for approval: %(reasons)s.", reasons="; ".join(parts))


def _question_line(row: QueueItem) -> str:
    if row.question_status == "removed":
        return _("Removed by the member or by Meta; no reply.")
    if row.no_reply_reason:
        return _("No reply: written by another Facebook Page; groupbot answers people only.")
    if row.question_status == "new":
        return _("Not read by the bot yet.")
    if row.dismissed_by:
        return _("Done: no reply needed (said %(admin)s).", admin=row.dismissed_by)
    if row.waiting:
        return _("No reply yet.")
    return _("No reply suggested: the FAQ has no answer for this, and when unsure the bot says nothing.")


def _language(code: str | None) -> str:
    return str(LANGUAGE_LABELS.get(code or "", code or _("not known yet")))
