-- Timestamps are timestamptz; versions and sequence numbers bigint.
--
-- Issue 15: progress, the shared plan as the team's tracker. Stored beside
-- the revisions, not a revision; RevokePlan deletes all of it.
--
-- One header row per plan with recorded progress: its version (bumped by
-- every patch), the revision it was recorded against, and the sequence
-- number of its newest history row.
CREATE TABLE progress (
	plan_id       text PRIMARY KEY REFERENCES plans (id),
	plan_revision integer NOT NULL CHECK (plan_revision >= 1),
	version       bigint NOT NULL CHECK (version >= 1),
	history_seq   bigint NOT NULL CHECK (history_seq >= 0),
	updated_at    timestamptz NOT NULL
);

-- Each task's state; version is the progress version that last recorded it.
CREATE TABLE progress_tasks (
	plan_id    text NOT NULL REFERENCES plans (id),
	task       text NOT NULL,
	status     text NOT NULL,
	note       text NOT NULL,
	changed_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	version    bigint NOT NULL,
	PRIMARY KEY (plan_id, task)
);

-- Devices enrolled so far, per wave and population.
CREATE TABLE progress_enrolled (
	plan_id    text NOT NULL REFERENCES plans (id),
	wave       text NOT NULL,
	population text NOT NULL,
	devices    integer NOT NULL CHECK (devices >= 0),
	changed_by text NOT NULL,
	updated_at timestamptz NOT NULL,
	version    bigint NOT NULL,
	PRIMARY KEY (plan_id, wave, population)
);

-- Who changed what; seq grows per plan, so the newest rows are the highest
-- and the oldest are trimmed by a range delete. task is '' for a count's
-- change, wave and population are '' for a task's.
CREATE TABLE progress_history (
	plan_id    text NOT NULL REFERENCES plans (id),
	seq        bigint NOT NULL,
	changed_at timestamptz NOT NULL,
	changed_by text NOT NULL,
	task       text NOT NULL,
	wave       text NOT NULL,
	population text NOT NULL,
	from_value text NOT NULL,
	to_value   text NOT NULL,
	note       text NOT NULL,
	PRIMARY KEY (plan_id, seq)
);
