-- Every admin decision on a member message (approved as suggested, approved after an edit, relabelled) is a
-- labelled example: training learns from it, the FAQ page measures the suggestions by it, and auto-approval is
-- earned by it. A rejection alone says what was wrong, not what was right, so it is not stored here.
-- question_id is kept without a foreign key: retention may purge the question while the label stays useful.
CREATE TABLE learned_examples (
    id          INTEGER PRIMARY KEY,
    question_id INTEGER,
    text        TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    suggested   TEXT,              -- the intent groupbot suggested (NULL: none)
    intent      TEXT,              -- the intent the admin settled on (NULL: no reply is right)
    decision    TEXT    NOT NULL CHECK (decision IN ('approved', 'edited', 'relabelled')),
    decided_by  TEXT,
    decided_at  REAL    NOT NULL
);
CREATE INDEX learned_examples_decided ON learned_examples (decided_at, id);
CREATE INDEX learned_examples_suggested ON learned_examples (suggested, decided_at);
