-- Issue 18: a planner may keep a device inventory (names, serial numbers,
-- users: personal data) with a draft or a saved plan. One list per owner,
-- 'plan:<id>' or 'draft:<id>'; data is the web layer's compressed bytes.
-- No foreign key: the owner is a plan or a draft; RevokePlan and the draft
-- deletes erase the lists in their own transactions.
CREATE TABLE device_lists (
	owner    text PRIMARY KEY,
	data     bytea NOT NULL,
	saved_at timestamptz NOT NULL
);
-- The data is compressed already: TOAST need not try again.
ALTER TABLE device_lists ALTER COLUMN data SET STORAGE EXTERNAL;
