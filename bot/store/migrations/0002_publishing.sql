-- Small named values shared by every process: the sending pause, the rate-limit hold, poll requests.
CREATE TABLE kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL
);

-- Named leases: only the holder may do the leased work until expires_at.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at REAL NOT NULL,
    expires_at  REAL NOT NULL
);

-- One row per feed address: conditional GET validators and how the last polls went.
CREATE TABLE feed_state (
    feed_url           TEXT PRIMARY KEY,
    etag               TEXT,
    last_modified      TEXT,
    initialized        INTEGER NOT NULL DEFAULT 0,
    last_polled_at     REAL,
    last_ok_at         REAL,
    last_status        TEXT,
    last_error         TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    hub_url            TEXT,
    self_url           TEXT
);

-- Durable jobs: a row is kept through its whole life so a crash never loses or repeats work.
CREATE TABLE outbox_jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    dedupe_key       TEXT    NOT NULL UNIQUE,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  REAL    NOT NULL,
    uncertain        INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    result           TEXT,
    lease_holder     TEXT,
    lease_expires_at REAL,
    claimed_at       REAL,
    created_at       REAL    NOT NULL,
    updated_at       REAL    NOT NULL,
    finished_at      REAL
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_jobs_sending ON outbox_jobs (id) WHERE status = 'sending';

-- Blog entries ever seen, the Page post made from each, and the Group draft for the admins.
CREATE TABLE blog_entries (
    id               INTEGER PRIMARY KEY,
    entry_key        TEXT    NOT NULL UNIQUE,
    guid             TEXT,
    link             TEXT    NOT NULL,
    title            TEXT    NOT NULL DEFAULT '',
    published_at     REAL,
    first_seen_at    REAL    NOT NULL,
    page_status      TEXT    NOT NULL
                     CHECK (page_status IN ('seen', 'awaiting_approval', 'queued', 'error')),
    page_message     TEXT,
    page_error       TEXT,
    page_job_id      INTEGER REFERENCES outbox_jobs (id),
    page_post_id     TEXT,
    approved_by      TEXT,
    approved_at      REAL,
    group_status     TEXT    NOT NULL DEFAULT 'none' CHECK (group_status IN ('none', 'draft', 'posted')),
    group_draft      TEXT,
    group_posted_by  TEXT,
    group_posted_url TEXT,
    group_posted_at  REAL
);
CREATE INDEX blog_entries_newest ON blog_entries (first_seen_at DESC, id DESC);

-- WebSub subscriptions to the blog's hub (the secret signs the hub's content pushes).
CREATE TABLE websub_subscriptions (
    id            INTEGER PRIMARY KEY,
    hub_url       TEXT NOT NULL,
    topic         TEXT NOT NULL,
    callback      TEXT NOT NULL,
    secret        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('requested', 'verified', 'denied', 'failed')),
    lease_seconds INTEGER NOT NULL,
    requested_at  REAL NOT NULL,
    verified_at   REAL,
    expires_at    REAL,
    last_error    TEXT,
    UNIQUE (hub_url, topic)
);

-- Dry-run: the Graph calls that would have been sent (never the token).
CREATE TABLE graph_calls (
    id         INTEGER PRIMARY KEY,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    params     TEXT NOT NULL,
    result_id  TEXT,
    created_at REAL NOT NULL
);
