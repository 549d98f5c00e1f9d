-- Issue 15: progress, the shared plan as the team's tracker. Stored beside
-- the revisions, not a revision; RevokePlan deletes all of it.
--
-- One header row per plan with recorded progress: its version (bumped by
-- every patch), the revision it was recorded against, and the sequence
-- number of its newest history row.
CREATE TABLE progress (
	plan_id       TEXT PRIMARY KEY REFERENCES plans (id),
	plan_revision INTEGER NOT NULL CHECK (plan_revision >= 1),
	version       INTEGER NOT NULL CHECK (version >= 1),
	history_seq   INTEGER NOT NULL CHECK (history_seq >= 0),
	updated_at    TEXT NOT NULL
) STRICT;

-- Each task's state; version is the progress version that last recorded it.
CREATE TABLE progress_tasks (
	plan_id    TEXT NOT NULL REFERENCES plans (id),
	task       TEXT NOT NULL,
	status     TEXT NOT NULL,
	note       TEXT NOT NULL,
	changed_by TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version    INTEGER NOT NULL,
	PRIMARY KEY (plan_id, task)
) STRICT;

-- Devices enrolled so far, per wave and population.
CREATE TABLE progress_enrolled (
	plan_id    TEXT NOT NULL REFERENCES plans (id),
	wave       TEXT NOT NULL,
	population TEXT NOT NULL,
	devices    INTEGER NOT NULL CHECK (devices >= 0),
	changed_by TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version    INTEGER NOT NULL,
	PRIMARY KEY (plan_id, wave, population)
) STRICT;

-- Who changed what; seq grows per plan, so the newest rows are the highest
-- and the oldest are trimmed by a range delete. task is '' for a count's
-- change, wave and population are '' for a task's.
CREATE TABLE progress_history (
	plan_id    TEXT NOT NULL REFERENCES plans (id),
	seq        INTEGER NOT NULL,
	changed_at TEXT NOT NULL,
	changed_by TEXT NOT NULL,
	task       TEXT NOT NULL,
	wave       TEXT NOT NULL,
	population TEXT NOT NULL,
	from_value TEXT NOT NULL,
	to_value   TEXT NOT NULL,
	note       TEXT NOT NULL,
	PRIMARY KEY (plan_id, seq)
) STRICT;
