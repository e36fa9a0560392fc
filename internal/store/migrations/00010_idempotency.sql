-- +goose Up
-- idempotency_requests remembers, for each Idempotency-Key, the request it
-- was first used with: the key is scoped to its caller (a staff member, or
-- for an anonymous call the customer id) and route, and the scope is kept
-- only as a hash (no customer id or tracking token in plain text). A key
-- sent again with a different request is refused; with the same one the
-- handler returns the earlier result.
CREATE TABLE idempotency_requests (
    scope_key   bytea PRIMARY KEY,
    fingerprint bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Repeat contacts on cases opened before workflow ids were keyed find the
-- open case by its old workflow id.
CREATE INDEX cases_workflow_id_idx ON cases (workflow_id);

-- +goose Down
DROP INDEX cases_workflow_id_idx;
DROP TABLE idempotency_requests;
