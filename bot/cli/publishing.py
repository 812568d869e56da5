"""``groupbot poll``, ``approve-post``, ``retry-post``, ``mark-group-posted``: blog entries to the Page and Group."""

from __future__ import annotations

import argparse
import getpass
import json
from dataclasses import asdict

from bot.blog.entries import list_posts
from bot.blog.group_drafts import mark_group_posted
from bot.blog.page_posts import approve_page_post, retry_page_post
from bot.cli.common import CommandFailed, add_command, open_store, printable
from bot.config import Settings
from bot.runtime.assemble import assemble
from bot.store.base import iso


def register(commands) -> None:
    """Add this module's subcommands."""
    add_command(commands, "poll", cmd_poll, "poll the blog once, send what is due, and exit (for cron)")
    approve = add_command(commands, "approve-post", cmd_approve,
                          "publish a blog entry waiting for approval on the Page")
    approve.add_argument("entry_id", type=int, metavar="ID", help="the entry's id in `groupbot list posts`")
    approve.add_argument("--by", default=None, help="who approves (default: this system user)")
    retry = add_command(commands, "retry-post", cmd_retry, "try a failed Page post again (the Page is checked first)")
    retry.add_argument("entry_id", type=int, metavar="ID")
    retry.add_argument("--by", help="who asks (for the audit log; default: the command line's user)")
    posted = add_command(commands, "mark-group-posted", cmd_mark_group_posted,
                         "record that the Group draft of a blog entry was posted in the Group")
    posted.add_argument("entry_id", type=int, metavar="ID")
    posted.add_argument("--url", default=None, help="the Group post's address")
    posted.add_argument("--by", default=None, help="who posted it (default: this system user)")


def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    """Poll, send, report in one line; exit 1 when the feed is broken."""
    store = open_store(settings)
    try:
        outcome = assemble(settings, store).poll_once()
    finally:
        store.close()
    if outcome.deferred_to:
        print(f"a running groupbot ({outcome.deferred_to}) polls and sends; it was asked to poll now")
        return 0
    report = outcome.report
    print(printable(f"feed: {_describe(report)}; Page: {outcome.attempted} job(s) attempted, {outcome.pending} waiting"
          + (f"; {outcome.blocked}" if outcome.blocked else "")))
    if report.status == "error":
        raise CommandFailed(f"the blog feed is broken: {report.error}")
    return 0


def cmd_approve(settings: Settings, args: argparse.Namespace) -> int:
    """Approve one entry for the Page."""
    job_id = _run(settings, approve_page_post, args.entry_id, _who(args.by))
    print(f"blog entry {args.entry_id} approved; the worker publishes it on the Page (job {job_id})")
    return 0


def cmd_retry(settings: Settings, args: argparse.Namespace) -> int:
    """Requeue a failed or dead Page post."""
    _run(settings, retry_page_post, args.entry_id, _who(args.by))
    print(f"blog entry {args.entry_id} queued again for the Page")
    return 0


def cmd_mark_group_posted(settings: Settings, args: argparse.Namespace) -> int:
    """Record the Group post an admin made by hand."""
    _run(settings, mark_group_posted, args.entry_id, _who(args.by), args.url)
    print(f"blog entry {args.entry_id} marked posted in the Group")
    return 0


def fetch_posts(store, limit: int) -> list[dict]:
    """Rows for `groupbot list posts`."""
    return list_posts(store, limit)


def post_line(row: dict) -> str:
    """One entry as a line of `groupbot list posts`."""
    page = row["page_status"] + (f" {row['page_post_id']}" if row["page_post_id"] else "")
    error = f"  ({row['page_error'][:100]})" if row["page_error"] else ""
    return (f"#{row['id']:<4} {row['first_seen_at']}  page:{page:<28} group:{row['group_status']:<6} "
            f"{row['title'][:60]}{error}")


def fetch_calls(store, limit: int) -> list[dict]:
    """Rows for `groupbot list calls` (what dry-run would have sent)."""
    return [{**asdict(call), "created_at": iso(call.created_at)}
            for call in store.graph_calls.recent(limit)]


def call_line(row: dict) -> str:
    """One recorded call as a line: method, path and the parameters' names and sizes (not the text)."""
    params = ", ".join(f"{k}={v}" if k in ("link", "subscribed_fields", "is_hidden") else
                       f"{k}=<{len(json.dumps(v, ensure_ascii=False))} chars>" for k, v in row["params"].items())
    result = row["result_id"] or "-"
    return f"#{row['id']:<4} {row['created_at']}  {row['method']} /{row['path']}  {params}  -> {result}"


def _run(settings: Settings, action, *args):
    store = open_store(settings)
    try:
        return action(store, *args)
    finally:
        store.close()


def _who(by: str | None) -> str:
    return by or f"command line ({getpass.getuser()})"


def _describe(report) -> str:
    if report.status == "error":
        return f"broken ({report.error})"
    if report.status == "not_modified":
        return "unchanged"
    first = ", first poll: older entries recorded as seen" if report.first_run else ""
    return f"{report.new_entries} new ({report.queued} queued, {report.awaiting_approval} awaiting approval){first}"
