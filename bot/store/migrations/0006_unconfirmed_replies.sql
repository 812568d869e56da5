-- A reply whose send Meta answered ambiguously and that nothing confirmed is 'unconfirmed': shown to an
-- admin, never sent again automatically. SQLite cannot widen a CHECK, so the table is rebuilt.
CREATE TABLE replies_new (
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
                                   'cancelled', 'unconfirmed')),
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
INSERT INTO replies_new SELECT id, question_id, intent, language, channel, recipient, text, automated, edited,
    status, deadline, job_id, approved_by, approved_at, attempted_at, sent_at, message_id, error, created_at,
    updated_at FROM replies;
DROP TABLE replies;
ALTER TABLE replies_new RENAME TO replies;
CREATE INDEX replies_open ON replies (status, deadline) WHERE status IN ('pending', 'approved', 'sending');
CREATE INDEX replies_newest ON replies (created_at DESC, id DESC);
