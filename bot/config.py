"""Settings: read once from the environment (and `.env`), validated, immutable.

This is the only module that reads ``os.environ``. Everything else receives a
``Settings`` (or plain values taken from it).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v26.0"
DRY_RUN_PAGE_ID = "100000000000001"
DEMO_FEED = Path(__file__).parent / "data" / "demo_feed.xml"
SECRETS_FILE = "secrets.json"


# The fields a PAGE_POST_TEMPLATE may name; checked at start-up, filled in by bot.blog.compose.
PAGE_POST_PLACEHOLDERS = ("title", "summary", "call_to_action", "link", "firm_name", "text_number", "call_number",
                          "group_url", "resource_center_url")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    """Every setting groupbot reads, validated. Secrets are excluded from repr."""

    data_dir: Path
    # SQLite's file, or None when the database is PostgreSQL (``database_url``).
    database_path: Path | None
    dry_run: bool
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    secret_key: str = field(repr=False)
    page_id: str
    page_token: str = field(repr=False)
    app_id: str
    graph_url: str
    graph_version: str
    blog_feed_url: str
    blog_webhook_secret: str = field(repr=False)
    poll_interval: int
    group_url: str
    resource_center_url: str
    firm_name: str
    text_number: str
    call_number: str
    faq_file: str
    auto_approve_intents: frozenset[str]
    auto_approve_min_confidence: float
    page_post_approval: bool
    page_post_template: str
    page_post_spanish: bool
    backfill: int
    graph_timeout: int
    subscription_check_interval: int
    admin_emails: tuple[str, ...]
    smtp_url: str = field(repr=False)
    smtp_from: str
    retention_days: int
    public_url: str
    trust_proxy_hops: int
    log_level: str
    sqlite_synchronous: str = "FULL"
    # DATABASE_URL as given (or its default): what the store opens. A PostgreSQL URL's password is a secret.
    database_url: str = field(default="", repr=False)
    database_pool_size: int = 8
    backup_passphrase: str = field(default="", repr=False)
    human_takeover_hours: int = 24
    model_training: bool = True

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, env_file: str | os.PathLike | None = ".env"
    ) -> Settings:
        """Build settings from ``environ`` over ``env_file``; raises SettingsError naming the bad one."""
        merged: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if environ is None else environ)
        return _build(_Reader(merged))

    def describe(self) -> dict[str, str]:
        """Settings as printable strings, with secrets replaced by 'set' / 'not set'."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.repr:
                out[f.name] = "set" if value else "not set"
            elif isinstance(value, (frozenset, tuple)):
                out[f.name] = ", ".join(sorted(value))
            else:
                out[f.name] = str(value)
        return out


