-- +goose Up
-- team_channels are the chat bots a team's staff notifications are posted
-- to (WeCom and DingTalk group robots, Feishu/Lark bots, Slack incoming
-- webhooks), configured by an admin. The webhook URL and the signing
-- secret are sealed (AES-256-GCM under the payload keys) before they reach
-- the database; hint is a masked form staff may see.
CREATE TABLE team_channels (
    id         bigserial PRIMARY KEY,
    team_id    text NOT NULL REFERENCES teams (id),
    kind       text NOT NULL CHECK (kind IN ('wecom','dingtalk','feishu','slack')),
    name       text NOT NULL,
    sealed     bytea NOT NULL,
    hint       text NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX team_channels_team_idx ON team_channels (team_id) WHERE deleted_at IS NULL;

-- team_channel_changes is the audit trail of the channels: who created,
-- changed or deleted which, and which fields (never a secret). The
-- application may only read and append to it.
CREATE TABLE team_channel_changes (
    id         bigserial PRIMARY KEY,
    channel_id bigint NOT NULL REFERENCES team_channels (id),
    team_id    text NOT NULL,
    action     text NOT NULL CHECK (action IN ('created','changed','deleted')),
    actor      text NOT NULL,
    fields     text[] NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now()
);
REVOKE UPDATE, DELETE, TRUNCATE ON team_channel_changes FROM complaints_app;

-- notification_reads is each staff member's read state of the staff
-- notifications addressed to them (or to their role in their team).
CREATE TABLE notification_reads (
    notification_id bigint NOT NULL REFERENCES notifications (id),
    staff_id        text NOT NULL,
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, notification_id)
);
CREATE INDEX notifications_recipient_idx ON notifications (recipient, id) WHERE audience = 'staff';

-- A chat delivery's address is the team channel's id. The list of
-- channels is the one every branch agrees on (email, sms, chat).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email','sms','chat'));

-- +goose Down
DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE channel = 'chat');
DELETE FROM deliveries WHERE channel = 'chat';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email','sms'));
DROP INDEX notifications_recipient_idx;
DROP TABLE notification_reads;
DROP TABLE team_channel_changes;
DROP TABLE team_channels;
