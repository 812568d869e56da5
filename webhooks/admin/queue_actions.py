"""The queue's buttons, each on a member's question (the number every list shows): approve its suggested reply (with
the text as edited), reject it, answer by hand, "Done, no reply needed", change the answer (relabel), retry a failed
reply, hide a Page comment.

Each is a POST (CSRF-checked app-wide) that calls the core action, which checks the question's state and writes the
audit entry; the admin lands back on the page, with a message.
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


def _text(name: str = "text") -> str | None:
    text = request.form.get(name)
    # Browsers send a text area's line breaks as CRLF.
    return None if text is None else text.replace("\r\n", "\n")


def _disclaimers() -> dict[str, str]:
    try:
        return current_responder(services().settings).disclaimers()
    except FaqFileError as exc:
        raise review.ReplyError(f"the FAQ file is unusable, so the disclaimer is unknown: {exc}") from None


@bp.post("/questions/<int:question_id>/approve")
def approve_reply(question_id: int):
    """Send a question's pending reply with the form's text (the suggestion, or the admin's edit of it)."""
    text = _text()
    return run(lambda: review.approve_question(services().store, question_id, actor(), text,
                                               disclaimers=_disclaimers()),
               _("Question %(id)d: reply approved; it is being sent.", id=question_id))


@bp.post("/questions/<int:question_id>/reject")
def reject_reply(question_id: int):
    """Decide that a question's suggested reply is not sent."""
    return run(lambda: review.reject_question(services().store, question_id, actor()),
               _("Question %(id)d: reply rejected; nothing will be sent.", id=question_id))


@bp.post("/questions/<int:question_id>/reply")
def reply_by_hand(question_id: int):
    """Answer a question with the admin's own words, followed by the disclaimer unless unticked."""
    text, with_disclaimer = _text() or "", request.form.get("disclaimer") == "1"
    return run(lambda: review.answer_by_hand(services().store, question_id, actor(), text,
                                             disclaimers=_disclaimers(), add_disclaimer=with_disclaimer),
               _("Question %(id)d: your answer is being sent.", id=question_id))


@bp.post("/questions/<int:question_id>/done")
def dismiss_question(question_id: int):
    """"Done, no reply needed": the question leaves the Pending list."""
    return run(lambda: review.dismiss_question(services().store, question_id, actor()),
               _("Question %(id)d: done, no reply needed.", id=question_id))


@bp.post("/questions/<int:question_id>/retry")
def retry_reply(question_id: int):
    """Try a question's failed reply again, or send an unconfirmed one again because an admin decided so."""
    return run(lambda: review.retry_question(services().store, question_id, actor()),
               _("Question %(id)d: the reply is being tried again.", id=question_id))


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
