-- +goose Up
-- Systemic issues: an incident is opened when many complaints about the
-- same category, cause, product or region arrive within a window beyond the
-- usual rate (workflows.Spikes). It links those complaints and the later
-- ones that match while it is open; staff post updates that reach every
-- linked customer once.
CREATE SEQUENCE incident_number_seq;
CREATE TABLE incidents (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number        text NOT NULL UNIQUE,
    dimension     text NOT NULL,
    value         text NOT NULL,
    status        text NOT NULL DEFAULT 'open',
    opened_at     timestamptz NOT NULL,
    window_start  timestamptz NOT NULL,
    recent_count  integer NOT NULL,
    expected      double precision NOT NULL,
    closed_at     timestamptz,
    closed_by     text,
    close_note    text,
    -- One resolution for every linked case: proposed by one member of
    -- staff, approved by another with the authority, then applied to each
    -- case through its own workflow (resolution_result says how each went).
    resolution        jsonb,
    resolution_status text,
    resolution_by     text,
    resolution_result jsonb
);
-- One open incident per dimension and value: opening is idempotent.
CREATE UNIQUE INDEX incidents_open_key ON incidents (dimension, value) WHERE status = 'open';

CREATE TABLE incident_cases (
    incident_id uuid NOT NULL REFERENCES incidents(id),
    case_id     uuid NOT NULL REFERENCES cases(id),
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, case_id)
);
CREATE INDEX incident_cases_case_idx ON incident_cases (case_id);

CREATE TABLE incident_updates (
    id          bigserial PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES incidents(id),
    idem_key    text NOT NULL UNIQUE,
    message     text NOT NULL,
    posted_by   text NOT NULL,
    posted_at   timestamptz NOT NULL DEFAULT now()
);

-- An incident's notice to the supervisors belongs to no case.
ALTER TABLE notifications ALTER COLUMN case_id DROP NOT NULL,
    ADD COLUMN incident_id uuid REFERENCES incidents(id);

-- +goose Down
ALTER TABLE notifications DROP COLUMN incident_id;
DELETE FROM notifications WHERE case_id IS NULL;
ALTER TABLE notifications ALTER COLUMN case_id SET NOT NULL;
DROP TABLE incident_updates;
DROP TABLE incident_cases;
DROP TABLE incidents;
DROP SEQUENCE incident_number_seq;
