-- +goose Up
-- Fulfilments are the remedies that move no money (workflows.RemedyKinds
-- decides which: replacement and repair are goods or work to deliver,
-- apology and explanation are recorded done; refund, voucher and goodwill
-- are money, in the ledger). From VersionRemedies on, staff move a
-- replacement or repair from ordered through shipped to done or failed.
ALTER TABLE fulfilments DROP CONSTRAINT fulfilments_status_check;
ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_status_check
    CHECK (status IN ('ordered','shipped','done','failed','undone'));
ALTER TABLE fulfilments ADD COLUMN note text;
ALTER TABLE fulfilments ADD COLUMN updated_by text;
CREATE INDEX fulfilments_case_idx ON fulfilments (case_id);
COMMENT ON TABLE fulfilments IS 'Remedies that move no money (workflows.RemedyKinds): replacement and repair (ordered, shipped, done, failed), apology and explanation (done); undone when the saga reverses them. Refunds, vouchers and goodwill payments are money, in ledger.';

-- A remedy whose reversal failed for good flags its case: a person must
-- undo it by hand.
ALTER TABLE cases ADD COLUMN reversal_failed boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE cases DROP COLUMN reversal_failed;
COMMENT ON TABLE fulfilments IS NULL;
DROP INDEX fulfilments_case_idx;
ALTER TABLE fulfilments DROP COLUMN updated_by;
ALTER TABLE fulfilments DROP COLUMN note;
UPDATE fulfilments SET status = 'done' WHERE status IN ('ordered','shipped');
UPDATE fulfilments SET status = 'undone' WHERE status = 'failed';
ALTER TABLE fulfilments DROP CONSTRAINT fulfilments_status_check;
ALTER TABLE fulfilments ADD CONSTRAINT fulfilments_status_check CHECK (status IN ('done','undone'));
