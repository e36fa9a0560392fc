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
