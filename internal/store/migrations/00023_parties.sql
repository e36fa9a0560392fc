-- +goose Up
-- case_parties are the people around a case (seed 000's key persons): the
-- people who influence the customer (a relative, a friend, a
-- representative, a lawyer) with their relation and whether the customer
-- authorised them to act, and inside the company the first receiver, the
-- handlers and the person with the authority to decide. The case's
-- workflow writes each change with its audit event, in one transaction
-- (ApplyChange); no is the party's number within its case, given by the
-- workflow. A removed party keeps its row (removed_at), as the audit trail
-- names it. Name, phone and email of an outside party are personal data.
CREATE TABLE case_parties (
    case_id     uuid NOT NULL REFERENCES cases (id),
    no          integer NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('relative','friend','representative','lawyer','first_receiver','handler','decider')),
    name        text NOT NULL DEFAULT '',
    relation    text NOT NULL DEFAULT '',
    authorised  boolean NOT NULL DEFAULT false,
    phone       text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    staff_id    text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    removed_at  timestamptz,
    PRIMARY KEY (case_id, no)
);
CREATE INDEX case_parties_receiver_idx ON case_parties (staff_id, kind) WHERE removed_at IS NULL AND staff_id <> '';

-- merged_into links a merged case (status 'merged') to the case it
-- continues as: the merged case's contacts, messages, audit events and
-- attachments stay under its own id, and are read with the continuing
-- case's through this column (a case merged into one that is merged in
-- turn is followed to the end).
ALTER TABLE cases ADD COLUMN merged_into uuid REFERENCES cases (id);
CREATE INDEX cases_merged_into_idx ON cases (merged_into) WHERE merged_into IS NOT NULL;

-- +goose Down
DROP INDEX cases_merged_into_idx;
ALTER TABLE cases DROP COLUMN merged_into;
DROP TABLE case_parties;
