-- +goose Up
-- Teams and staff: staff rows are created from verified token claims on a
-- member's first authenticated request and managed by admins.
CREATE TABLE teams (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    supervisor_id text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
    id         text PRIMARY KEY,            -- the token's sub
    name       text NOT NULL DEFAULT '',
    role       text NOT NULL CHECK (role IN ('agent','supervisor','manager','director','admin','auditor')),
    team_id    text REFERENCES teams(id),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_team_idx ON staff (team_id) WHERE active;

-- Which team takes which category is configuration, kept here.
CREATE TABLE category_teams (
    category text PRIMARY KEY,
    team_id  text NOT NULL REFERENCES teams(id)
);

INSERT INTO teams (id, name) VALUES
    ('quality',  'Product quality'),
    ('service',  'Customer service'),
    ('delivery', 'Logistics and delivery'),
    ('billing',  'Billing and payments'),
    ('safety',   'Safety response'),
    ('general',  'General complaints');
INSERT INTO category_teams (category, team_id) VALUES
    ('product_quality', 'quality'),
    ('service_attitude', 'service'),
    ('delivery_delay', 'delivery'),
    ('billing', 'billing'),
    ('safety', 'safety'),
    ('other', 'general');

CREATE SEQUENCE case_number_seq;

-- cases holds the current state of each complaint for lists and reports;
-- the workflow is the source of truth for one case's progress.
CREATE TABLE cases (
    id                  uuid PRIMARY KEY,
    case_number         text NOT NULL UNIQUE,
    workflow_id         text NOT NULL,
    first_run_id        text NOT NULL DEFAULT '',
    tracking_token_hash bytea NOT NULL UNIQUE,
    customer_id         text NOT NULL,
    customer_name       text NOT NULL DEFAULT '',
    customer_phone      text NOT NULL DEFAULT '',
    customer_email      text NOT NULL DEFAULT '',
    channel             text NOT NULL,
    subject             text NOT NULL,
    description         text NOT NULL,
    desired_remedy      text NOT NULL DEFAULT '',
    order_ref           text NOT NULL DEFAULT '',
    product             text NOT NULL DEFAULT '',
    region              text NOT NULL DEFAULT '',
    branch              text NOT NULL DEFAULT '',
    language            text NOT NULL DEFAULT 'zh',
    profile             text NOT NULL DEFAULT 'default',
    category            text NOT NULL DEFAULT 'other',
    severity            text NOT NULL DEFAULT 'low',
    priority            integer NOT NULL DEFAULT 3,
    status              text NOT NULL,
    survey_status       text,
    assignee_id         text,
    team_id             text,
    level               text NOT NULL DEFAULT 'agent',
    appeal_count        integer NOT NULL DEFAULT 0,
    repeat_count        integer NOT NULL DEFAULT 0,
    transfer_count      integer NOT NULL DEFAULT 0,
    breached            boolean NOT NULL DEFAULT false,
    at_risk             boolean NOT NULL DEFAULT false,
    received_at         timestamptz NOT NULL,
    ack_due_at          timestamptz,
    resolve_due_at      timestamptz,
    acknowledged_at     timestamptz,
    resolved_at         timestamptz,
    closed_at           timestamptz,
    cause               text,
    cause_detail        text,
    responsibility      text,
    compensation_minor  bigint NOT NULL DEFAULT 0,
    outcome             text,
    survey_score        integer,
    -- last_seq is the audit sequence number of the change the row reflects.
    last_seq            integer NOT NULL DEFAULT 2,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_status_idx ON cases (status, created_at DESC, id);
CREATE INDEX cases_assignee_idx ON cases (assignee_id, created_at DESC, id);
CREATE INDEX cases_team_idx ON cases (team_id, created_at DESC, id);
CREATE INDEX cases_created_idx ON cases (created_at DESC, id);
CREATE INDEX cases_customer_idx ON cases (customer_id, order_ref);

-- case_events is the audit trail: append-only, one row per transition,
-- decision, notification and payment, keyed so a retried activity cannot
-- write an event twice.
CREATE TABLE case_events (
    id        bigserial PRIMARY KEY,
    case_id   uuid NOT NULL REFERENCES cases(id),
    seq       integer NOT NULL,
    type      text NOT NULL,
    actor     text NOT NULL,
    at        timestamptz NOT NULL,
    payload   jsonb NOT NULL DEFAULT '{}',
    UNIQUE (case_id, seq)
);

-- +goose StatementBegin
CREATE FUNCTION case_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER case_events_no_update BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

-- notifications is the outbox: every message to a customer or to staff.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    case_id    uuid NOT NULL REFERENCES cases(id),
    idem_key   text NOT NULL UNIQUE,
    audience   text NOT NULL,             -- customer, staff
    recipient  text NOT NULL DEFAULT '',  -- a staff id; empty for the customer
    kind       text NOT NULL,
    language   text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    status     text NOT NULL DEFAULT 'queued',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX notifications_case_idx ON notifications (case_id, id);

-- ledger is the default Payments implementation: one row per money
-- movement, its idempotency key unique so a retry never pays twice.
CREATE TABLE ledger (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    case_id         uuid NOT NULL REFERENCES cases(id),
    remedy_id       text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('payout','reversal')),
    remedy_type     text NOT NULL,
    amount_minor    bigint NOT NULL CHECK (amount_minor >= 0),
    currency        text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_case_idx ON ledger (case_id);

-- fulfilments records non-money remedies (replacement, repair, apology,
-- explanation: see 00014 and workflows.RemedyKinds) executed once each.
CREATE TABLE fulfilments (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    case_id         uuid NOT NULL REFERENCES cases(id),
    remedy_id       text NOT NULL,
    remedy_type     text NOT NULL,
    status          text NOT NULL CHECK (status IN ('done','undone')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE idempotency_keys (
    key        text PRIMARY KEY,
    case_id    uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE surveys (
    case_id     uuid PRIMARY KEY REFERENCES cases(id),
    token_hash  bytea NOT NULL UNIQUE,
    status      text NOT NULL,
    score       integer CHECK (score BETWEEN 1 AND 5),
    comment     text,
    sent_at     timestamptz,
    answered_at timestamptz
);

CREATE TABLE recovery_tasks (
    id          bigserial PRIMARY KEY,
    case_id     uuid NOT NULL UNIQUE REFERENCES cases(id),
    assignee_id text,
    team_id     text,
    reason      text NOT NULL,
    status      text NOT NULL DEFAULT 'open',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE recovery_tasks;
DROP TABLE surveys;
DROP TABLE idempotency_keys;
DROP TABLE fulfilments;
DROP TABLE ledger;
DROP TABLE notifications;
DROP TRIGGER case_events_no_update ON case_events;
DROP TABLE case_events;
DROP FUNCTION case_events_append_only();
DROP TABLE cases;
DROP SEQUENCE case_number_seq;
DROP TABLE category_teams;
DROP TABLE staff;
DROP TABLE teams;
