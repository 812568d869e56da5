"""`groupbot doctor`: what is wrong with this installation, and how to fix each thing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from bot.answers import versions
from bot.blog.feed import FeedResult, fetch_feed
from bot.blog.outgoing import guarded_session
from bot.blog.push import callback_url
from bot.config import Settings, SettingsError
from bot.meta.errors import GraphAuthError, GraphError
from bot.meta.permissions import missing_permissions
from bot.meta.subscription import WEBHOOK_FIELDS, missing_fields
from bot.notify.smtp import MailError, check_login, parse_smtp_url
from bot.ops.clock import current_jump
from bot.outbox.pause import active_pause, held_until, token_fingerprint
from bot.runtime.startup import check_faq
from bot.store import Store

# Shorter than the mailer's own: doctor waits on it in front of a person.
SMTP_TIMEOUT_SECONDS = 5.0
NEW_TOKEN_FIX = ("get a new Page access token (`groupbot token exchange`, see docs/meta-setup.md), put it in "
                 "META_PAGE_ACCESS_TOKEN, then restart groupbot")


@dataclass(frozen=True)
class Finding:
    """One line of the report: level 'ok', 'note' (worth knowing) or 'problem' (with its fix)."""

    level: str
    subject: str
    detail: str
    fix: str = ""


def examine(settings: Settings, store: Store, graph, *,
            fetch: Callable[..., FeedResult] = fetch_feed, now: float | None = None) -> list[Finding]:
    """Every check, in the order they are printed; Meta is not called in dry-run."""
    now = time.time() if now is None else now
    return [_database(settings, store), *_clock(store), _faq(settings), _answer_model(settings),
            *_feed(settings, store, fetch),
            *_sending(settings, store, now), *_email(settings, store), *_meta(settings, graph),
            *_websub(settings, store)]


def _faq(settings: Settings) -> Finding:
    try:
        kb = check_faq(settings)
    except SettingsError as exc:
        return Finding("problem", "faq", str(exc),
                       "fix FAQ_FILE or AUTO_APPROVE_INTENTS (format: docs/faq-format.md); groupbot will not start "
                       "until then")
    where = settings.faq_file or "the bundled FAQ"
    auto = f"; sent without approval: {', '.join(sorted(settings.auto_approve_intents))}" \
        if settings.auto_approve_intents else ""
    return Finding("ok", "faq", f"{where}: {len(kb.intents)} intents{auto}")


def _answer_model(settings: Settings) -> Finding:
    line = versions.status_line(settings.data_dir)
    if versions.kept_aside(settings.data_dir):
        return Finding("note", "answer model", line,
                       "the model in use stays; see that version's metrics.json, and `groupbot train` once the "
                       "labels are fixed")
    if (versions.last_train(settings.data_dir) or {}).get("outcome") == "failed":
        return Finding("problem", "answer model", line, "run `groupbot train` to see the error")
    return Finding("ok" if versions.current_version(settings.data_dir) else "note", "answer model", line)


def _email(settings: Settings, store: Store) -> list[Finding]:
    if not settings.smtp_url:
        note = "ADMIN_EMAILS is set but SMTP_URL is not" if settings.admin_emails else "SMTP_URL is not set"
        return [Finding("note", "email", f"{note}: urgent questions and alerts are not e-mailed")]
    server = parse_smtp_url(settings.smtp_url)
    where = f"{server.host}:{server.port}"
    try:
        check_login(server, timeout=SMTP_TIMEOUT_SECONDS)
    except MailError as exc:
        return [Finding("problem", "email", str(exc),
                        f"check the host, port, user and password in SMTP_URL ({where}), then run "
                        "`groupbot test-email`")]
    login = f"logged in as {server.username}" if server.username else "connected (no login in SMTP_URL)"
    found = [Finding("ok", "email", f"{where}: {login}")]
    if not settings.admin_emails:
        found.append(Finding("problem", "email", "SMTP_URL is set but ADMIN_EMAILS is empty: nobody is e-mailed",
                             "list the admins' addresses in ADMIN_EMAILS, comma-separated"))
    failing, last = store.emails.failing()
    if last:
        found.append(Finding("note", "email", f"{failing} admin e-mail(s) not delivered; the last, queued at "
                                              f"{_when(last.created_at)}, failed with: {last.last_error}"))
    return found


def _database(settings: Settings, store: Store) -> Finding:
    if not store.ping():
        hint = ("check that DATA_DIR / DATABASE_URL point to a writable folder" if store.engine == "sqlite" else
                "check that the PostgreSQL server in DATABASE_URL is up and lets this user in")
        return Finding("problem", "database", f"{store.describe()} does not answer", hint)
    return Finding("ok", "database", store.describe())


def _clock(store: Store) -> list[Finding]:
    jump = current_jump(store)
    if jump is None:
        return []
    return [Finding("problem", "clock", jump.reason,
                    "check the server's time (timedatectl), then run: groupbot confirm-clock")]


def _feed(settings: Settings, store: Store, fetch) -> list[Finding]:
    url = settings.blog_feed_url
    if not url:
        return [Finding("problem", "feed", "BLOG_FEED_URL is not set",
                        "set BLOG_FEED_URL to the blog's RSS or Atom feed address")]
    with guarded_session(settings) as session:  # the feed's redirects get the same checks as the worker's polls
        result = fetch(url, timeout=10.0, session=session)
    if result.status == "error":
        found = [Finding("problem", "feed", f"cannot use {url}: {result.error}",
                         "check the address in BLOG_FEED_URL and that the blog is up; the worker keeps retrying "
                         "every POLL_INTERVAL_SECONDS")]
    else:
        found = [Finding("ok", "feed", f"{url} answers with {len(result.entries)} entries")]
    state = store.blog.feed_state(url)
    if state and state.last_status == "error":
        found.append(Finding("note", "feed", f"the last {state.consecutive_errors} poll(s) failed, most recently "
                                             f"at {_when(state.last_polled_at)}: {state.last_error}"))
    elif state and state.last_polled_at:
        found.append(Finding("ok", "feed", f"last polled at {_when(state.last_polled_at)} ({state.last_status})"))
    return found


def _sending(settings: Settings, store: Store, now: float) -> list[Finding]:
    found = []
    pause = active_pause(store, token_fingerprint(settings.page_token))
    if pause:
        found.append(Finding("problem", "sending", pause.describe(), NEW_TOKEN_FIX))
    until = held_until(store, now)
    if until:
        found.append(Finding("note", "sending", f"Meta rate limit: sending resumes at {_when(until)}"))
    counts = store.jobs.counts()
    stuck = counts.get("failed", 0) + counts.get("dead", 0)
    if stuck:
        found.append(Finding("note", "sending", f"{stuck} job(s) failed or were refused by Meta; "
                                                "`groupbot list posts` shows Meta's message, "
                                                "`groupbot retry-post ID` tries again"))
    if not found:
        found.append(Finding("ok", "sending",
                             f"{counts.get('pending', 0)} job(s) waiting, {counts.get('sent', 0)} sent"))
    return found


def _meta(settings: Settings, graph) -> list[Finding]:
    if settings.dry_run:
        return [Finding("note", "meta", "dry-run: would check the token and its scopes (GET /debug_token) and the "
                                        f"Page's webhook fields (GET /{settings.page_id}/subscribed_apps); skipped")]
    try:
        token = graph.debug_token()
    except GraphAuthError as error:
        return [Finding("problem", "token", f"Meta refused the token: {error}", NEW_TOKEN_FIX)]
    except GraphError as error:
        return [Finding("problem", "token", f"could not ask Meta about the token: {error}",
                        "check META_GRAPH_URL and the network, then run doctor again")]
    found = [_token(token)]
    if found[0].level == "problem":
        return found
    try:
        missing = missing_fields(graph)
    except GraphError as error:
        return found + [Finding("problem", "webhooks", f"could not read the Page's subscription: {error}",
                                "check that the token has pages_manage_metadata")]
    if missing:
        found.append(Finding("problem", "webhooks", f"the Page is not subscribed to {', '.join(missing)}",
                             "run `groupbot subscribe`"))
    else:
        found.append(Finding("ok", "webhooks", f"subscribed to {', '.join(WEBHOOK_FIELDS)}"))
    return found


def _token(data: dict) -> Finding:
    if not data.get("is_valid"):
        reason = (data.get("error") or {}).get("message") or "no reason given"
        return Finding("problem", "token", f"Meta says the Page token is invalid: {reason}", NEW_TOKEN_FIX)
    lacking = missing_permissions(data.get("scopes"))
    if lacking:
        return Finding("problem", "token", f"the token lacks {', '.join(lacking)}",
                       "grant these permissions when you get the user token in the Graph API Explorer, then run "
                       "`groupbot token exchange` again (docs/meta-setup.md)")
    expires = data.get("expires_at") or 0
    return Finding("ok", "token", f"valid {data.get('type', '').lower()} token with the needed scopes"
                                  + (f", expires {_when(expires)}" if expires else ", no expiry"))


def _websub(settings: Settings, store: Store) -> list[Finding]:
    state = store.blog.feed_state(settings.blog_feed_url) if settings.blog_feed_url else None
    if not state or not state.hub_url:
        return []
    subs = [s for s in store.blog.websub_subscriptions() if s.hub_url == state.hub_url]
    if subs and subs[0].state == "verified":
        return [Finding("ok", "websub", f"the blog pushes new posts (lease until {_when(subs[0].expires_at)})")]
    why = f"hub request {subs[0].state}" + (f": {subs[0].last_error}" if subs[0].last_error else "") if subs \
        else "no subscription yet"
    return [Finding("note", "websub", f"the blog offers push ({why}); polling covers it meanwhile",
                    f"make {callback_url(settings)} reachable from the internet and set PUBLIC_URL to it")]


def _when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch)) if epoch else "never"
