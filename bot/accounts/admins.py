"""Dashboard accounts: password rules, admins, throttled sign-in, sessions, and the audit log.

Passwords are hashed with werkzeug (scrypt). Sessions are random tokens whose SHA-256 is kept
in the database, so signing out (or removing an admin, or changing a password) ends them at
once, in every web process. Failed sign-ins are counted in the database for the same reason.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from werkzeug.security import check_password_hash, generate_password_hash

from bot.errors import Refused
from bot.store import Store

log = logging.getLogger(__name__)

SESSION_SECONDS = 12 * 3600
FAILURE_WINDOW_SECONDS = 15 * 60
# Counted per account *from one address*, never per account alone: a count per account would
# let a stranger lock the owner out with five wrong passwords. There is no ceiling per account
# across all addresses for the same reason; what stops guessing from many addresses is the
# per-address limit, IPv6 counted per /64 (what one host is given), and passwords strong enough
# (password_problem) that a few guesses per address and quarter hour never find one.
MAX_FAILURES_PER_EMAIL_AND_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 12
# zxcvbn's estimate of the guesses an attacker with the usual cracking dictionaries and rules
# needs: 10^10 is its top score. "Summer2024!!" (10^8.4) and "Passwordpasswordpassword1" pass
# every rule above it but fall to the common patterns it knows (seasons, years, repeats).
MIN_GUESSES_LOG10 = 10
ZXCVBN_MAX_CHARS = 72  # it refuses longer input; the first 72 characters must be strong alone
FIRST_ADMIN_EMAIL = "admin@localhost"
MAX_DETAIL_CHARS = 500
DASHBOARD_LANGUAGES = ("en", "es")  # the first is the default when the browser asks for neither

# Compared with the letters of a password once digits and symbols at its ends are dropped and
# look-alike characters undone, so "P@ssw0rd2024!" counts as "password".
COMMON_PASSWORDS = frozenset(
    """
    password passwort contrasena clave secret secreto qwerty qwertyuiop qwertz azerty asdfgh
    asdfghjkl zxcvbnm qazwsx letmein welcome bienvenido admin administrator administrador root
    changeme default login master iloveyou teamo amor dios jesus monkey dragon shadow sunshine
    princess superman batman football baseball soccer futbol freedom whatever trustno michael
    mexico tijuana sandiego california america facebook groupbot immigration inmigracion
    abogado lawyer abc abcdef abcdefgh
    """.split()
)
_LOOKALIKES = str.maketrans("0134579@$!", "oieastgasi")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


class AccountError(Refused):
    """An account change was refused; the message says why in one line."""


@dataclass(frozen=True)
class Admin:
    """A signed-in (or signing-in) admin."""

    id: int
    email: str
    language: str | None = None  # the dashboard language they chose; None follows the browser


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a session token, or how long to wait when throttled."""

    admin: Admin | None = None
    token: str | None = None
    retry_after: int = 0

    @property
    def throttled(self) -> bool:
        return self.retry_after > 0


def normalize_email(email: str) -> str:
    """The email lowercased and trimmed; AccountError when it is not an address."""
    cleaned = (email or "").strip().lower()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise AccountError(f"not an email address: {email!r}")
    return cleaned


