-- STRICT tables make SQLite enforce the declared types instead of storing
-- whatever it is given. Timestamps are TEXT in UTC, fixed width
-- (2006-01-02T15:04:05.000000Z), so they sort and compare as text.

CREATE TABLE plans (
	id              TEXT PRIMARY KEY,
	edit_key_hash   BLOB NOT NULL,
	latest_revision INTEGER NOT NULL CHECK (latest_revision >= 1),
	created_at      TEXT NOT NULL,
	revoked_at      TEXT
) STRICT;

CREATE TABLE plan_revisions (
	plan_id  TEXT NOT NULL REFERENCES plans (id),
	number   INTEGER NOT NULL CHECK (number >= 1),
	answers  TEXT NOT NULL,
	ruleset  TEXT NOT NULL,
	saved_at TEXT NOT NULL,
	PRIMARY KEY (plan_id, number)
) STRICT;

CREATE TABLE drafts (
	id         TEXT PRIMARY KEY,
	data       BLOB NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;

-- DeleteDraftsBefore scans by age.
CREATE INDEX drafts_updated_at ON drafts (updated_at);
