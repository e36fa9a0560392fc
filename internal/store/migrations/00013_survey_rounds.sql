-- +goose Up
-- A case reopened by a repeat contact closes again, and each closing has
-- its own survey (and, after a low score, its own recovery task): both
-- are keyed by the case and the round, the case's count of closings.
-- A case has at most one open survey: opening a round's survey closes the
-- earlier one ('superseded').
ALTER TABLE surveys ADD COLUMN round integer NOT NULL DEFAULT 1 CHECK (round >= 1);
ALTER TABLE surveys DROP CONSTRAINT surveys_pkey;
ALTER TABLE surveys ADD PRIMARY KEY (case_id, round);
CREATE UNIQUE INDEX surveys_one_open_idx ON surveys (case_id) WHERE status = 'sent';

ALTER TABLE recovery_tasks ADD COLUMN round integer NOT NULL DEFAULT 1 CHECK (round >= 1);
ALTER TABLE recovery_tasks DROP CONSTRAINT recovery_tasks_case_id_key;
ALTER TABLE recovery_tasks ADD CONSTRAINT recovery_tasks_case_round_key UNIQUE (case_id, round);

-- +goose Down
DELETE FROM recovery_tasks WHERE round > 1;
ALTER TABLE recovery_tasks DROP CONSTRAINT recovery_tasks_case_round_key;
ALTER TABLE recovery_tasks ADD CONSTRAINT recovery_tasks_case_id_key UNIQUE (case_id);
ALTER TABLE recovery_tasks DROP COLUMN round;

DELETE FROM surveys WHERE round > 1;
DROP INDEX surveys_one_open_idx;
ALTER TABLE surveys DROP CONSTRAINT surveys_pkey;
ALTER TABLE surveys ADD PRIMARY KEY (case_id);
ALTER TABLE surveys DROP COLUMN round;
