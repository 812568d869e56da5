-- Human takeover: what staff said by hand, and the members a person is talking to in Messenger.

-- The Page's own reply under a member's comment, written outside groupbot (the Page inbox, Business Suite,
-- the app): its text and time. The question's suggestion is withdrawn.
ALTER TABLE questions ADD COLUMN staff_reply TEXT;
ALTER TABLE questions ADD COLUMN staff_reply_at REAL;
-- Why a question gets no suggestion whatever it says (written by another Facebook Page, for one).
ALTER TABLE questions ADD COLUMN no_reply_reason TEXT;
-- Names of the people and Pages a comment tags (message_tags): left out when the comment is judged.
ALTER TABLE questions ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';

-- Members a person answers by hand in Messenger (an echo of the Page without groupbot's metadata). Nothing
-- automated goes to them until `until` (the last such echo plus HUMAN_TAKEOVER_HOURS).
CREATE TABLE human_takeovers (
    member_id     TEXT PRIMARY KEY,
    started_at    REAL NOT NULL,
    last_staff_at REAL NOT NULL,
    until         REAL NOT NULL,
    by            TEXT NOT NULL
);

-- A Page post groupbot published and someone later removed from the Page.
ALTER TABLE blog_entries ADD COLUMN page_removed_at REAL;
CREATE INDEX blog_entries_page_post ON blog_entries (page_post_id) WHERE page_post_id IS NOT NULL;
