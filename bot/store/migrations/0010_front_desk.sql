-- The front desk: which member questions wait for a person, and replies written by hand.
-- A question waits while nobody has dealt with it and one of these holds: a suggestion waits for approval, the
-- message asks something and no suggestion fits, a public comment shows personal data (until hidden), or it is
-- urgent. An answer on its way or sent, a rejection, Meta's window closing on a suggestion, an admin's "no reply
-- needed" and the member's removal end the wait, and so do a staff reply under the comment and a withdrawn
-- suggestion (a relabel to "no reply", a person talking to the member). Only a suggestion withdrawn because the
-- member's edit no longer matches the FAQ leaves the message to be judged on its own. Triggers keep `waiting`
-- and its count, so the Pending tab and its count read an index, never every question.
ALTER TABLE questions ADD COLUMN asks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE questions ADD COLUMN due REAL;
ALTER TABLE questions ADD COLUMN dismissed_by TEXT;
ALTER TABLE questions ADD COLUMN dismissed_at REAL;
ALTER TABLE questions ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replies ADD COLUMN origin TEXT NOT NULL DEFAULT 'suggested' CHECK (origin IN ('suggested', 'hand'));

CREATE TABLE front_desk_counts (
    name TEXT PRIMARY KEY CHECK (name IN ('waiting')),
    rows INTEGER NOT NULL
);
INSERT INTO front_desk_counts (name, rows) SELECT 'waiting', count(*) FROM questions WHERE waiting = 1;

-- The Pending tab: urgent first, then the deadline (none last); only waiting questions are in it.
CREATE INDEX questions_waiting ON questions (urgent, due, created_at, id) WHERE waiting = 1;

CREATE TRIGGER front_desk_question_changed
AFTER UPDATE OF status, asks, urgent, flagged, hide_status, dismissed_at, staff_reply ON questions BEGIN
    UPDATE questions SET waiting = CASE
        WHEN status = 'removed' OR dismissed_at IS NOT NULL OR staff_reply IS NOT NULL THEN 0
        ELSE coalesce((SELECT CASE r.status WHEN 'pending' THEN 1 WHEN 'cancelled' THEN CASE WHEN r.error = 'the member edited the message, and it no longer asks something the FAQ answers' THEN NULL ELSE 0 END ELSE 0 END
                         FROM replies r WHERE r.question_id = questions.id),
                      CASE WHEN asks != 0 OR urgent != 0 OR (flagged != 0 AND coalesce(hide_status, '') NOT IN ('queued', 'hidden'))
                           THEN 1 ELSE 0 END)
        END WHERE id = NEW.id;
END;
-- A reply added, moved or removed touches its question (a no-op write of dismissed_at): the trigger above then
-- recomputes `waiting`, so the rule is written once.
CREATE TRIGGER front_desk_reply_added AFTER INSERT ON replies BEGIN
    UPDATE questions SET dismissed_at = dismissed_at WHERE id = NEW.question_id;
END;
CREATE TRIGGER front_desk_reply_moved AFTER UPDATE OF status, error ON replies BEGIN
    UPDATE questions SET dismissed_at = dismissed_at WHERE id = NEW.question_id;
END;
CREATE TRIGGER front_desk_reply_removed AFTER DELETE ON replies BEGIN
    UPDATE questions SET dismissed_at = dismissed_at WHERE id = OLD.question_id;
END;
CREATE TRIGGER front_desk_count_moved AFTER UPDATE OF waiting ON questions WHEN OLD.waiting != NEW.waiting BEGIN
    UPDATE front_desk_counts SET rows = rows + NEW.waiting - OLD.waiting WHERE name = 'waiting';
END;
CREATE TRIGGER front_desk_count_removed AFTER DELETE ON questions WHEN OLD.waiting = 1 BEGIN
    UPDATE front_desk_counts SET rows = rows - 1 WHERE name = 'waiting';
END;
-- The questions already stored get their `waiting` from the same rule (the count follows through its trigger).
UPDATE questions SET dismissed_at = dismissed_at;
