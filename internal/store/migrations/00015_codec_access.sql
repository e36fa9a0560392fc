-- +goose Up
-- Engineers read workflows' payloads in the Temporal Web UI through the
-- API's codec endpoint (POST /codec/decode). Every decode (and encode) is recorded
-- here: who asked, for which namespace and workflow (when the caller names
-- it, or the case the payloads belong to), when, and how many payloads.
-- The application only appends to it; nothing reads it back but people.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check
    CHECK (role IN ('agent','supervisor','manager','director','admin','auditor','engineer'));

CREATE TABLE codec_access (
    id          bigserial PRIMARY KEY,
    staff_id    text NOT NULL,
    role        text NOT NULL,
    op          text NOT NULL CHECK (op IN ('decode','encode')),
    namespace   text NOT NULL,
    workflow_id text,
    case_id     text,
    payloads    integer NOT NULL CHECK (payloads >= 0),
    masked      boolean NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX codec_access_at_idx ON codec_access (at);
CREATE INDEX codec_access_staff_idx ON codec_access (staff_id, at);
-- Append-only for the application, like the audit trail.
REVOKE UPDATE, DELETE ON codec_access FROM complaints_app;
COMMENT ON TABLE codec_access IS 'Each decode of Temporal payloads through the codec endpoint: who, which workflow or case, when, how many payloads, masked or not.';

-- +goose Down
DROP TABLE codec_access;
UPDATE staff SET role = 'auditor', active = false WHERE role = 'engineer';
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check
    CHECK (role IN ('agent','supervisor','manager','director','admin','auditor'));
