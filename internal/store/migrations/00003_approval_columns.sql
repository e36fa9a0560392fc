-- +goose Up
-- What a case awaiting approval waits for, and since when: the approvals
-- backlog and its age by level, for the console and the metrics.
ALTER TABLE cases ADD COLUMN approval_role text, ADD COLUMN approval_since timestamptz;
CREATE INDEX cases_open_idx ON cases (status, profile, category) WHERE status NOT IN ('closed', 'withdrawn');

-- +goose Down
DROP INDEX cases_open_idx;
ALTER TABLE cases DROP COLUMN approval_role, DROP COLUMN approval_since;
