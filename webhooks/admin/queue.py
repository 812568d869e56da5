"""``/admin/``: what members asked, newest first (read-only for now)."""

from __future__ import annotations

from flask import render_template, request

from webhooks import services
from webhooks.admin import bp

PAGE_SIZE = 50
SOURCE_LABELS = {"page_comment": "Page comment", "group_comment": "Group comment", "messenger": "Messenger"}


@bp.get("/")
def queue():
    """The questions, newest first, a page at a time."""
    page = max(request.args.get("page", 1, type=int), 1)
    rows = services().store.list_questions(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "admin/queue.html",
        questions=rows[:PAGE_SIZE],
        page=page,
        more=len(rows) > PAGE_SIZE,
        source_labels=SOURCE_LABELS,
    )
