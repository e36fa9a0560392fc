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

// seedCases inserts n synthetic case rows (store.SeedSyntheticCases).
func seedCases(b testing.TB, st *store.Store, n int, now time.Time) {
	b.Helper()
	if err := st.SeedSyntheticCases(context.Background(), 0, n, now); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReportsAtScale measures the breakdown and monthly report
// queries over SCALE_CASES case rows (default 1,000,000; the target is
// under 500 ms each), with the report summary kept for UTC and
// Asia/Shanghai, and a refresh that takes in one changed day. Queries the
// summary does not cover (two dimensions, a zone it does not keep) read
// the case rows, and are named so. `make bench` runs it.
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
	zones := []string{"UTC", "Asia/Shanghai"}
	r, err := st.RefreshSummary(ctx, zones)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("summary of %d cases built for %v in %s", n, r.Built, r.Took.Round(time.Millisecond))
	monthAgo, yearAgo := now.AddDate(0, -1, 0), now.AddDate(-1, 0, 0)
	breakdown := func(q store.BreakdownQuery) func() error {
		return func() error { _, err := st.Breakdown(ctx, q); return err }
	}
	cases := []struct {
		name string
		run  func() error
	}{
		{"breakdown/month-by-category", breakdown(store.BreakdownQuery{By: []string{"category"}, From: &monthAgo, To: &now})},
		{"breakdown/year-by-category", breakdown(store.BreakdownQuery{By: []string{"category"}, From: &yearAgo})},
		{"breakdown/year-by-month-and-channel", breakdown(store.BreakdownQuery{By: []string{"month", "channel"}, From: &yearAgo, To: &now, TimeZone: "Asia/Shanghai"})},
		{"breakdown/year-by-handler", breakdown(store.BreakdownQuery{By: []string{"handler"}, From: &yearAgo})},
		{"breakdown/month-by-day-filtered", breakdown(store.BreakdownQuery{By: []string{"day"}, From: &monthAgo, To: &now, Filters: map[string]string{"region": "region-7"}})},
		{"breakdown/month-by-team-and-handler-from-rows", breakdown(store.BreakdownQuery{By: []string{"team", "handler"}, From: &monthAgo})},
		{"breakdown/year-by-month-and-channel-other-zone-from-rows", breakdown(store.BreakdownQuery{By: []string{"month", "channel"}, From: &yearAgo, To: &now, TimeZone: "Europe/London"})},
		{"monthly/team", func() error { _, err := st.Monthly(ctx, monthAgo, "team", "UTC"); return err }},
		{"monthly/handler", func() error { _, err := st.Monthly(ctx, monthAgo, "handler", "UTC"); return err }},
		{"monthly/branch", func() error { _, err := st.Monthly(ctx, monthAgo, "branch", "Asia/Shanghai"); return err }},
		{"summary/refresh-one-changed-day", func() error {
			if _, err := st.Pool.Exec(ctx, `UPDATE cases SET survey_score = 1 + (survey_score % 5) WHERE case_number = 'SEED-42'`); err != nil {
				return err
			}
			_, err := st.RefreshSummary(ctx, zones)
			return err
		}},
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
