"""The queue's buttons: approve (with the text as edited), reject, retry a failed reply, change the answer (relabel),
hide a Page comment.

Each is a POST (CSRF-checked app-wide) that calls the core action, which checks the reply's
state and writes the audit entry; the admin lands back on the page, with a message.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from bot.answers.knowledge import FaqFileError
from bot.errors import Refused
from bot.replies import review
from bot.replies.moderation import hide_comment as hide_page_comment
from bot.replies.relabel import relabel_question as relabel
from webhooks.admin.actions import actor, run
from webhooks.admin.blueprint import bp
from webhooks.admin.knowledge import current_responder
from webhooks.admin.words import intent_label
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


@bp.post("/questions/<int:question_id>/relabel")
def relabel_question(question_id: int):
    """Give a question another intent's reply ("Change answer"), or none."""
    intent = request.form.get("intent", "")

    def change() -> None:
        try:
            responder = current_responder(services().settings)
        except FaqFileError as exc:
            raise Refused(f"the FAQ file cannot be used: {exc}") from None
        relabel(services().store, responder, question_id, intent, actor())

    success = (_("Question %(id)d will get no reply.", id=question_id) if intent == "none"
               else _("Question %(id)d now gets the answer on %(intent)s; approve it to send it.", id=question_id,
                      intent=intent_label(intent)))
    return run(change, success)


@bp.post("/questions/<int:question_id>/hide")
def hide_comment(question_id: int):
    """Hide a member's Page comment that shows personal data."""
    return run(lambda: hide_page_comment(services().store, question_id, actor()),
               _("The comment is being hidden on the Page."))
