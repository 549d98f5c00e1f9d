-- Issue 16: Save & share of one draft makes one plan, across replicas too.
-- A plan made from a wizard draft records the draft's id; the unique index
-- lets only one live plan have it (NULLs, plans made through the API, are
-- all distinct). Revoking the plan deletes its row, freeing the draft id.
ALTER TABLE plans ADD COLUMN draft_id TEXT;
CREATE UNIQUE INDEX plans_draft_id ON plans (draft_id);