def password_problem(password: str, email: str) -> str | None:
    """Why a password is refused (one line), or None when it is strong enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"too short: use at least {MIN_PASSWORD_LENGTH} characters"
    classes = {_char_class(ch) for ch in password}
    if len(classes) < 2:
        return "too simple: mix letters with digits or symbols, or upper and lower case"
    lowered = password.lower()
    local_part = email.lower().split("@")[0]
    if lowered == email.lower() or (len(local_part) >= 3 and local_part in lowered):
        return "it must not contain the email address"
    if _letters_core(password) in COMMON_PASSWORDS or _predictable(lowered):
        return "too common or predictable: pick something others would not guess"
    hints = [email.lower(), local_part, *email.lower().split("@")[-1].split("."), "groupbot", "admin"]
    # Imported here: its dictionaries take about 13 MB, which only a process that sets a password needs.
    from zxcvbn import zxcvbn
    if zxcvbn(password[:ZXCVBN_MAX_CHARS], user_inputs=hints)["guesses_log10"] < MIN_GUESSES_LOG10:
        return "too easy to guess (a common pattern): try three or four unrelated words"
    return None


def add_admin(store: Store, email: str, password: str, *, actor: str) -> bool:
    """Create an admin, or set the password of an existing one (ending their sessions).

    Returns True when the account was created. Raises AccountError for a bad email or a
    weak password.
    """
    email = normalize_email(email)
    problem = password_problem(password, email)
    if problem:
        raise AccountError(f"password refused: {problem}")
    password_hash = generate_password_hash(password)
    with store.transaction():
        existing = store.accounts.get_admin(email)
        if existing is None:
            store.accounts.insert_admin(email, password_hash, time.time())
            audit(store, actor, "admin_added", email)
            return True
        store.accounts.set_admin_password(existing.id, password_hash)
        ended = store.accounts.delete_sessions_of(existing.id)
        audit(store, actor, "password_changed", email, f"{ended} sessions ended")
    return False


def remove_admin(store: Store, email: str, *, actor: str) -> None:
    """Delete an admin and their sessions; AccountError if unknown or the last one."""
    email = normalize_email(email)
    with store.transaction():
        existing = store.accounts.get_admin(email)
        if existing is None:
            raise AccountError(f"no admin {email}")
        if store.accounts.count_admins() == 1:
            raise AccountError(f"refusing to remove the last admin ({email}); add another first")
        store.accounts.delete_admin(existing.id)
        audit(store, actor, "admin_removed", email)


def ensure_first_admin(store: Store, admin_emails: Sequence[str] = ()) -> tuple[str, str] | None:
    """Create the first admin with a random password when there is no admin at all.

    Its email is the first of ``admin_emails`` (ADMIN_EMAILS), else admin@localhost.
    Returns (email, password) when it created the account, so the caller can show the
    password once; None when an admin already exists. Safe with several processes.
    """
    if store.accounts.count_admins():
        return None
    email = normalize_email(admin_emails[0]) if admin_emails else FIRST_ADMIN_EMAIL
    password = generate_password(email)
    password_hash = generate_password_hash(password)
    with store.transaction():
        if store.accounts.count_admins():
            return None
        store.accounts.insert_admin(email, password_hash, time.time())
        audit(store, "groupbot", "admin_added", email, "first admin, random password")
    return email, password


def generate_password(email: str) -> str:
    """A random password that passes password_problem."""
    while True:
        password = secrets.token_urlsafe(15)
        if password_problem(password, email) is None:
            return password


def sign_in(store: Store, email: str, password: str, address: str, *, now: float | None = None) -> SignIn:
    """Check a password, throttled per account and address and per address; a token on success.

    A wrong email and a wrong password look the same to the caller (and take as long).
    """
    now = time.time() if now is None else now
    key = (email or "").strip().lower()
    counted_as = throttle_address(address)
    # The attempt is recorded as a failure before the (slow) password check and withdrawn on
    # success: parallel guesses cannot all slip under the limit.
    with store.transaction():
        store.accounts.delete_sign_in_failures_before(now - FAILURE_WINDOW_SECONDS)
        wait = _throttle_wait(store, key, counted_as, now)
        if wait:
            log.warning("sign-in throttled from %s", address)
            return SignIn(retry_after=wait)
        store.accounts.record_sign_in_failure(key, counted_as, now)
    account = store.accounts.get_admin(key)
    stored_hash = account.password_hash if account else _decoy_hash()
    if not check_password_hash(stored_hash, password or "") or account is None:
        log.info("sign-in refused from %s: wrong email or password", address)
        return SignIn()
    admin = Admin(account.id, account.email)
    token = secrets.token_urlsafe(32)
    with store.transaction():
        store.accounts.clear_sign_in_failures_of(key, counted_as)
        store.accounts.delete_expired_sessions(now)
        store.accounts.insert_session(_token_hash(token), admin.id, now, now + SESSION_SECONDS)
        store.accounts.note_sign_in(admin.id, now)
        audit(store, admin.email, "sign_in", admin.email, f"from {address}", now=now)
    return SignIn(admin=admin, token=token)


def session_admin(store: Store, token: str | None, *, now: float | None = None) -> Admin | None:
    """The admin a session token belongs to; None when unknown, ended or expired."""
    if not token:
        return None
    row = store.accounts.session_admin(_token_hash(token), time.time() if now is None else now)
    return Admin(row.id, row.email, row.language) if row else None


def set_language(store: Store, admin: Admin, language: str) -> None:
    """Remember the dashboard language ``admin`` chose; AccountError for one the dashboard does not have."""
    if language not in DASHBOARD_LANGUAGES:
        raise AccountError(f"no dashboard language {language!r}; choose one of {', '.join(DASHBOARD_LANGUAGES)}")
    with store.transaction():
        store.accounts.set_admin_language(admin.id, language)
        audit(store, admin.email, "language_set", admin.email, language)


def end_session(store: Store, token: str | None) -> None:
    """Sign a session out (no error when it had already ended)."""
    if not token:
        return
    with store.transaction():
        admin = session_admin(store, token)
        store.accounts.delete_session(_token_hash(token))
        if admin:
            audit(store, admin.email, "sign_out", admin.email)


def audit(
    store: Store, actor: str, action: str, subject: object, detail: str = "", *, now: float | None = None
) -> None:
    """Append to the audit log; joins the caller's transaction when called inside one.

    ``actor`` is an admin's email (or 'command line', 'groupbot'); ``action`` a short verb
    such as 'approve' or 'sign_in'; ``subject`` what it acted on (an id, an email). Keep
    member text and secrets out of ``detail``: it is shown to every admin and kept.
    """
    at = time.time() if now is None else now
    store.audit.add(at, str(actor), str(action), str(subject), str(detail)[:MAX_DETAIL_CHARS])


def throttle_address(address: str) -> str:
    """The address failures are counted under: an IPv6 address's /64, since one host has them all."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def _throttle_wait(store: Store, email: str, address: str, now: float) -> int:
    """Seconds until another attempt is allowed for this account from this address (0: now)."""
    since = now - FAILURE_WINDOW_SECONDS
    wait = 0.0
    limits = ((store.accounts.sign_in_failures_of(email, address, since), MAX_FAILURES_PER_EMAIL_AND_ADDRESS),
              (store.accounts.sign_in_failures_since("address", address, since), MAX_FAILURES_PER_ADDRESS))
    for failures, limit in limits:
        if len(failures) >= limit:
            wait = max(wait, failures[-limit] + FAILURE_WINDOW_SECONDS - now)
    return int(wait) + 1 if wait > 0 else 0


def _char_class(ch: str) -> str:
    if ch.isdigit():
        return "digit"
    if ch.islower():
        return "lower"
    if ch.isupper():
        return "upper"
    return "other"


def _letters_core(password: str) -> str:
    folded = unicodedata.normalize("NFKD", password.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    middle = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", folded)
    return re.sub(r"[^a-z]", "", middle.translate(_LOOKALIKES))


def _predictable(lowered: str) -> bool:
    """Few distinct characters ("aaaaaaaaaaa1") or a run of digits ("1234567890!@")."""
    digits = re.sub(r"\D", "", lowered)
    runs = "01234567890123456789" + "98765432109876543210"
    return len(set(lowered)) < 5 or (len(digits) >= 8 and digits in runs)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _decoy_hash() -> str:
    """A hash to check unknown emails against, so they take as long as known ones."""
    return generate_password_hash(secrets.token_hex(16))
