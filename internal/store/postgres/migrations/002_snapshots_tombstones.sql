-- Issue 10 (delete erases) and issue 11 (a revision is a snapshot).
--
-- A revoked plan keeps only a tombstone: its id (never reused), when it was
-- revoked and how many revisions it had. Plans revoked before this version
-- are erased here: their revisions and plan rows are deleted (autovacuum
-- reclaims the dead rows) and revoked_at, now always NULL, is dropped.
CREATE TABLE plan_tombstones (
	id         text PRIMARY KEY,
	revoked_at timestamptz NOT NULL,
	revisions  integer NOT NULL CHECK (revisions >= 1)
);

INSERT INTO plan_tombstones (id, revoked_at, revisions)
	SELECT id, revoked_at, latest_revision FROM plans WHERE revoked_at IS NOT NULL;
DELETE FROM plan_revisions WHERE plan_id IN (SELECT id FROM plan_tombstones);
DELETE FROM plans WHERE id IN (SELECT id FROM plan_tombstones);
ALTER TABLE plans DROP COLUMN revoked_at;

-- The built plan, as the web layer gives it (compressed); NULL for
-- revisions saved before this version, which the web layer rebuilds.
ALTER TABLE plan_revisions ADD COLUMN snapshot bytea;

-- SaveDraft's purge walks drafts newest first with id as the tiebreak.
DROP INDEX drafts_updated_at;
CREATE INDEX drafts_updated_at ON drafts (updated_at, id);
