-- Timestamps are timestamptz (UTC instants, microsecond precision).
-- Answers are text, not jsonb: jsonb would reorder keys and respace them,
-- and the store must hand back the exact bytes it was given.

CREATE TABLE plans (
	id              text PRIMARY KEY,
	edit_key_hash   bytea NOT NULL,
	latest_revision integer NOT NULL CHECK (latest_revision >= 1),
	created_at      timestamptz NOT NULL,
	revoked_at      timestamptz
);

CREATE TABLE plan_revisions (
	plan_id  text NOT NULL REFERENCES plans (id),
	number   integer NOT NULL CHECK (number >= 1),
	answers  text NOT NULL,
	ruleset  text NOT NULL,
	saved_at timestamptz NOT NULL,
	PRIMARY KEY (plan_id, number)
);

CREATE TABLE drafts (
	id         text PRIMARY KEY,
	data       bytea NOT NULL,
	updated_at timestamptz NOT NULL
);

-- DeleteDraftsBefore scans by age.
CREATE INDEX drafts_updated_at ON drafts (updated_at);
