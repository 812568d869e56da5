"""``/admin/posts``: blog entries with their Page post, and the Group drafts an admin pastes into the Group.

Meta has no API for Group posts, so the dashboard helps a person do it: "Copy text", "Open
group", then "Mark posted" (optionally with the Group post's address).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import render_template, request, url_for
from flask_babel import gettext as _

from bot.blog import group_drafts
from bot.blog.entries import posts_page
from bot.blog.group_drafts import mark_group_posted as mark_posted
from bot.blog.page_posts import approve_page_post, retry_page_post
from bot.store.blog import ENTRIES_SORT_KEY
from webhooks.admin.actions import actor, run
from webhooks.admin.blueprint import bp, page_cursor, pager
from webhooks.services import services

PAGE_SIZE = 50
WEB_SCHEMES = ("http", "https")


@bp.get("/posts")
def posts():
    """The newest blog entries: Page status and Group draft of each."""
    return _page()


@bp.post("/posts/<int:entry_id>/approve")
def approve_post(entry_id: int):
    """Publish an entry that waits for approval (PAGE_POST_APPROVAL=1) on the Page."""
    def approve() -> None:
        approve_page_post(services().store, entry_id, actor())
    return run(approve, _("Post approved; it is being published on the Page."))


@bp.post("/posts/<int:entry_id>/retry")
def retry_post(entry_id: int):
    """Try a failed Page post again (the Page is checked first, so it is never posted twice)."""
    def retry() -> None:
        retry_page_post(services().store, entry_id, actor())
    return run(retry, _("The Page post is being tried again."))


@bp.post("/posts/<int:entry_id>/group-posted")
def mark_group_posted(entry_id: int):
    """Record that the Group draft was posted in the Group, with the post's address if given."""
    url = request.form.get("url", "").strip()
    problem = group_post_url_problem(url)
    if problem:
        return _page(errors={entry_id: problem}, typed={entry_id: url}, status=400)

    def mark() -> None:
        mark_posted(services().store, entry_id, actor(), url or None)
    return run(mark, _("Marked as posted in the Group."))


def group_post_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a Group post's address (one sentence), or None; empty is allowed."""
    if url and group_drafts.group_post_url_problem(url):
        return _("That is not a Facebook address. Paste the Group post's link, for example "
                 "https://www.facebook.com/groups/…/posts/…, or leave the box empty.")
    return None


def group_link(url: str | None) -> str | None:
    """``url`` when it passes today's Group post check; one stored before it was stricter is not linked."""
    return url if url and not group_drafts.group_post_url_problem(url) else None


def web_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, safe to put in a link; None otherwise."""
    return url if url and urlsplit(url).scheme.lower() in WEB_SCHEMES else None


def _page(errors: dict[int, str] | None = None, typed: dict[int, str] | None = None, status: int = 200):
    settings = services().settings
    page = posts_page(services().store, PAGE_SIZE, page_cursor(len(ENTRIES_SORT_KEY)))
    return render_template(
        "admin/posts.html", entries=page.rows, pages=pager(page, "admin.posts"), errors=errors or {}, typed=typed or {}, group_url=settings.group_url,
        approval=settings.page_post_approval, web_link=web_link, group_link=group_link, back_to=url_for("admin.posts"),
    ), status
