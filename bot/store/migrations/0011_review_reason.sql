-- Why a suggestion of an auto-approved intent waits for an admin instead of going out by itself (its confidence,
-- or too few or too poor decisions on that intent lately), shown in the queue and in `list replies`.
ALTER TABLE replies ADD COLUMN review_reason TEXT;
-- The auto-approve gate counts an intent's rejected suggestions over the last 90 days.
CREATE INDEX replies_rejected ON replies (intent, updated_at) WHERE status = 'rejected';
-- An admin's earlier decision on the same question (a second relabel replaces the first).
CREATE INDEX learned_examples_question ON learned_examples (question_id);
