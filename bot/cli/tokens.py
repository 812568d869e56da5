"""``groupbot token exchange``: turn a short-lived user token into the Page's long-lived token."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.cli.common import CommandFailed, add_command, printable
from bot.config import DRY_RUN_PAGE_ID, Settings
from bot.meta.errors import GraphError, GraphTransient
from bot.meta.tokens import ManagedPage, TokenExchange

EXPLORER = "the Graph API Explorer"
# Without these tasks on the Page, Meta refuses posting (CREATE_CONTENT), replies and hiding (MODERATE),
# and Messenger sends (MESSAGING), whatever the permissions.
NEEDED_TASKS = ("CREATE_CONTENT", "MODERATE", "MESSAGING")


def register(commands) -> None:
    """Add this module's subcommands."""
    token = add_command(commands, "token", _usage, "get the Page's long-lived access token")
    actions = token.add_subparsers(title="actions", metavar="ACTION")
    add_command(actions, "exchange", cmd_exchange,
                "read a short-lived user token (prompt or stdin, never an argument) and print the Page's "
                "long-lived token for .env")
    token.set_defaults(print_help=token.print_help)


def _usage(settings: Settings, args: argparse.Namespace) -> int:
    args.print_help(sys.stderr)
    return 2


def cmd_exchange(settings: Settings, args: argparse.Namespace) -> int:
    """Exchange the user token, then print the token of META_PAGE_ID once, or list the Pages to choose from."""
    if not settings.app_id:
        raise CommandFailed("META_APP_ID is not set: copy the App ID from the App Dashboard (App settings > Basic) "
                            "into .env, with META_APP_SECRET")
    short_lived = _read_user_token()
    exchange = TokenExchange(base_url=settings.graph_url, version=settings.graph_version, app_id=settings.app_id,
                             app_secret=settings.app_secret, timeout=float(settings.graph_timeout))
    try:
        long_lived = exchange.long_lived_user_token(short_lived)
    except GraphError as error:
        raise CommandFailed(_exchange_refused(error)) from None
    try:
        pages = exchange.managed_pages(long_lived)
    except GraphError as error:
        raise CommandFailed(_listing_refused(error)) from None
    if not pages:
        raise CommandFailed("Meta lists no Page for this user: in the Graph API Explorer, grant pages_show_list "
                            "and choose the firm's Page when Facebook asks which Pages the app may use")
    page_id = "" if settings.dry_run and settings.page_id == DRY_RUN_PAGE_ID else settings.page_id
    chosen = next((page for page in pages if page.id == page_id), None)
    if chosen is None:
        _list_pages(pages)
        if page_id:
            raise CommandFailed(f"META_PAGE_ID {page_id} is not among the Pages this user manages (listed above): "
                                "correct META_PAGE_ID, or get the token as one of the Page's admins")
        print("Put the firm's Page id in .env as META_PAGE_ID, then run `groupbot token exchange` again "
              "with a new short-lived token.")
        return 0
    _print_token(chosen)
    return 0


def _read_user_token() -> str:
    """The short-lived user token: typed at a hidden prompt, or the first line of standard input."""
    if sys.stdin.isatty():
        try:
            token = getpass.getpass(f"Short-lived user token from {EXPLORER} (not shown): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandFailed("no token given") from None
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise CommandFailed(f"no token given: paste the User Token from {EXPLORER} at the prompt, or on stdin")
    if any(char.isspace() or not char.isprintable() for char in token):
        raise CommandFailed(f"that is not one token: copy the whole User Token from {EXPLORER}, and nothing else")
    return token


def _print_token(page: ManagedPage) -> None:
    """The one place the Page token is shown; it is never logged."""
    print(printable(f"Page token for {page.name} ({page.id}), from a long-lived user token: it has no expiry "
                    "date."))
    print("Put this line in .env (keep it secret), restart groupbot, then run `groupbot doctor`:")
    print()
    print(f"META_PAGE_ACCESS_TOKEN={page.token}")
    print()
    lacking = [task for task in NEEDED_TASKS if page.tasks and task not in page.tasks]
    if lacking:
        print(f"note: on this Page you lack the tasks {', '.join(lacking)}; groupbot needs them to post, reply "
              "and message. Ask for full control of the Page, then get the token again.")


def _list_pages(pages: list[ManagedPage]) -> None:
    print("Pages this user manages (id, name):")
    for page in pages:
        print(printable(f"  {page.id}  {page.name}"))


def _exchange_refused(error: GraphError) -> str:
    """One line for a refused exchange, with the fix."""
    if isinstance(error, GraphTransient) and error.code is None:
        return f"{error}: check META_GRAPH_URL and the network, then try again"
    if error.code == 190 and error.subcode == 463:
        return (f"the short-lived token has expired: {error}; get a new one in {EXPLORER} and run this at once "
                "(it lasts about an hour)")
    if error.code == 190:
        return f"Meta refused the short-lived token: {error}; copy the whole User Token from {EXPLORER}, for this app"
    if error.code in (1, 101):
        return (f"Meta refused the app's credentials: {error}; check META_APP_ID and META_APP_SECRET against the "
                "App Dashboard (App settings > Basic)")
    return f"Meta refused the exchange: {error}"


def _listing_refused(error: GraphError) -> str:
    """One line for a refused GET /me/accounts, with the fix."""
    if isinstance(error, GraphTransient) and error.code is None:
        return f"{error}: check META_GRAPH_URL and the network, then try again"
    if error.code == 190:
        return f"Meta refused the long-lived user token: {error}; get a new short-lived token and run this again"
    return (f"Meta would not list the user's Pages: {error}; grant pages_show_list in {EXPLORER}, and check that "
            "META_APP_SECRET is the app's secret")
