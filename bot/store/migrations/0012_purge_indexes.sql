-- The daily retention purge reads only rows that still hold member text: each statement of the purge seeks in a
-- partial index of the rows it may still blank, instead of rereading every old row it blanked on earlier days.
-- Each index's condition is the purge statement's own (bot/store/retention.py), so the planner can use it.
CREATE INDEX questions_unpurged ON questions (created_at) WHERE purged_at IS NULL;
CREATE INDEX replies_unpurged ON replies (created_at)
    WHERE text != '' AND status NOT IN ('pending', 'approved', 'sending');
CREATE INDEX deliveries_unpurged ON deliveries (received_at) WHERE status != 'new' AND length(body) > 0;
CREATE INDEX outbox_jobs_unpurged ON outbox_jobs (created_at)
    WHERE kind IN ('private_reply', 'comment_reply', 'messenger_reply') AND status IN ('sent', 'failed', 'dead')
    AND json_extract(payload, '$.text') IS NOT NULL;
CREATE INDEX admin_emails_unpurged ON admin_emails (created_at) WHERE status != 'pending' AND body != '';
CREATE INDEX human_takeovers_until ON human_takeovers (until);