class _Reader:
    """Typed access to raw string settings; every error names the variable."""

    def __init__(self, raw: Mapping[str, str]):
        self.raw = raw

    def str(self, name: str, default: str = "") -> str:
        value = self.raw.get(name)
        return default if value is None or value.strip() == "" else value.strip()

    def bool(self, name: str, default: bool) -> bool:
        value = self.str(name)
        if not value:
            return default
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be 0 or 1 (got {value!r})")

    def int(self, name: str, default: int, minimum: int = 0) -> int:
        value = self.str(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number (got {value!r})") from None
        if number < minimum:
            raise SettingsError(f"{name} must be at least {minimum} (got {number})")
        return number

    def fraction(self, name: str, default: float) -> float:
        value = self.str(name)
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{name} must be a number from 0 to 1, like 0.9 (got {value!r})") from None
        if not 0.0 <= number <= 1.0:  # also refuses nan
            raise SettingsError(f"{name} must be a number from 0 to 1, like 0.9 (got {value!r})")
        return number

    def list(self, name: str) -> tuple[str, ...]:
        return tuple(item.strip() for item in self.str(name).split(",") if item.strip())

    def url(self, name: str, default: str) -> str:
        value = self.str(name, default)
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SettingsError(f"{name} must be an http(s) URL (got {value!r})")
        return value.rstrip("/") if name in ("META_GRAPH_URL", "PUBLIC_URL") else value


def _build(env: _Reader) -> Settings:
    data_dir = Path(env.str("DATA_DIR", "var"))
    database_url = env.str("DATABASE_URL", f"sqlite:///{data_dir.as_posix()}/groupbot.db")
    database_path = _database_path(database_url)
    page_token = env.str("META_PAGE_ACCESS_TOKEN")
    dry_run = env.bool("DRY_RUN", default=not page_token)
    if not dry_run:
        for required in ("META_PAGE_ACCESS_TOKEN", "META_PAGE_ID", "META_APP_SECRET", "META_VERIFY_TOKEN"):
            if not env.str(required):
                raise SettingsError(f"{required} is required when DRY_RUN=0")
    generated = _generated_secrets(data_dir) if _needs_generated(env) else {}
    page_id = env.str("META_PAGE_ID", DRY_RUN_PAGE_ID if dry_run else "")
    if not re.fullmatch(r"\d+", page_id):
        raise SettingsError(f"META_PAGE_ID must be the Page's numeric id (got {page_id!r})")
    version = env.str("META_GRAPH_VERSION", DEFAULT_GRAPH_VERSION)
    if not re.fullmatch(r"v\d+\.\d+", version):
        raise SettingsError(f"META_GRAPH_VERSION must look like v26.0 (got {version!r})")
    auto = frozenset(i.lower() for i in env.list("AUTO_APPROVE_INTENTS"))
    emails = env.list("ADMIN_EMAILS")
    for email in emails:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise SettingsError(f"ADMIN_EMAILS has an address that is not one: {email!r}")
    smtp_url = _smtp_url(env)
    smtp_from = env.str("SMTP_FROM")
    if smtp_from and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", smtp_from):
        raise SettingsError(f"SMTP_FROM must be an e-mail address (got {smtp_from!r})")
    log_level = env.str("LOG_LEVEL", "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {log_level!r})")
    return Settings(
        data_dir=data_dir,
        database_path=database_path,
        dry_run=dry_run,
        app_secret=env.str("META_APP_SECRET") or generated.get("META_APP_SECRET", ""),
        verify_token=env.str("META_VERIFY_TOKEN") or generated.get("META_VERIFY_TOKEN", ""),
        secret_key=env.str("SECRET_KEY") or generated.get("SECRET_KEY", ""),
        page_id=page_id,
        page_token=page_token,
        app_id=env.str("META_APP_ID"),
        graph_url=env.url("META_GRAPH_URL", DEFAULT_GRAPH_URL),
        graph_version=version,
        blog_feed_url=_feed_source(env, str(DEMO_FEED) if dry_run else ""),
        blog_webhook_secret=env.str("BLOG_WEBHOOK_SECRET"),
        poll_interval=env.int("POLL_INTERVAL_SECONDS", 300, minimum=10),
        group_url=env.url("GROUP_URL", "https://www.facebook.com/groups/demo-immigration-group"),
        resource_center_url=env.url("RESOURCE_CENTER_URL", "https://blog.example-immigration-firm.test/resource-center"),
        firm_name=env.str("FIRM_NAME", "Demo Immigration Law Firm"),
        text_number=_phone(env, "CONTACT_TEXT_NUMBER", "619-569-1768"),
        call_number=_phone(env, "CONTACT_CALL_NUMBER", "619-819-9204"),
        faq_file=env.str("FAQ_FILE"),
        auto_approve_intents=auto,
        auto_approve_min_confidence=env.fraction("AUTO_APPROVE_MIN_CONFIDENCE", 0.9),
        page_post_approval=env.bool("PAGE_POST_APPROVAL", default=False),
        page_post_template=_page_post_template(env),
        page_post_spanish=env.bool("PAGE_POST_SPANISH", default=False),
        # The demo feed is there to be seen: a newcomer's dry-run posts its two newest entries.
        backfill=env.int("BACKFILL", 2 if dry_run and not env.str("BLOG_FEED_URL") else 0, minimum=0),
        graph_timeout=env.int("META_GRAPH_TIMEOUT_SECONDS", 10, minimum=1),
        subscription_check_interval=env.int("SUBSCRIPTION_CHECK_SECONDS", 900, minimum=60),
        admin_emails=emails,
        smtp_url=smtp_url,
        smtp_from=smtp_from,
        retention_days=env.int("RETENTION_DAYS", 90, minimum=1),
        public_url=env.url("PUBLIC_URL", "http://127.0.0.1:8000"),
        trust_proxy_hops=env.int("TRUST_PROXY_HOPS", 0, minimum=0),
        log_level=log_level,
        sqlite_synchronous=_choice(env, "SQLITE_SYNCHRONOUS", ("FULL", "NORMAL"), "FULL"),
        database_url=database_url,
        database_pool_size=env.int("DATABASE_POOL_SIZE", 8, minimum=1),
        backup_passphrase=env.str("GROUPBOT_BACKUP_PASSPHRASE"),
        human_takeover_hours=env.int("HUMAN_TAKEOVER_HOURS", 24, minimum=0),
        model_training=env.bool("MODEL_TRAINING", default=True),
    )


def _choice(env: _Reader, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.str(name, default).upper()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _phone(env: _Reader, name: str, default: str) -> str:
    """A phone number as members will read it: digits with the usual separators, 7 to 15 digits, optional +."""
    value = env.str(name, default)
    digits = sum(c.isdigit() for c in value)
    if not re.fullmatch(r"\+?[0-9 ().-]+", value) or not 7 <= digits <= 15:
        raise SettingsError(f"{name} must be a phone number like 619-569-1768 or +1 619 569 1768 (got {value!r})")
    return value


def _feed_source(env: _Reader, default: str) -> str:
    """BLOG_FEED_URL: an http(s) address, or a feed file that exists (a path or file:// URL)."""
    value = env.str("BLOG_FEED_URL", default)
    if not value:
        return value
    parsed = urlparse(value)
    if parsed.scheme in ("http", "https"):
        if not parsed.netloc:
            raise SettingsError(f"BLOG_FEED_URL has no host (got {value!r})")
        return value
    # One letter is a Windows drive, not a scheme.
    local = parsed.path if parsed.scheme == "file" else value if len(parsed.scheme) <= 1 else None
    if local is None or not Path(local).is_file():
        raise SettingsError(f"BLOG_FEED_URL must be an http(s) URL or an existing feed file, like "
                            f"https://blog.example.com/feed (got {value!r})")
    return value


def _smtp_url(env: _Reader) -> str:
    """SMTP_URL, checked as the mailer will read it: scheme, host and a numeric port."""
    value = env.str("SMTP_URL")
    if not value:
        return value
    parsed = urlparse(value)
    # The value holds a password: errors name the part that is wrong, never the value.
    if parsed.scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise SettingsError("SMTP_URL must start with smtp://, smtps:// or smtp+starttls://")
    if not parsed.hostname:
        raise SettingsError("SMTP_URL has no host (e.g. smtp+starttls://user:password@smtp.example.com:587)")
    try:
        parsed.port
    except ValueError:
        raise SettingsError("SMTP_URL has a port that is not a number from 1 to 65535 (a password with : @ / or # "
                            "must be URL-encoded, e.g. %40 for @)") from None
    return value


def _page_post_template(env: _Reader) -> str:
    """PAGE_POST_TEMPLATE with its \\n escapes as newlines; '' for the default. Placeholders are checked now."""
    template = env.str("PAGE_POST_TEMPLATE").replace("\\n", "\n")
    if not template:
        return ""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise SettingsError(f"PAGE_POST_TEMPLATE is malformed ({exc}); write literal braces as {{{{ and }}}}") from None
    for _, name, spec, conversion in parts:
        if name is not None and name not in PAGE_POST_PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in PAGE_POST_PLACEHOLDERS)
            raise SettingsError(f"PAGE_POST_TEMPLATE has an unknown placeholder {{{name}}}; use {allowed}")
        if spec or conversion:
            raise SettingsError(f"PAGE_POST_TEMPLATE: placeholder {{{name}}} takes no format spec or conversion")
    return template


def _database_path(url: str) -> Path | None:
    """SQLite's file, from SQLAlchemy's sqlite URL convention (three slashes relative, four absolute); None for a
    PostgreSQL URL."""
    if url.startswith(("postgresql://", "postgres://")):
        if len(url.split("://", 1)[1].strip("/")) == 0:
            raise SettingsError("DATABASE_URL must name a PostgreSQL server and database, "
                                "e.g. postgresql://groupbot:password@db.example:5432/groupbot")
        return None
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise SettingsError("DATABASE_URL must look like sqlite:///var/groupbot.db or "
                            "postgresql://user:password@host:5432/dbname (got "
                            f"{url.split('://', 1)[0] + '://…' if '://' in url else repr(url)})")
    return Path(url[len(prefix):])


def _needs_generated(env: _Reader) -> bool:
    return not all(env.str(name) for name in ("META_APP_SECRET", "META_VERIFY_TOKEN", "SECRET_KEY"))


def _generated_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets made once and kept in the data folder, so restarts (and `simulate`) agree on them."""
    path = data_dir / SECRETS_FILE
    try:
        stored = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        raise SettingsError(f"{path} is unreadable; delete it to generate new secrets") from None
    wanted = ("META_APP_SECRET", "META_VERIFY_TOKEN", "SECRET_KEY")
    if all(stored.get(name) for name in wanted):
        return stored
    for name in wanted:
        stored.setdefault(name, secrets.token_hex(32))
    try:
        _write_private(path, json.dumps(stored))
    except OSError as exc:
        raise SettingsError(f"DATA_DIR {data_dir} is not writable ({exc.strerror})") from None
    return stored


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600 from the start, in a 0700 folder.

    These secrets sign webhooks and sessions: a crash mid-write must leave the old file or the
    new one, never half of one that would make every restart generate new secrets.
    """
    previous = os.umask(0o077)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(previous)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)
