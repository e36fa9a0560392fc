-- +goose Up
-- deliveries are the outbox's messages on their way out by a channel: one
-- row per notification, channel and address, so the notification key is
-- the dedupe key of a send (a retried activity queues nothing twice). Only
-- email exists now; SMS and chat bots are further channels of the same
-- rows. The tracking page is the channel every customer message is always
-- on (the notifications row), so it needs no row here.
CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    idem_key        text NOT NULL REFERENCES notifications (idem_key),
    -- case_id is empty for an incident's notice to supervisors, which
    -- belongs to no case (as its notifications row).
    case_id         uuid REFERENCES cases (id),
    channel         text NOT NULL CHECK (channel IN ('email')),
    address         text NOT NULL,
    -- message_id is the Message-ID every attempt sends, derived from the
    -- notification key: the evidence a receiver (and a person) can use to
    -- recognise a message sent again after a crash.
    message_id      text NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sending','sent','failed','bounced')),
    attempts        integer NOT NULL DEFAULT 0,
    -- not_before holds a timed follow-up until the daytime of the case's
    -- calendar (SEND_WINDOW); next_attempt_at is the retry's backoff.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (idem_key, channel, address)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ('queued','sending');
CREATE INDEX deliveries_case_idx ON deliveries (case_id, id);

-- delivery_attempts records every attempt: when it started (written
-- before the send), how it ended and the server's reply code. An attempt
-- with no end is one its worker did not live to finish.
CREATE TABLE delivery_attempts (
    delivery_id bigint NOT NULL REFERENCES deliveries (id),
    attempt     integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    result      text CHECK (result IN ('sent','temporary','permanent')),
    code        integer,
    detail      text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);

-- A staff member's email address, where their notifications go; set by an
-- admin (PATCH /v1/staff/{id}) or seeded with the directory.
ALTER TABLE staff ADD COLUMN email text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE staff DROP COLUMN email;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
