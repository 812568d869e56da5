-- Dashboard accounts. Emails are kept lowercased by bot.accounts; NOCASE guards the rest.
CREATE TABLE admins (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    created_at    REAL    NOT NULL,
    last_sign_in  REAL
);

-- Signed-in sessions. The cookie holds a random token; only its SHA-256 is stored, so a
-- copy of the database cannot be used to sign in. Deleting the row signs the session out.
CREATE TABLE admin_sessions (
    token_hash  TEXT    PRIMARY KEY,
    admin_id    INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at  REAL    NOT NULL,
    expires_at  REAL    NOT NULL
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);

-- Failed sign-ins, kept in the database so several web processes throttle together.
CREATE TABLE sign_in_failures (
    id          INTEGER PRIMARY KEY,
    email       TEXT    NOT NULL,
    address     TEXT    NOT NULL,
    failed_at   REAL    NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_address ON sign_in_failures (address, failed_at);

-- Who did what in the dashboard (and from the command line). Never member text or secrets.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          REAL    NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    subject     TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_newest ON audit_log (at DESC, id DESC);
