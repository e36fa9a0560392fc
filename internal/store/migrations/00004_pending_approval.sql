-- +goose Up
-- What a case awaiting approval asks for (total, remedies, proposer, who
-- has approved already), so the console's "awaiting my approval" inbox is
-- one query that shows only what the reader may sign; and the survey
-- score's index for the "recently closed, low score" inbox.
ALTER TABLE cases ADD COLUMN pending_approval jsonb;
CREATE INDEX cases_low_score_idx ON cases (closed_at DESC, id) WHERE survey_score IS NOT NULL;

-- +goose Down
DROP INDEX cases_low_score_idx;
ALTER TABLE cases DROP COLUMN pending_approval;
