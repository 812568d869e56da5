-- Raw webhook bodies, committed before Meta gets its 200; parsed later by the worker.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    received_at REAL    NOT NULL,
    body        BLOB    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'parsed', 'rejected')),
    events      INTEGER,
    skipped     INTEGER,
    error       TEXT,
    parsed_at   REAL
);
CREATE INDEX deliveries_new ON deliveries (id) WHERE status = 'new';

-- One row per Meta event ever handled: Meta redelivers, this makes handling idempotent.
CREATE TABLE events (
    dedupe_key  TEXT PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    kind        TEXT    NOT NULL,
    handled_at  REAL    NOT NULL
);

-- What members asked: Page comments, Group comments, Messenger messages.
CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL CHECK (source IN ('page_comment', 'group_comment', 'messenger')),
    external_id TEXT    NOT NULL UNIQUE,
    author_id   TEXT    NOT NULL,
    author_name TEXT    NOT NULL DEFAULT '',
    text        TEXT    NOT NULL DEFAULT '',
    event_time  REAL    NOT NULL,
    post_id     TEXT,
    parent_id   TEXT,
    group_id    TEXT,
    attachments TEXT    NOT NULL DEFAULT '[]',
    edited      INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL DEFAULT 'new',
    created_at  REAL    NOT NULL,
    updated_at  REAL    NOT NULL
);
CREATE INDEX questions_newest ON questions (created_at DESC);
