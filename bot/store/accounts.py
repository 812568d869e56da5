"""SQL for dashboard accounts: admins, their sessions, sign-in failures."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import Repository


@dataclass(frozen=True)
class AdminAccount:
    """An admin account as listed (never with its password hash)."""

    id: int
    email: str
    created_at: float
    last_sign_in: float | None


@dataclass(frozen=True)
class AdminCredentials:
    """An admin account with its password hash, for checking a sign-in."""

    id: int
    email: str
    password_hash: str
    created_at: float
    last_sign_in: float | None


@dataclass(frozen=True)
class SessionAdmin:
    """The admin a live session belongs to."""

    id: int
    email: str
    language: str | None = None


class Accounts(Repository):
    """Dashboard admins, their sessions and failed sign-ins."""

    # -- admins ---------------------------------------------------------------

    def count_admins(self) -> int:
        """How many admin accounts exist."""
        return self.conn.execute("SELECT count(*) FROM admins").fetchone()[0]

    def get_admin(self, email: str) -> AdminCredentials | None:
        """The admin with this email, with the password hash, or None."""
        row = self.conn.execute(
            "SELECT id, email, password_hash, created_at, last_sign_in FROM admins WHERE email = ?", (email,)
        ).fetchone()
        return AdminCredentials(**dict(row)) if row else None

    def list_admins(self) -> list[AdminAccount]:
        """Every admin (without password hashes), by email."""
        rows = self.conn.execute("SELECT id, email, created_at, last_sign_in FROM admins ORDER BY email").fetchall()
        return [AdminAccount(**dict(row)) for row in rows]

    def insert_admin(self, email: str, password_hash: str, now: float) -> int | None:
        """Create an admin; None when the email is taken."""
        row = self.conn.execute(
            "INSERT INTO admins (email, password_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING id",
            (email, password_hash, now),
        ).fetchone()
        return row[0] if row else None

    def set_admin_password(self, admin_id: int, password_hash: str) -> None:
        """Replace an admin's password hash."""
        self.conn.execute("UPDATE admins SET password_hash = ? WHERE id = ?", (password_hash, admin_id))

    def delete_admin(self, admin_id: int) -> None:
        """Delete an admin and, through the foreign key, their sessions."""
        self.conn.execute("DELETE FROM admins WHERE id = ?", (admin_id,))

    def set_admin_language(self, admin_id: int, language: str | None) -> None:
        """Remember the dashboard language an admin chose (None: follow the browser)."""
        self.conn.execute("UPDATE admins SET language = ? WHERE id = ?", (language, admin_id))

    def note_sign_in(self, admin_id: int, now: float) -> None:
        """Remember when an admin last signed in."""
        self.conn.execute("UPDATE admins SET last_sign_in = ? WHERE id = ?", (now, admin_id))

    # -- sessions -------------------------------------------------------------

    def insert_session(self, token_hash: str, admin_id: int, now: float, expires_at: float) -> None:
        """Store a new session."""
        self.conn.execute(
            "INSERT INTO admin_sessions (token_hash, admin_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, admin_id, now, expires_at),
        )

    def session_admin(self, token_hash: str, now: float) -> SessionAdmin | None:
        """The admin of a live session, or None when unknown or expired."""
        row = self.conn.execute(
            "SELECT admins.id, admins.email, admins.language"
            " FROM admin_sessions JOIN admins ON admins.id = admin_sessions.admin_id"
            " WHERE admin_sessions.token_hash = ? AND admin_sessions.expires_at > ?",
            (token_hash, now),
        ).fetchone()
        return SessionAdmin(**dict(row)) if row else None

    def delete_session(self, token_hash: str) -> None:
        """End one session."""
        self.conn.execute("DELETE FROM admin_sessions WHERE token_hash = ?", (token_hash,))

    def delete_sessions_of(self, admin_id: int) -> int:
        """End every session of an admin; returns how many."""
        return self.conn.execute("DELETE FROM admin_sessions WHERE admin_id = ?", (admin_id,)).rowcount

    def delete_expired_sessions(self, now: float) -> None:
        """Forget sessions past their expiry."""
        self.conn.execute("DELETE FROM admin_sessions WHERE expires_at <= ?", (now,))

    # -- sign-in failures -----------------------------------------------------

    def record_sign_in_failure(self, email: str, address: str, now: float) -> None:
        """Remember one failed sign-in."""
        self.conn.execute(
            "INSERT INTO sign_in_failures (email, address, failed_at) VALUES (?, ?, ?)", (email, address, now)
        )

    def sign_in_failures_since(self, column: str, value: str, since: float) -> list[float]:
        """Times of failures since ``since`` for one email or one address, oldest first."""
        if column not in ("email", "address"):
            raise ValueError(f"unknown column {column!r}")
        rows = self.conn.execute(
            f"SELECT failed_at FROM sign_in_failures WHERE {column} = ? AND failed_at > ? ORDER BY failed_at",
            (value, since),
        ).fetchall()
        return [row[0] for row in rows]

    def sign_in_failures_of(self, email: str, address: str, since: float) -> list[float]:
        """Times of failures since ``since`` for one email from one address, oldest first."""
        rows = self.conn.execute(
            "SELECT failed_at FROM sign_in_failures WHERE email = ? AND address = ? AND failed_at > ?"
            " ORDER BY failed_at",
            (email, address, since),
        ).fetchall()
        return [row[0] for row in rows]

    def clear_sign_in_failures_of(self, email: str, address: str) -> None:
        """Forget an account's failures from one address (after a successful sign-in from it)."""
        self.conn.execute("DELETE FROM sign_in_failures WHERE email = ? AND address = ?", (email, address))

    def clear_sign_in_failures(self, email: str) -> None:
        """Forget an account's failures (after a successful sign-in)."""
        self.conn.execute("DELETE FROM sign_in_failures WHERE email = ?", (email,))

    def delete_sign_in_failures_before(self, before: float) -> None:
        """Forget failures too old to matter."""
        self.conn.execute("DELETE FROM sign_in_failures WHERE failed_at <= ?", (before,))
