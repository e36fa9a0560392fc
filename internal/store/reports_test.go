package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
)

// genCase is a case row of the generated data set, with its figures known.
type genCase struct {
	channel, category, product, region, responsibility string
	branch, team, severity                             string
	appeals, repeats, transfers                        int
	reopened                                           bool
	received                                           time.Time
	ack, resolve                                       *float64 // seconds after receipt
	breached                                           bool
	compensation                                       int64
	score                                              *int
}

func generate(n int) []genCase {
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	out := make([]genCase, n)
	for i := range out {
		c := genCase{
			channel: pick("web", "phone", "email", "store"), category: pick("billing", "delivery", "product_quality"),
			product: pick("kettle", "broadband", "card"), region: pick("Shanghai", "CA", "Beijing"),
			received: base.Add(time.Duration(rng.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Second),
			breached: rng.IntN(5) == 0,
		}
		if rng.IntN(10) > 0 {
			a := float64(rng.IntN(86400))
			c.ack = &a
		}
		if rng.IntN(3) > 0 {
			r := float64(86400 + rng.IntN(10*86400))
			c.resolve = &r
			c.responsibility = pick("company", "customer", "third_party")
			if c.responsibility == "company" {
				c.compensation = int64(rng.IntN(50000))
			}
			if rng.IntN(2) == 0 {
				s := 1 + rng.IntN(5)
				c.score = &s
			}
		}
		c.branch, c.team, c.severity = pick("SH-01", "BJ-02", "GZ-03"), pick("billing", "delivery"), pick("low", "medium", "high", "critical")
		c.appeals = rng.IntN(3)
		c.repeats, c.transfers = rng.IntN(4)/2, rng.IntN(3)/2
		c.reopened = c.repeats > 0 && rng.IntN(2) == 0
		out[i] = c
	}
	return out
}

// insertGenerated inserts cases numbered from first (GEN-000000 on).
func insertGenerated(t *testing.T, st *store.Store, first int, cases []genCase) {
	t.Helper()
	ctx := context.Background()
	for i, c := range cases {
		var ack, res *time.Time
		if c.ack != nil {
			a := c.received.Add(time.Duration(*c.ack) * time.Second)
			ack = &a
		}
		if c.resolve != nil {
			r := c.received.Add(time.Duration(*c.resolve) * time.Second)
			res = &r
		}
		var resp *string
		if c.responsibility != "" {
			resp = &c.responsibility
		}
		status := "investigating"
		if c.resolve != nil {
			status = "closed"
		}
		var id string
		err := st.Pool.QueryRow(ctx, `
INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id, customer_name, channel, subject, description,
    product, region, category, status, received_at, acknowledged_at, resolved_at, breached, responsibility, compensation_minor, survey_score,
    branch, team_id, severity, appeal_count, repeat_count, transfer_count)
VALUES (gen_random_uuid(), $1, $1, convert_to($1, 'UTF8'), 'gen', 'Gen', $2, 's', 'd', $3, $4, $5, $19, $6, $7, $8, $9, $10, $11, $12,
    $13, $14, $15, $16, $17, $18) RETURNING id`,
			fmt.Sprintf("GEN-%06d", first+i), c.channel, c.product, c.region, c.category, c.received, ack, res, c.breached, resp, c.compensation, c.score,
			c.branch, c.team, c.severity, c.appeals, c.repeats, c.transfers, status).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		for seq := 1; seq <= c.repeats; seq++ {
			reopened := c.reopened && seq == 1
			if _, err := st.Pool.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload)
VALUES ($1, $2, 'repeat_contact', 'customer', $3, jsonb_build_object('reopened', $4::boolean))`, id, 10+seq, c.received, reopened); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// percentile is PostgreSQL's percentile_cont: linear interpolation.
func percentile(xs []float64, p float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	pos := p * float64(len(s)-1)
	lo := math.Floor(pos)
	v := s[int(lo)]
	if int(lo)+1 < len(s) {
		v += (pos - lo) * (s[int(lo)+1] - v)
	}
	return &v
}

func expectGroups(cases []genCase, key func(genCase) string) map[string]store.BreakdownGroup {
	by := map[string][]genCase{}
	for _, c := range cases {
		by[key(c)] = append(by[key(c)], c)
	}
	out := map[string]store.BreakdownGroup{}
	for k, cs := range by {
		var acks, ress []float64
		var breached, upheld, withFindings, scores, answers, repeated, reopened, closed, fcr int
		var comp int64
		for _, c := range cs {
			if c.ack != nil {
				acks = append(acks, *c.ack)
			}
			if c.resolve != nil {
				ress = append(ress, *c.resolve)
			}
			if c.breached {
				breached++
			}
			if c.responsibility != "" {
				withFindings++
				if c.responsibility == "company" {
					upheld++
				}
			}
			comp += c.compensation
			if c.repeats > 0 {
				repeated++
			}
			if c.reopened {
				reopened++
			}
			if c.resolve != nil {
				closed++
				if c.transfers == 0 && c.appeals == 0 {
					fcr++
				}
			}
			if c.score != nil {
				scores += *c.score
				answers++
			}
		}
		g := store.BreakdownGroup{Count: len(cs), Share: float64(len(cs)) / float64(len(cases)),
			AcknowledgeP50: percentile(acks, 0.5), AcknowledgeP90: percentile(acks, 0.9),
			ResolveP50: percentile(ress, 0.5), ResolveP90: percentile(ress, 0.9),
			BreachRate: float64(breached) / float64(len(cs)), CompensationMinor: comp, SurveyAnswers: answers,
			RepeatRate: float64(repeated) / float64(len(cs)), ReopenRate: float64(reopened) / float64(len(cs))}
		if closed > 0 {
			r := float64(fcr) / float64(closed)
			g.FirstContactResolution = &r
		}
		if withFindings > 0 {
			u := float64(upheld) / float64(withFindings)
			g.UpheldRate = &u
		}
		if answers > 0 {
			a := float64(scores) / float64(answers)
			g.SurveyAverage = &a
		}
		out[k] = g
	}
	return out
}

func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-6
}

func f(x float64) *float64 { return &x }

// TestBreakdownFigures checks every figure of every group against the same
// figures computed in Go from the generated data, answered three ways: from
// the report summary with some days not yet taken in (read from the case
// rows), from the summary up to date, and from the case rows alone.
func TestBreakdownFigures(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	cases := generate(600)
	ctx := context.Background()
	// Santiago starts daylight saving time on 6 September 2026 at midnight:
	// that day begins at 01:00.
	zones := []string{"UTC", "Asia/Shanghai", "America/Santiago"}
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	// The first half is in the summary; the second is inserted after it,
	// on days the summary holds too, so those days are marked stale.
	insertGenerated(t, st, 0, cases[:300])
	if _, err := st.RefreshSummary(ctx, zones); err != nil {
		t.Fatal(err)
	}
	insertGenerated(t, st, 300, cases[300:])
	from, to := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	// Bounds inside days: the partial days at each end are read from rows.
	oddFrom, oddTo := time.Date(2026, 7, 9, 13, 17, 5, 0, time.UTC), time.Date(2026, 9, 20, 2, 40, 0, 0, time.UTC)
	sameDayFrom, sameDayTo := time.Date(2026, 8, 3, 1, 0, 0, 0, time.UTC), time.Date(2026, 8, 3, 23, 0, 0, 0, time.UTC)
	// time.Date normalises the missing midnight to 01:00, the day's start.
	dstFrom, dstTo := time.Date(2026, 9, 6, 0, 0, 0, 0, santiago), time.Date(2026, 9, 20, 0, 0, 0, 0, santiago)
	within := func(lo, hi time.Time) func(genCase) bool {
		return func(c genCase) bool { return !c.received.Before(lo) && c.received.Before(hi) }
	}
	tests := []struct {
		name    string
		q       store.BreakdownQuery
		summary bool // the summary covers it
		keep    func(genCase) bool
		key     func(genCase) string
		gkey    func(map[string]string) string
	}{
		{"by channel", store.BreakdownQuery{By: []string{"channel"}}, true, nil,
			func(c genCase) string { return c.channel }, func(k map[string]string) string { return k["channel"] }},
		{"by category and product in August, region CA", store.BreakdownQuery{By: []string{"category", "product"}, From: &from, To: &to,
			Filters: map[string]string{"region": "CA"}}, false,
			func(c genCase) bool { return within(from, to)(c) && c.region == "CA" },
			func(c genCase) string { return c.category + "|" + c.product },
			func(k map[string]string) string { return k["category"] + "|" + k["product"] }},
		{"by month", store.BreakdownQuery{By: []string{"month"}, TimeZone: "Asia/Shanghai"}, true, nil,
			func(c genCase) string { return c.received.In(shanghai()).Format("2006-01") },
			func(k map[string]string) string { return k["month"] }},
		{"by responsibility and week", store.BreakdownQuery{By: []string{"responsibility", "week"}}, true, nil,
			func(c genCase) string {
				y, w := c.received.ISOWeek()
				return fmt.Sprintf("%s|%04d-W%02d", c.responsibility, y, w)
			},
			func(k map[string]string) string { return k["responsibility"] + "|" + k["week"] }},
		{"by day in Shanghai between times of day, billing", store.BreakdownQuery{By: []string{"day"}, From: &oddFrom, To: &oddTo,
			Filters: map[string]string{"category": "billing"}, TimeZone: "Asia/Shanghai"}, true,
			func(c genCase) bool { return within(oddFrom, oddTo)(c) && c.category == "billing" },
			func(c genCase) string { return c.received.In(shanghai()).Format("2006-01-02") },
			func(k map[string]string) string { return k["day"] }},
		{"by region and month, one region, to a time of day", store.BreakdownQuery{By: []string{"region", "month"}, To: &oddTo,
			Filters: map[string]string{"region": "Beijing"}}, true,
			func(c genCase) bool { return c.received.Before(oddTo) && c.region == "Beijing" },
			func(c genCase) string { return c.region + "|" + c.received.Format("2006-01") },
			func(k map[string]string) string { return k["region"] + "|" + k["month"] }},
		{"by branch within one day", store.BreakdownQuery{By: []string{"branch"}, From: &sameDayFrom, To: &sameDayTo}, true,
			within(sameDayFrom, sameDayTo), func(c genCase) string { return c.branch }, func(k map[string]string) string { return k["branch"] }},
		{"by day across a daylight-saving change, from a day that starts at 01:00", store.BreakdownQuery{By: []string{"day"},
			From: &dstFrom, To: &dstTo, TimeZone: "America/Santiago"}, true, within(dstFrom, dstTo),
			func(c genCase) string { return c.received.In(santiago).Format("2006-01-02") },
			func(k map[string]string) string { return k["day"] }},
		{"by week and channel across a daylight-saving change", store.BreakdownQuery{By: []string{"week", "channel"}, TimeZone: "America/Santiago"}, true, nil,
			func(c genCase) string {
				y, w := c.received.In(santiago).ISOWeek()
				return fmt.Sprintf("%04d-W%02d|%s", y, w, c.channel)
			},
			func(k map[string]string) string { return k["week"] + "|" + k["channel"] }},
		{"by team in a zone the summary does not keep", store.BreakdownQuery{By: []string{"team"}, TimeZone: "Europe/London"}, false, nil,
			func(c genCase) string { return c.team }, func(k map[string]string) string { return k["team"] }},
	}
	check := func(t *testing.T, state string, summaryKept bool) {
		for _, tt := range tests {
			t.Run(state+"/"+tt.name, func(t *testing.T) {
				sel := cases
				if tt.keep != nil {
					sel = nil
					for _, c := range cases {
						if tt.keep(c) {
							sel = append(sel, c)
						}
					}
				}
				if len(sel) == 0 {
					t.Fatal("the query selects no generated case")
				}
				want := expectGroups(sel, tt.key)
				got, err := st.Breakdown(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				source, err := st.BreakdownSource(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if wantSource := map[bool]string{true: "summary", false: "cases"}[tt.summary && summaryKept]; source != wantSource {
					t.Errorf("answered from %s, want %s", source, wantSource)
				}
				if len(got) != len(want) {
					t.Fatalf("%d groups, want %d", len(got), len(want))
				}
				for i, g := range got {
					if i > 0 && g.Count > got[i-1].Count {
						t.Errorf("groups not ordered by count")
					}
					w, ok := want[tt.gkey(g.Key)]
					if !ok {
						t.Fatalf("unexpected group %v", g.Key)
					}
					if g.Count != w.Count || !near(f(g.Share), f(w.Share)) || !near(g.AcknowledgeP50, w.AcknowledgeP50) ||
						!near(g.AcknowledgeP90, w.AcknowledgeP90) || !near(g.ResolveP50, w.ResolveP50) || !near(g.ResolveP90, w.ResolveP90) ||
						!near(f(g.BreachRate), f(w.BreachRate)) || !near(g.UpheldRate, w.UpheldRate) || g.CompensationMinor != w.CompensationMinor ||
						!near(g.SurveyAverage, w.SurveyAverage) || g.SurveyAnswers != w.SurveyAnswers || !near(f(g.RepeatRate), f(w.RepeatRate)) ||
						!near(f(g.ReopenRate), f(w.ReopenRate)) || !near(g.FirstContactResolution, w.FirstContactResolution) {
						t.Errorf("group %v:\n got %s\nwant %s", g.Key, show(g), show(w))
					}
				}
			})
		}
	}
	check(t, "summary with stale days", true)
	if n, err := st.PendingSummaryChanges(ctx); err != nil || n == 0 {
		t.Fatalf("pending changes %d (%v), want the second half's marks", n, err)
	}
	r, err := st.RefreshSummary(ctx, zones)
	if err != nil || r.Days == 0 || r.Marks == 0 || len(r.Built) != 0 {
		t.Fatalf("refresh = %+v, %v", r, err)
	}
	check(t, "summary", true)
	if _, err := st.RefreshSummary(ctx, nil); err != nil {
		t.Fatal(err)
	}
	check(t, "case rows", false)
	if _, err := st.Breakdown(ctx, store.BreakdownQuery{By: []string{"colour"}}); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown dimension: %v", err)
	}
	if _, err := st.Breakdown(ctx, store.BreakdownQuery{By: []string{"channel"}, Filters: map[string]string{"month": "2026-08"}}); err == nil {
		t.Error("a time dimension accepted as a filter")
	}
}

func shanghai() *time.Location {
	l, _ := time.LoadLocation("Asia/Shanghai")
	return l
}

func show(g store.BreakdownGroup) string {
	p := func(x *float64) string {
		if x == nil {
			return "nil"
		}
		return fmt.Sprintf("%.3f", *x)
	}
	return fmt.Sprintf("n=%d share=%.4f ack=%s/%s res=%s/%s breach=%.3f upheld=%s comp=%d survey=%s/%d repeat=%.3f reopen=%.3f fcr=%s", g.Count, g.Share,
		p(g.AcknowledgeP50), p(g.AcknowledgeP90), p(g.ResolveP50), p(g.ResolveP90), g.BreachRate, p(g.UpheldRate), g.CompensationMinor,
		p(g.SurveyAverage), g.SurveyAnswers, g.RepeatRate, g.ReopenRate, p(g.FirstContactResolution))
}

// TestMonthlyReport checks the accountability report of August 2026 per
// branch and per team against figures computed in Go.
func TestMonthlyReport(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	cases := generate(600)
	insertGenerated(t, st, 0, cases)
	sh := shanghai()
	aug, sep, jul := time.Date(2026, 8, 1, 0, 0, 0, 0, sh), time.Date(2026, 9, 1, 0, 0, 0, 0, sh), time.Date(2026, 7, 1, 0, 0, 0, 0, sh)
	for _, level := range []string{"branch", "team"} {
		unit := func(c genCase) string {
			if level == "branch" {
				return c.branch
			}
			return c.team
		}
		type acc struct {
			n, prev, breaches, appeals, answers, score int
			comp                                       int64
			acks, ress                                 []float64
			sev                                        map[string]int
		}
		want := map[string]*acc{}
		get := func(u string) *acc {
			if want[u] == nil {
				want[u] = &acc{sev: map[string]int{}}
			}
			return want[u]
		}
		for _, c := range cases {
			switch {
			case !c.received.Before(aug) && c.received.Before(sep):
				a := get(unit(c))
				a.n++
				a.sev[c.severity]++
				a.appeals += c.appeals
				a.comp += c.compensation
				if c.breached {
					a.breaches++
				}
				if c.ack != nil {
					a.acks = append(a.acks, *c.ack)
				}
				if c.resolve != nil {
					a.ress = append(a.ress, *c.resolve)
				}
				if c.score != nil {
					a.answers++
					a.score += *c.score
				}
			case !c.received.Before(jul) && c.received.Before(aug):
				get(unit(c)).prev++
			}
		}
		rows, err := st.Monthly(context.Background(), aug.Add(10*24*time.Hour), level, "Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d", level, len(rows), len(want))
		}
		for i, r := range rows {
			w := want[r.Unit]
			if r.Rank != i+1 || (i > 0 && r.Count > rows[i-1].Count) {
				t.Errorf("%s: rank %d of %s", level, r.Rank, r.Unit)
			}
			change := float64(w.n-w.prev) / float64(w.prev)
			var avg *float64
			if w.answers > 0 {
				avg = f(float64(w.score) / float64(w.answers))
			}
			if r.Count != w.n || r.PreviousCount != w.prev || !near(r.Change, &change) || r.Breaches != w.breaches || r.Appeals != w.appeals ||
				r.CompensationMinor != w.comp || !near(r.AcknowledgeP50, percentile(w.acks, 0.5)) || !near(r.ResolveP50, percentile(w.ress, 0.5)) ||
				!near(r.SurveyAverage, avg) || fmt.Sprint(r.Severity) != fmt.Sprint(map[string]int{"low": w.sev["low"], "medium": w.sev["medium"], "high": w.sev["high"], "critical": w.sev["critical"]}) {
				t.Errorf("%s %s: got %+v\nwant %+v", level, r.Unit, r, *w)
			}
		}
	}
	if _, err := st.Monthly(context.Background(), aug, "planet", "UTC"); err == nil {
		t.Error("unknown level accepted")
	}
}
