package store

import (
	"context"
	"fmt"
	"time"
)

// SeedSyntheticCases inserts n case rows, numbered SEED-<first+1> on
// (so it can be called again to grow the set), spread over the twelve months
// before now with SQL (not through workflows), with realistic spreads of
// category, channel, region, branch, team, handler, severity, times,
// outcomes and scores, and a repeat-contact event for one case in twenty.
// It is for measuring reports at scale (the benchmarks), never for a
// system in service: the rows have no workflows behind them.
func (s *Store) SeedSyntheticCases(ctx context.Context, first, n int, now time.Time) error {
	if _, err := s.Pool.Exec(ctx, `INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id, customer_name, channel, subject, description,
    product, region, branch, category, severity, priority, status, team_id, assignee_id, profile, received_at, acknowledged_at,
    resolved_at, closed_at, breached, responsibility, cause, cause_detail, compensation_minor, survey_score, appeal_count,
    repeat_count, transfer_count, created_at)
SELECT gen_random_uuid(), 'SEED-' || g, 'seed:' || g, convert_to('seed' || g, 'UTF8'), 'cust-' || (g % 400000), 'Seed',
    (ARRAY['web','phone','email','social','store','post','regulator'])[1 + g % 7], 's', 'd',
    'product-' || (g % 40), 'region-' || (g % 31), 'BR-' || (g % 60),
    (ARRAY['billing','product_quality','delivery_delay','service_attitude','safety','other'])[1 + g % 6],
    (ARRAY['low','medium','medium','high','critical'])[1 + g % 5], 1 + g % 4,
    CASE WHEN g % 10 < 8 THEN 'closed' ELSE (ARRAY['acknowledged','investigating','awaiting_approval'])[1 + g % 3] END,
    (ARRAY['billing','quality','delivery','service','safety','general'])[1 + g % 6], 'handler-' || (g % 300), 'default',
    r, r + ((g % 86400) || ' seconds')::interval,
    CASE WHEN g % 10 < 8 THEN r + ((1 + g % 9) || ' days')::interval END,
    CASE WHEN g % 10 < 8 THEN r + ((2 + g % 9) || ' days')::interval END,
    g % 17 = 0, (ARRAY['company','customer','third_party'])[1 + g % 3], 'cause-' || (g % 25), 'cause-' || (g % 25) || '.d' || (g % 4),
    CASE WHEN g % 3 = 0 THEN (g % 50000) ELSE 0 END, CASE WHEN g % 10 < 5 THEN 1 + g % 5 END, (g % 23 = 0)::int,
    (g % 20 = 0)::int, (g % 9 = 0)::int, r
FROM (SELECT g, $3::timestamptz - ((((g::bigint * 7919) % 1000003)::float8 / 1000003) * interval '365 days') AS r
    FROM generate_series($1::bigint + 1, $1::bigint + $2::bigint) g) s`, first, n, now); err != nil {
		return fmt.Errorf("store.SeedSyntheticCases: %w", err)
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload)
SELECT id, 11, 'repeat_contact', 'customer', received_at, jsonb_build_object('reopened', random() < 0.3)
FROM cases WHERE repeat_count > 0 AND case_number LIKE 'SEED-%' AND substr(case_number, 6)::bigint > $1`, first); err != nil {
		return fmt.Errorf("store.SeedSyntheticCases: events: %w", err)
	}
	if _, err := s.Pool.Exec(ctx, `ANALYZE cases; ANALYZE case_events`); err != nil {
		return fmt.Errorf("store.SeedSyntheticCases: analyze: %w", err)
	}
	return nil
}
