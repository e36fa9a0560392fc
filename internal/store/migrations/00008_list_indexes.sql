-- +goose Up
-- Two staff lists that sorted or filtered without an index of their own
-- (measured through the API at 1,000,000 case rows with about 280,000
-- open: the priority-sorted approvals list 261 ms at p99, the
-- needs-attention inbox 160 ms; BENCHMARKS.md).
CREATE INDEX cases_status_priority_idx ON cases (status, priority, created_at DESC, id DESC);
CREATE INDEX cases_attention_idx ON cases (created_at DESC, id DESC)
    WHERE (at_risk OR breached) AND status NOT IN ('closed', 'withdrawn');

-- +goose Down
DROP INDEX cases_attention_idx;
DROP INDEX cases_status_priority_idx;
