package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
)

// seedCases inserts n case rows spread over the twelve months before now
// with SQL (not through workflows), with realistic spreads of category,
// channel, region, branch, team, handler, severity, times, outcomes and
// scores, and a repeat-contact event for one case in twenty.
func seedCases(b testing.TB, st *store.Store, n int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	_, err := st.Pool.Exec(ctx, `
INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id, customer_name, channel, subject, description,
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
FROM (SELECT g, $2::timestamptz - ((g::float8 / $1) * interval '365 days') AS r FROM generate_series(1, $1) g) s`, n, now)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload)
SELECT id, 11, 'repeat_contact', 'customer', received_at, jsonb_build_object('reopened', random() < 0.3)
FROM cases WHERE repeat_count > 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `ANALYZE cases; ANALYZE case_events`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReportsAtScale measures the breakdown and monthly report
// queries over SCALE_CASES case rows (default 1,000,000; the target is
// under 500 ms each). `make bench` runs it.
func BenchmarkReportsAtScale(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("SCALE_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	st := env.NewStore(b)
	now := time.Now().UTC()
	began := time.Now()
	seedCases(b, st, n, now)
	b.Logf("seeded %d cases in %s", n, time.Since(began).Round(time.Millisecond))
	ctx := context.Background()
	monthAgo, yearAgo := now.AddDate(0, -1, 0), now.AddDate(-1, 0, 0)
	cases := []struct {
		name string
		run  func() error
	}{
		{"breakdown/month-by-category", func() error {
			_, err := st.Breakdown(ctx, store.BreakdownQuery{By: []string{"category"}, From: &monthAgo, To: &now, Filters: map[string]string{}, TimeZone: "UTC"})
			return err
		}},
		{"breakdown/year-by-month-and-channel", func() error {
			_, err := st.Breakdown(ctx, store.BreakdownQuery{By: []string{"month", "channel"}, From: &yearAgo, To: &now, Filters: map[string]string{}, TimeZone: "Asia/Shanghai"})
			return err
		}},
		{"breakdown/month-by-day-filtered", func() error {
			_, err := st.Breakdown(ctx, store.BreakdownQuery{By: []string{"day"}, From: &monthAgo, To: &now, Filters: map[string]string{"region": "region-7"}, TimeZone: "UTC"})
			return err
		}},
		{"monthly/team", func() error { _, err := st.Monthly(ctx, monthAgo, "team", "UTC"); return err }},
		{"monthly/handler", func() error { _, err := st.Monthly(ctx, monthAgo, "handler", "UTC"); return err }},
		{"monthly/branch", func() error { _, err := st.Monthly(ctx, monthAgo, "branch", "Asia/Shanghai"); return err }},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/%dk", c.name, n/1000), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
