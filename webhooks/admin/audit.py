"""``/admin/audit``: who did what, newest first."""

from __future__ import annotations

from flask import render_template

from webhooks.admin.blueprint import bp, page_number
from webhooks.services import services

PAGE_SIZE = 100


@bp.get("/audit")
def audit():
    """The audit log, a page at a time."""
    page = page_number()
    rows = services().store.audit.newest(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("admin/audit.html", entries=rows[:PAGE_SIZE], page=page, more=len(rows) > PAGE_SIZE)
