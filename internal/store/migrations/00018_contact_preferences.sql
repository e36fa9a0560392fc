-- +goose Up
-- contact_preferences holds a customer's choice of channel for the
-- messages of a case (email, sms, or none: the tracking page only), the
-- language of their texts, and whether they want surveys at all. A case
-- without a row gets the default: email when an address is on file,
-- otherwise SMS when a phone is (see store.DefaultChannel). They belong to
-- the case, not to the customer id: the tracking link that sets them
-- proves a case, and a public filing's customer id derives from a contact
-- anyone can type, so customer-wide preferences would let whoever files
-- with your address silence your messages.
CREATE TABLE contact_preferences (
    case_id        uuid PRIMARY KEY REFERENCES cases (id),
    channel        text NOT NULL CHECK (channel IN ('email','sms','none')),
    language       text NOT NULL CHECK (language IN ('zh','en')),
    survey_opt_out boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Deliveries go out by SMS too, and by staff chat bots (another branch);
-- delivered is an SMS delivery receipt's confirmation of a sent message.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email','sms','chat'));
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued','sending','sent','delivered','failed','bounced'));
-- fallback_of is the delivery on another channel whose permanent failure
-- queued this one.
ALTER TABLE deliveries ADD COLUMN fallback_of bigint REFERENCES deliveries (id);

-- provider_ids are the ids the SMS centre gave the attempt's parts (one a
-- segment), by which its delivery receipts find it; receipt is the last
-- receipt's state (DELIVRD, UNDELIV, ...) and when it came.
ALTER TABLE delivery_attempts ADD COLUMN provider_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE delivery_attempts ADD COLUMN receipt text NOT NULL DEFAULT '';
ALTER TABLE delivery_attempts ADD COLUMN receipt_at timestamptz;
CREATE INDEX delivery_attempts_provider_idx ON delivery_attempts USING gin (provider_ids);

-- +goose Down
DROP INDEX delivery_attempts_provider_idx;
ALTER TABLE delivery_attempts DROP COLUMN receipt_at;
ALTER TABLE delivery_attempts DROP COLUMN receipt;
ALTER TABLE delivery_attempts DROP COLUMN provider_ids;
ALTER TABLE deliveries DROP COLUMN fallback_of;
UPDATE deliveries SET status = 'sent' WHERE status = 'delivered';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued','sending','sent','failed','bounced'));
DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE channel <> 'email');
DELETE FROM deliveries WHERE channel <> 'email';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email'));
DROP TABLE contact_preferences;
