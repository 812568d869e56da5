"""``/admin/audit``: who did what, newest first."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as N_

from bot.store.audit import AUDIT_SORT_KEY
from webhooks.admin.blueprint import bp, page_cursor, pager
from webhooks.services import services

PAGE_SIZE = 100
# The actions bot.accounts.admins.audit records, in words; one recorded later is shown by its name.
ACTION_LABELS = {
    "sign_in": N_("sign in"), "sign_out": N_("sign out"), "language_set": N_("language set"),
    "admin_added": N_("admin added"), "admin_removed": N_("admin removed"), "password_changed": N_("password changed"),
    "approve_reply": N_("approve reply"), "edit_reply": N_("edit reply"), "reject_reply": N_("reject reply"),
    "retry_reply": N_("retry reply"), "send_again_reply": N_("send reply again"), "hide_comment": N_("hide comment"),
    "relabel_question": N_("change answer"), "approve_post": N_("approve post"),
    "retry_post": N_("retry post"), "mark_group_posted": N_("mark group posted"),
    "hand_reply": N_("answer by hand"), "dismiss_question": N_("done, no reply needed"),
}


@bp.get("/audit")
def audit():
    """The audit log, a page at a time."""
    page = services().store.audit.page(PAGE_SIZE, page_cursor(len(AUDIT_SORT_KEY)))
    return render_template("admin/audit.html", entries=page.rows, pages=pager(page), action_label=action_label)


def action_label(action: str) -> str:
    """An audit action in the page's language ('approve_reply' -> 'approve reply')."""
    return str(ACTION_LABELS.get(action, action.replace("_", " ")))
