-- Issue 18: a planner may keep a device inventory (names, serial numbers,
-- users: personal data) with a draft or a saved plan. One list per owner,
-- 'plan:<id>' or 'draft:<id>'; data is the web layer's compressed bytes.
-- No foreign key: the owner is a plan or a draft; RevokePlan and the draft
-- deletes erase the lists in their own transactions.
CREATE TABLE device_lists (
	owner    TEXT PRIMARY KEY,
	data     BLOB NOT NULL,
	saved_at TEXT NOT NULL
) STRICT;
