"""The queue's buttons: approve (with the text as edited), reject, retry a failed reply, hide a Page comment.

Each is a POST (CSRF-checked app-wide) that calls the core action, which checks the reply's
state and writes the audit entry; the admin lands back on the page, with a message.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from bot.replies import review
from bot.replies.moderation import hide_comment as hide_page_comment
from webhooks.admin.actions import actor, run
from webhooks.admin.blueprint import bp
from webhooks.services import services


@bp.post("/replies/<int:reply_id>/approve")
def approve_reply(reply_id: int):
    """Send a pending reply with the form's text (the suggestion, or the admin's edit of it)."""
    text = request.form.get("text")
    if text is not None:
        text = text.replace("\r\n", "\n")  # browsers send a text area's line breaks as CRLF
    return run(lambda: review.approve_reply(services().store, reply_id, actor(), text),
               _("Reply %(id)d approved; it is being sent.", id=reply_id))


@bp.post("/replies/<int:reply_id>/reject")
def reject_reply(reply_id: int):
    """Decide that a suggested reply is not sent."""
    return run(lambda: review.reject_reply(services().store, reply_id, actor()),
               _("Reply %(id)d rejected; nothing will be sent.", id=reply_id))


@bp.post("/replies/<int:reply_id>/retry")
def retry_reply(reply_id: int):
    """Try a failed reply again, or send an unconfirmed one again because an admin decided so."""
    return run(lambda: review.retry_reply(services().store, reply_id, actor()),
               _("Reply %(id)d is being tried again.", id=reply_id))


@bp.post("/questions/<int:question_id>/hide")
def hide_comment(question_id: int):
    """Hide a member's Page comment that shows personal data."""
    return run(lambda: hide_page_comment(services().store, question_id, actor()),
               _("The comment is being hidden on the Page."))
