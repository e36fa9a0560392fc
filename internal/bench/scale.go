package bench

import (
	"context"

	"fmt"
	"github.com/complaint-handling/complaints/internal/config"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// ScaleReport is one step of open cases parked in their workflows.
type ScaleReport struct {
	OpenCases            int     `json:"open_cases"`
	AwaitingApproval     int     `json:"awaiting_approval"`
	AwaitingCustomer     int     `json:"awaiting_customer"`
	ParkSeconds          float64 `json:"park_seconds"`
	ParkPerS             float64 `json:"park_per_s"`
	Errors               int     `json:"errors"`
	WorkerRSSMB          float64 `json:"worker_rss_mb"`
	WorkerPeakRSSMB      float64 `json:"worker_peak_rss_mb"`
	WorkerCacheSize      int     `json:"worker_cache_size"`
	PGBytesPerCase       float64 `json:"pg_bytes_per_case"`
	TemporalBytesPerCase float64 `json:"temporal_bytes_per_case"`
	ListP50Ms            float64 `json:"list_p50_ms"`
	// ListQueriesP99Ms is each list's p99 (first and next pages).
	ListQueriesP99Ms map[string]float64 `json:"list_queries_p99_ms"`
	ListP99Ms        float64            `json:"list_p99_ms"`
}

// ReportsReport is the report queries over a number of case rows.
type ReportsReport struct {
	Rows  int     `json:"rows"`
	SeedS float64 `json:"seed_s"`
	// SummaryCatchUpS is how long the worker's refresher took to take the
	// seeded rows into the report summary (no change marks left); until
	// then breakdowns read the marked days from the case rows.
	SummaryCatchUpS float64            `json:"summary_catch_up_s"`
	Queries         map[string]float64 `json:"queries_ms"`
	ReportMs        float64            `json:"report_ms"`
}

func (b *runner) scale(ctx context.Context) error {
	// A fresh worker process, so its memory is that of this scenario.
	cache := config.DefaultWorkerCacheSize
	for _, e := range b.o.ExtraEnv {
		fmt.Sscanf(e, "WORKER_CACHE_SIZE=%d", &cache)
	}
	if err := b.s.startWorker(ctx, false); err != nil {
		return err
	}
	for _, target := range b.o.OpenCases {
		sr, err := b.park(ctx, target)
		if err != nil {
			return err
		}
		sr.WorkerCacheSize = cache
		b.rep.Scale = append(b.rep.Scale, *sr)
	}
	for _, rows := range b.o.ReportRows {
		rr, err := b.reports(ctx, rows)
		if err != nil {
			return err
		}
		b.rep.Reports = append(b.rep.Reports, *rr)
	}
	return nil
}

func (b *runner) openCases(ctx context.Context) (int, error) {
	var n int
	err := b.s.store.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE status NOT IN ('closed', 'withdrawn') AND case_number NOT LIKE 'SEED-%'`).Scan(&n)
	return n, err
}

// park files complaints (at ParkConc, the intake's best level on this
// machine) until target cases are open, and moves one in ten
// of the new ones on to await an approval and one in twenty further on to
// await the customer, so the parked cases wait on staff, on approvers and
// on customers, each with its clocks' timers.
func (b *runner) park(ctx context.Context, target int) (*ScaleReport, error) {
	open, err := b.openCases(ctx)
	if err != nil {
		return nil, err
	}
	appBefore, err := b.s.dbSize(ctx, "complaints")
	if err != nil {
		return nil, err
	}
	tBefore, err := b.temporalSize(ctx)
	if err != nil {
		return nil, err
	}
	sr := &ScaleReport{OpenCases: target}
	// At least a tenth of the target is filed here, so the growth per case
	// is measured even when earlier scenarios left that many open (the
	// tiny run of the test: a fast intake left more than its target).
	need := max(target-open, target/10)
	var approval, customer atomic.Int64
	var r result
	if need > 0 {
		r = b.parkCases(ctx, target, need, &approval, &customer)
	}
	sr.ParkSeconds, sr.ParkPerS, sr.Errors = round1(r.Elapsed.Seconds()), round1(r.PerSecond()), r.Errors
	return b.measureParked(ctx, sr, r, &approval, &customer, appBefore, tBefore)
}

// parkCases files need complaints and moves some on (see park).
func (b *runner) parkCases(ctx context.Context, target, need int, approval, customer *atomic.Int64) result {
	return closedLoop(ctx, b.p, fmt.Sprintf("parking %d open cases", target), b.o.ParkConc, 24*time.Hour, need, func(ctx context.Context, i int) error {
		c, err := b.file(ctx, fmt.Sprintf("park%d", target), i)
		if err != nil || i%10 != 0 {
			return err
		}
		staff := func(path, token string, body any) error {
			return b.api.call(ctx, "POST", "/v1/complaints/"+c.ID+"/"+path, token, body, nil, 200)
		}
		if err := staff("findings", b.staff.agent, map[string]any{"cause": "billing.error", "cause_detail": "billing.error.double_charge", "responsibility": "company", "responsible_unit": "refunds desk", "summary": "Charged twice."}); err != nil {
			return err
		}
		if err := staff("proposal", b.staff.agent, map[string]any{"remedies": []map[string]any{{"type": "refund", "amount": 2000, "currency": "CNY"}},
			"message": "We refund the second charge."}); err != nil {
			return err
		}
		if i%20 != 0 {
			approval.Add(1)
			return nil
		}
		if err := staff("approvals", b.staff.manager, map[string]any{"decision": "approve", "comment": "ok"}); err != nil {
			return err
		}
		customer.Add(1)
		return nil
	})
}

func (b *runner) measureParked(ctx context.Context, sr *ScaleReport, r result, approval, customer *atomic.Int64, appBefore, tBefore int64) (*ScaleReport, error) {
	open := 0
	var err error
	sr.AwaitingApproval, sr.AwaitingCustomer = int(approval.Load()), int(customer.Load())
	if open, err = b.openCases(ctx); err != nil {
		return nil, err
	}
	sr.OpenCases = open
	// Let the last workflow tasks and payments settle before measuring.
	time.Sleep(5 * time.Second)
	if sr.WorkerRSSMB, sr.WorkerPeakRSSMB, err = b.s.worker.memory(); err != nil {
		return nil, err
	}
	sr.WorkerRSSMB, sr.WorkerPeakRSSMB = round1(sr.WorkerRSSMB), round1(sr.WorkerPeakRSSMB)
	if _, err := b.s.store.Pool.Exec(ctx, `VACUUM ANALYZE cases`); err != nil {
		return nil, err
	}
	appAfter, err := b.s.dbSize(ctx, "complaints")
	if err != nil {
		return nil, err
	}
	tAfter, err := b.temporalSize(ctx)
	if err != nil {
		return nil, err
	}
	if r.OK > 0 {
		sr.PGBytesPerCase = float64(int64(float64(appAfter-appBefore) / float64(r.OK)))
		sr.TemporalBytesPerCase = float64(int64(float64(tAfter-tBefore) / float64(r.OK)))
	}
	b.p.say("parked %d open cases (%d new in %.0f s, %.1f/s; %d awaiting approval, %d awaiting the customer; errors %d)",
		open, r.OK, sr.ParkSeconds, sr.ParkPerS, sr.AwaitingApproval, sr.AwaitingCustomer, r.Errors)
	if r.FirstError != "" {
		b.p.say("  first error: %s", r.FirstError)
	}
	b.p.say("worker RSS %.0f MiB (peak %.0f MiB); %.0f bytes per case in the application database, %.0f in Temporal's",
		sr.WorkerRSSMB, sr.WorkerPeakRSSMB, sr.PGBytesPerCase, sr.TemporalBytesPerCase)
	lr, each := b.listQueries(ctx)
	sr.ListP50Ms, sr.ListP99Ms, sr.ListQueriesP99Ms = lr.Percentile(50), lr.Percentile(99), each
	b.p.say("staff list queries at %d open cases: p50 %.1f ms, p99 %.1f ms (%d queries, %d errors)", open, sr.ListP50Ms, sr.ListP99Ms, lr.OK, lr.Errors)
	return sr, nil
}

// temporalSize is the size of Temporal's two databases (embedded server
// only; an external cluster reports 0).
func (b *runner) temporalSize(ctx context.Context) (int64, error) {
	if b.s.ts == nil {
		return 0, nil
	}
	h, err := b.s.dbSize(ctx, "temporal")
	if err != nil {
		return 0, err
	}
	v, err := b.s.dbSize(ctx, "temporal_visibility")
	return h + v, err
}

// listQueries runs the staff list as the console does: the inbox views
// and searches with filters, first pages and the next page by cursor.
func (b *runner) listQueries(ctx context.Context) (*result, map[string]float64) {
	queries := []string{
		"open=true&limit=50",
		"status=acknowledged&limit=50",
		"status=awaiting_approval&sort=priority&limit=50",
		"team=billing&open=true&limit=50",
		"category=billing&severity=medium&limit=50",
		"unassigned=true&team=general&limit=50",
		"attention=true&limit=50",
		"assignee=agent-billing-1&open=true&limit=50",
		"approvable=true&limit=50",
		"channel=phone&region=CA&limit=50",
		"q=" + url.QueryEscape("credit report") + "&limit=50",
		"created_from=" + url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)) + "&limit=50",
	}
	var rc recorder
	per := map[string]*recorder{}
	for _, q := range queries {
		per[q] = &recorder{}
	}
	for round := 0; round < 10; round++ {
		for _, q := range queries {
			var page struct {
				NextCursor *string `json:"next_cursor"`
			}
			t := time.Now()
			err := b.api.call(ctx, "GET", "/v1/complaints?"+q, b.staff.manager, nil, &page, 200)
			rc.record(time.Since(t), err)
			per[q].record(time.Since(t), err)
			if err == nil && page.NextCursor != nil {
				t := time.Now()
				err := b.api.call(ctx, "GET", "/v1/complaints?"+q+"&cursor="+url.QueryEscape(*page.NextCursor), b.staff.manager, nil, nil, 200)
				rc.record(time.Since(t), err)
				per[q].record(time.Since(t), err)
			}
		}
	}
	each := map[string]float64{}
	for q, r := range per {
		each[strings.SplitN(q, "&limit", 2)[0]] = r.res.Percentile(99)
	}
	return &rc.res, each
}

// reports grows the case rows to rows with synthetic ones (SQL, no
// workflows) and times the report queries through the API.
func (b *runner) reports(ctx context.Context, rows int) (*ReportsReport, error) {
	var have, seeded int
	if err := b.s.store.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE case_number LIKE 'SEED-%') FROM cases`).Scan(&have, &seeded); err != nil {
		return nil, err
	}
	rr := &ReportsReport{Rows: rows, Queries: map[string]float64{}}
	start := time.Now()
	if rows > have {
		b.p.say("seeding %d case rows with SQL...", rows-have)
		if err := b.s.store.SeedSyntheticCases(ctx, seeded, rows-have, time.Now()); err != nil {
			return nil, err
		}
	}
	rr.SeedS = round1(time.Since(start).Seconds())
	start = time.Now()
	b.p.say("waiting for the report summary to take in the seeded rows...")
	for {
		n, err := b.s.store.PendingSummaryChanges(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		if time.Since(start) > 15*time.Minute {
			return nil, fmt.Errorf("the report summary still has %d change marks after %s", n, time.Since(start).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	rr.SummaryCatchUpS = round1(time.Since(start).Seconds())
	b.p.say("report summary caught up in %.1f s", rr.SummaryCatchUpS)
	now := time.Now().UTC()
	month := now.AddDate(0, -1, 0).Format("2006-01")
	yearAgo := now.AddDate(-1, 0, 0).Format(time.RFC3339)
	monthAgo := now.AddDate(0, -1, 0).Format(time.RFC3339)
	queries := []struct{ name, path string }{
		{"breakdown_year_by_month_channel", "/v1/reports/breakdown?by=month,channel&from=" + url.QueryEscape(yearAgo)},
		{"breakdown_year_by_category", "/v1/reports/breakdown?by=category&from=" + url.QueryEscape(yearAgo)},
		{"breakdown_month_by_team_handler", "/v1/reports/breakdown?by=team,handler&from=" + url.QueryEscape(monthAgo)},
		{"breakdown_month_by_day_billing", "/v1/reports/breakdown?by=day&category=billing&from=" + url.QueryEscape(monthAgo)},
		{"monthly_team", "/v1/reports/monthly?level=team&month=" + month},
		{"monthly_handler", "/v1/reports/monthly?level=handler&month=" + month},
		{"monthly_branch", "/v1/reports/monthly?level=branch&month=" + month},
	}
	for _, q := range queries {
		var rc recorder
		// The first call warms the cache; the median of the next five
		// is reported.
		_ = b.api.call(ctx, "GET", q.path, b.staff.manager, nil, nil, 200)
		for i := 0; i < 5; i++ {
			t := time.Now()
			err := b.api.call(ctx, "GET", q.path, b.staff.manager, nil, nil, 200)
			rc.record(time.Since(t), err)
		}
		if rc.res.Errors > 0 {
			return nil, fmt.Errorf("report %s: %s", q.name, rc.res.FirstError)
		}
		rr.Queries[q.name] = rc.res.Percentile(50)
		rr.ReportMs = max(rr.ReportMs, rr.Queries[q.name])
	}
	b.p.say("report queries over %d case rows: slowest median %.0f ms", rows, rr.ReportMs)
	for _, k := range slices.Sorted(maps.Keys(rr.Queries)) {
		b.p.say("  %-34s %8.1f ms", k, rr.Queries[k])
	}
	return rr, nil
}
