-- Indexes so that what the worker does per question, and every dashboard list, reads a bounded number of rows
-- however many questions are stored.

-- A member's waiting Messenger replies (a new message reopens their 24-hour window).
CREATE INDEX replies_by_recipient ON replies (recipient, status) WHERE channel = 'messenger';
-- The deadline pass: the planner cannot tell that status = 'pending' falls inside replies_open's IN list.
CREATE INDEX replies_pending_deadline ON replies (deadline) WHERE status = 'pending';
-- The queue's Sent and Failed tabs, newest first.
CREATE INDEX replies_sent ON replies (sent_at, id) WHERE status = 'sent';
CREATE INDEX replies_failed ON replies (updated_at, id) WHERE status IN ('failed', 'expired');
-- Replies approved in the last hour (the Pending tab's "recent" list).
CREATE INDEX replies_approved ON replies (approved_at) WHERE approved_at IS NOT NULL;
-- The queue's All tab and the statistics: newest first, ties broken by id.
CREATE INDEX questions_created ON questions (created_at, id);
-- A Messenger member's last message.
CREATE INDEX questions_messenger_author ON questions (author_id, event_time, created_at) WHERE source = 'messenger';
-- The outbox's failed jobs (Health page).
CREATE INDEX outbox_jobs_failed ON outbox_jobs (finished_at, updated_at) WHERE status IN ('failed', 'dead');
-- Admin e-mails already queued with a subject (alerts are not repeated).
CREATE INDEX admin_emails_subject ON admin_emails (subject, created_at);
-- `groupbot list questions` and `list replies`: urgent first, then newest first.
CREATE INDEX questions_triage ON questions (urgent, created_at, id);
