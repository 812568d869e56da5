"""``/admin/health``: is groupbot working? Mode, token, webhooks, feed, sending, backlog, failures.

Everything comes from the database; only "Check now" calls Meta (see ``checks``).
"""

from __future__ import annotations

import time
from dataclasses import asdict

from flask import flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from bot.answers import versions
from bot.config import DEMO_FEED
from bot.notify.admin_email import email_configured
from bot.ops.clock import confirm_clock, current_jump
from bot.outbox.pause import current_pause, held_until, token_fingerprint
from bot.store.graph_calls import GraphCall
from bot.store.outbox import OutboxJob
from webhooks.admin.actions import actor, back
from webhooks.admin.blueprint import bp
from webhooks.admin.checks import run_checks, stored_checks
from webhooks.services import services

RECENT_CALLS = 20
RECENT_FAILURES = 10
JOB_LABELS = {"page_post": lazy_gettext("Page post"), "private_reply": lazy_gettext("Private reply"),
              "comment_reply": lazy_gettext("Public reply"), "messenger_reply": lazy_gettext("Messenger answer"),
              "hide_comment": lazy_gettext("Hiding a comment")}


@bp.get("/health")
def health():
    """The state of every moving part, from what the worker and the last checks stored."""
    settings, store, now = services().settings, services().store, time.time()
    pause = current_pause(store)
    return render_template(
        "admin/health.html", settings=settings, checks=stored_checks(store), pause=pause, now=now,
        clock_jump=current_jump(store), model=versions.status(settings.data_dir),
        pause_lifts=bool(pause) and pause.token_fingerprint != token_fingerprint(settings.page_token),
        held_until=held_until(store, now), counts=store.jobs.counts(), feed_name=_feed_name(settings.blog_feed_url),
        feed=store.blog.feed_state(settings.blog_feed_url) if settings.blog_feed_url else None,
        failures=[_failure(job) for job in store.jobs.failed(RECENT_FAILURES)], email=_email(settings, store),
        calls=[{**asdict(c), "what": call_kind(c)} for c in store.graph_calls.recent(RECENT_CALLS)]
        if settings.dry_run else [],
    )


@bp.post("/health/check")
def check_now():
    """Run the checks now (token, scopes, webhook subscription, feed) and store the result."""
    checks = run_checks(services().settings, services().store, actor())
    problems = checks.problems
    flash(ngettext("Checked: %(num)d problem found.", "Checked: %(num)d problems found.", problems) if problems
          else _("Checked: all good."),
          "error" if problems else "message")
    return back()


def _email(settings, store) -> dict:
    """Whether admin e-mail is set up, and the e-mails the mail server has refused that are still unsent."""
    failing, last = store.emails.failing()
    return {"configured": email_configured(settings), "failing": failing, "last": last}


@bp.post("/health/confirm-clock")
def confirm_clock_now():
    """An admin confirms the server's time after a clock jump: retention purge and reply expiry resume."""
    lifted = confirm_clock(services().store, actor(), time.time())
    flash(_("Clock confirmed: purge and expiry resume.") if lifted else _("The clock was not in doubt."), "message")
    return back()


def _failure(job: OutboxJob) -> dict:
    """A failed job as the page lists it, with where to act on it."""
    payload = job.payload
    if "entry_id" in payload:
        subject, link = _("blog entry %(id)s", id=payload["entry_id"]), ("admin.posts", {})
        command = f"groupbot retry-post {payload['entry_id']}"
    elif "reply_id" in payload:
        # People name a member's message by its question id, so the page does too.
        reply = services().store.replies.get(payload["reply_id"])
        question = reply.question_id if reply else "?"
        subject, link = _("question %(id)s", id=question), ("admin.queue", {"show": "failed"})
        command = f"groupbot retry {question}"
    else:
        subject, link = _("question %(id)s", id=payload.get("question_id", "?")), ("admin.queue", {"show": "all"})
        command = f"groupbot hide-comment {payload.get('question_id', '?')}"
    return {"kind": str(JOB_LABELS.get(job.kind, job.kind)), "subject": subject, "error": job.last_error,
            "status": job.status, "at": job.finished_at or job.updated_at, "link": link, "command": command}


def call_kind(call: GraphCall) -> str:
    """What a recorded Graph call would have done, in words."""
    params, path = call.params, call.path
    if path.endswith("/messages"):
        return _("Private reply") if "comment_id" in (params.get("recipient") or {}) else _("Messenger answer")
    if path.endswith("/feed"):
        return _("Page post")
    if path.endswith("/comments"):
        return _("Public reply")
    if path.endswith("/subscribed_apps"):
        return _("Webhook subscription")
    return _("Hide comment") if "is_hidden" in params else call.method


def _feed_name(url: str) -> str:
    """The feed's address, or a name for the demo feed that ships with groupbot (not a local path)."""
    return _("the demo feed bundled with groupbot") if url == str(DEMO_FEED) else url
