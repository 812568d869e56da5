"""``/admin/``: what members asked and the replies the bot suggests, to approve, edit or reject.

Tabs: Pending (waiting for a decision, urgent first, then by deadline; below them what was
approved in the last hour, with its outcome), Sent, Failed (failed or expired) and All.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from flask import abort, jsonify, render_template, request

from bot.store.dashboard import QueueItem
from bot.store.replies import Reply
from webhooks.admin.blueprint import bp, page_number
from webhooks.admin.formatting import sentence
from webhooks.services import services

PAGE_SIZE = 50
RECENT_SECONDS = 3600
IN_FLIGHT = ("approved", "sending")
SOURCE_LABELS = {"page_comment": "Page comment", "group_comment": "Group comment", "messenger": "Messenger"}
CHANNEL_LABELS = {"private_reply": "private reply in Messenger", "comment_reply": "public reply under the comment",
                  "messenger": "Messenger answer"}
LANGUAGE_LABELS = {"en": "English", "es": "Spanish", "mixed": "English and Spanish"}
SENSITIVE_LABELS = {"a_number": "A-number", "receipt_number": "USCIS receipt number", "ssn": "Social Security number",
                    "date_of_birth": "date of birth", "passport": "passport number", "address": "home address",
                    "phone": "phone number", "case_details": "case details"}


@dataclass(frozen=True)
class Tab:
    """One list of the queue: its ``show=`` name, label, and what the page says when it is empty."""

    name: str
    label: str
    empty: str


TABS = (
    Tab("pending", "Pending", "Nothing waits for you. New questions appear here as members write."),
    Tab("sent", "Sent", "No reply has been sent yet."),
    Tab("failed", "Failed", "No reply failed or expired."),
    Tab("all", "All", "No questions yet. They appear here as members comment or write to the Page."),
)


@bp.get("/")
def queue():
    """One tab of the queue, a page at a time."""
    tab = next((t for t in TABS if t.name == request.args.get("show")), TABS[0])
    page = page_number()
    store, now = services().store, time.time()
    rows = store.dashboard.queue_items(tab.name, now - RECENT_SECONDS, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    recent = store.dashboard.queue_items("recent", now - RECENT_SECONDS, PAGE_SIZE) if tab.name == "pending" else []
    return render_template(
        "admin/queue.html", tab=tab, tabs=TABS, counts=store.dashboard.queue_counts(now - RECENT_SECONDS), page=page,
        items=[present(row) for row in rows[:PAGE_SIZE]], recent=[present(row) for row in recent],
        more=len(rows) > PAGE_SIZE,
    )


@bp.get("/replies/<int:reply_id>/status")
def reply_status(reply_id: int):
    """A reply's status as JSON, so the page can show a send's outcome without a manual reload."""
    reply = services().store.replies.get(reply_id)
    if reply is None:
        abort(404)
    return jsonify(status=reply.status, label=status_line(reply))


def present(row: QueueItem) -> dict:
    """A queue row with the words the page shows for it."""
    return {
        **asdict(row),
        "source_label": SOURCE_LABELS.get(row.source, row.source),
        "channel_label": CHANNEL_LABELS.get(row.channel, row.channel),
        "language_label": _language(row.question_language or row.language),
        "intent_label": (row.intent or row.question_intent or "").replace("_", " "),
        "sensitive": [SENSITIVE_LABELS.get(kind, kind.replace("_", " ")) for kind in row.pii],
        "in_flight": row.status in IN_FLIGHT,
        "status_line": status_line(row) if row.reply_id else _question_line(row),
    }


def status_line(reply: Reply | QueueItem) -> str:
    """Where a reply stands, in one sentence (Meta's message included for a failure)."""
    status, error = reply.status, reply.error
    if status == "sent":
        by = "automatically" if reply.approved_by == "auto-approve" else f"approved by {reply.approved_by}"
        return f"Sent ({by})." + (f" {sentence(error)}" if error else "")
    lines = {
        "pending": "Waiting for approval.",
        "approved": f"Approved by {reply.approved_by}; sending…",
        "sending": "Sending…" + (f" {sentence(error)}" if error else ""),
        "failed": f"Failed. Meta said: {error}",
        "expired": f"Expired: {error}" if error else "Expired: Meta's window for this reply closed.",
        "rejected": "Rejected; nothing was sent.",
        "cancelled": f"Cancelled: {error}" if error else "Cancelled; nothing was sent.",
    }
    return lines.get(status, status)


def _question_line(row: QueueItem) -> str:
    if row.question_status == "removed":
        return "Removed by the member or by Meta; no reply."
    if row.question_status == "new":
        return "Not read by the bot yet."
    return "No reply suggested: the FAQ has no answer for this, and when unsure the bot says nothing."


def _language(code: str | None) -> str:
    return LANGUAGE_LABELS.get(code or "", code or "not known yet")
