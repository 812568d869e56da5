-- Indexes so that what the worker does per question, and every dashboard list, reads a bounded number of rows
-- however many questions are stored.

-- A member's waiting Messenger replies (a new message reopens their 24-hour window).
CREATE INDEX replies_by_recipient ON replies (recipient, status) WHERE channel = 'messenger';
-- The deadline pass: the planner cannot tell that status = 'pending' falls inside replies_open's IN list.
CREATE INDEX replies_pending_deadline ON replies (deadline) WHERE status = 'pending';
-- The queue's Sent and Failed tabs, newest first.
CREATE INDEX replies_sent ON replies (sent_at, id) WHERE status = 'sent';
CREATE INDEX replies_failed ON replies (updated_at, id) WHERE status IN ('failed', 'expired', 'unconfirmed');
-- Replies being sent, and those approved in the last hour (the Pending tab's "Approved recently").
CREATE INDEX replies_by_status ON replies (status, approved_at);
-- The queue's All tab (newest first, ties broken by id) and the statistics (the intent too: no table reads).
CREATE INDEX questions_created ON questions (created_at, id, intent);
-- A Messenger member's last message.
CREATE INDEX questions_messenger_author ON questions (author_id, event_time, created_at) WHERE source = 'messenger';
-- The outbox's failed jobs (Health page).
CREATE INDEX outbox_jobs_failed ON outbox_jobs (coalesce(finished_at, updated_at), id) WHERE status IN ('failed', 'dead');
-- Admin e-mails already queued with a subject (alerts are not repeated).
CREATE INDEX admin_emails_subject ON admin_emails (subject, created_at);
-- `groupbot list questions` and `list replies`: urgent first, then newest first.
CREATE INDEX questions_triage ON questions (urgent, created_at, id);

-- How many rows each tab of the dashboard's queue holds, kept as rows come and go, so that showing the counts
-- on every page costs the same however many questions are stored. Replies count under their status's tab.
CREATE TABLE queue_tab_counts (
    tab  TEXT PRIMARY KEY CHECK (tab IN ('pending', 'sent', 'failed', 'all')),
    rows INTEGER NOT NULL
);
INSERT INTO queue_tab_counts (tab, rows)
    SELECT 'pending', count(*) FROM replies WHERE status = 'pending'
    UNION ALL SELECT 'sent', count(*) FROM replies WHERE status = 'sent'
    UNION ALL SELECT 'failed', count(*) FROM replies WHERE status IN ('failed', 'expired', 'unconfirmed')
    UNION ALL SELECT 'all', count(*) FROM questions;
CREATE TRIGGER queue_tab_counts_question_added AFTER INSERT ON questions BEGIN
    UPDATE queue_tab_counts SET rows = rows + 1 WHERE tab = 'all';
END;
CREATE TRIGGER queue_tab_counts_question_removed AFTER DELETE ON questions BEGIN
    UPDATE queue_tab_counts SET rows = rows - 1 WHERE tab = 'all';
END;
CREATE TRIGGER queue_tab_counts_reply_added AFTER INSERT ON replies BEGIN
    UPDATE queue_tab_counts SET rows = rows + 1
     WHERE tab = CASE WHEN NEW.status IN ('failed', 'expired', 'unconfirmed') THEN 'failed' ELSE NEW.status END;
END;
CREATE TRIGGER queue_tab_counts_reply_moved AFTER UPDATE OF status ON replies WHEN OLD.status != NEW.status BEGIN
    UPDATE queue_tab_counts SET rows = rows - 1
     WHERE tab = CASE WHEN OLD.status IN ('failed', 'expired', 'unconfirmed') THEN 'failed' ELSE OLD.status END;
    UPDATE queue_tab_counts SET rows = rows + 1
     WHERE tab = CASE WHEN NEW.status IN ('failed', 'expired', 'unconfirmed') THEN 'failed' ELSE NEW.status END;
END;
CREATE TRIGGER queue_tab_counts_reply_removed AFTER DELETE ON replies BEGIN
    UPDATE queue_tab_counts SET rows = rows - 1
     WHERE tab = CASE WHEN OLD.status IN ('failed', 'expired', 'unconfirmed') THEN 'failed' ELSE OLD.status END;
END;
