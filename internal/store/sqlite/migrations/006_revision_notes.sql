-- Issue 18: each revision may carry a one-line change note and the name
-- of who saved it. Revisions saved before have neither: ''.
-- (saved_by, as BY is an SQL keyword.)
ALTER TABLE plan_revisions ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_revisions ADD COLUMN saved_by TEXT NOT NULL DEFAULT '';
