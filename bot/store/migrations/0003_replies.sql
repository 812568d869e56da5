-- What the worker made of each question: the FAQ intent, the language, personal data found
-- (a JSON list of kinds, never the data), urgency, and whether a public comment must be flagged.
ALTER TABLE questions ADD COLUMN intent TEXT;
ALTER TABLE questions ADD COLUMN language TEXT;
ALTER TABLE questions ADD COLUMN confidence REAL;
ALTER TABLE questions ADD COLUMN pii TEXT NOT NULL DEFAULT '[]';
ALTER TABLE questions ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE questions ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE questions ADD COLUMN classified_at REAL;
ALTER TABLE questions ADD COLUMN alerted_at REAL;
ALTER TABLE questions ADD COLUMN hide_status TEXT;
ALTER TABLE questions ADD COLUMN purged_at REAL;
CREATE INDEX questions_unclassified ON questions (id) WHERE classified_at IS NULL;
CREATE INDEX questions_by_author ON questions (author_id, event_time);

-- One reply per question (so per comment, per message): the suggestion, its approval and its sending.
CREATE TABLE replies (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL UNIQUE REFERENCES questions (id),
    intent       TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    channel      TEXT    NOT NULL CHECK (channel IN ('private_reply', 'comment_reply', 'messenger')),
    recipient    TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    automated    INTEGER NOT NULL DEFAULT 0,
    edited       INTEGER NOT NULL DEFAULT 0,
    status       TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'sending', 'sent', 'failed', 'expired', 'rejected',
                                   'cancelled')),
    deadline     REAL,
    job_id       INTEGER REFERENCES outbox_jobs (id),
    approved_by  TEXT,
    approved_at  REAL,
    attempted_at REAL,
    sent_at      REAL,
    message_id   TEXT,
    error        TEXT,
    created_at   REAL    NOT NULL,
    updated_at   REAL    NOT NULL
);
CREATE INDEX replies_open ON replies (status, deadline) WHERE status IN ('pending', 'approved', 'sending');
CREATE INDEX replies_newest ON replies (created_at DESC, id DESC);

-- What the Page itself was seen saying (Messenger echoes carrying our metadata, the Page's comments
-- under a member's comment): settles sends whose outcome was unknown.
CREATE TABLE page_echoes (
    echo_key    TEXT PRIMARY KEY,
    external_id TEXT NOT NULL,
    seen_at     REAL NOT NULL
);

-- Alerts e-mailed to ADMIN_EMAILS by the worker (urgent questions, sending paused, webhooks lost).
CREATE TABLE admin_emails (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT UNIQUE,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL    NOT NULL,
    last_error      TEXT,
    created_at      REAL    NOT NULL,
    sent_at         REAL
);
CREATE INDEX admin_emails_due ON admin_emails (next_attempt_at) WHERE status = 'pending'
