-- +goose Up
-- inbound_mails keeps every email the listener accepted, raw, before it
-- answers 250: a crash after the acceptance loses nothing, and processing
-- (routing to a case) happens from this copy, retried until it is done.
-- A mail delivered twice (an MTA retrying after a lost answer) is one row:
-- dedupe_key is its Message-ID, or a digest of its bytes when it has none.
CREATE TABLE inbound_mails (
    id              bigserial PRIMARY KEY,
    dedupe_key      text NOT NULL UNIQUE,
    -- message_id is the Message-ID without angle brackets ('' when absent):
    -- later replies refer to it.
    message_id      text NOT NULL DEFAULT '',
    -- mail_from is the envelope's reverse path ('' for the null path <>).
    mail_from       text NOT NULL DEFAULT '',
    rcpt_to         text[] NOT NULL DEFAULT '{}',
    raw             bytea NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- received until processed; failed when the retries ran out.
    status          text NOT NULL DEFAULT 'received' CHECK (status IN ('received','processed','failed')),
    -- outcome is what processing did: opened, reply, info_answer, repeat,
    -- ignored_auto, bounce, rejected.
    outcome         text NOT NULL DEFAULT '',
    case_id         uuid REFERENCES cases (id),
    -- from_address, subject and body are the parsed sender, subject and
    -- own text (without the quoted conversation), written when processed:
    -- what a reply added to its case says, readable without the parser.
    from_address    text NOT NULL DEFAULT '',
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL DEFAULT '',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text NOT NULL DEFAULT '',
    processed_at    timestamptz
);
CREATE INDEX inbound_mails_due_idx ON inbound_mails (next_attempt_at) WHERE status = 'received';
CREATE INDEX inbound_mails_message_idx ON inbound_mails (message_id) WHERE case_id IS NOT NULL;
CREATE INDEX inbound_mails_case_idx ON inbound_mails (case_id, id) WHERE case_id IS NOT NULL;
-- Replies are matched to the messages we sent by their Message-ID.
CREATE INDEX deliveries_message_idx ON deliveries (message_id);

-- +goose Down
DROP INDEX deliveries_message_idx;
DROP TABLE inbound_mails;
