-- +goose Up
-- The ledger records each payment and reversal once (by its idempotency
-- key); the application only appends to it and reads it. Like the audit
-- trail, the application's role may no longer change or delete its rows,
-- so a compromised application cannot hide a payment it made.
REVOKE UPDATE, DELETE ON ledger FROM complaints_app;

-- +goose Down
GRANT UPDATE, DELETE ON ledger TO complaints_app;
