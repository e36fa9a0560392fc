package obs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// CaseCollector reports the open-case gauges (open cases by status,
// at-risk and breached, load per team and handler, the approvals backlog
// and its age) from PostgreSQL at scrape time, so they are true after any
// restart. Label values are bounded: statuses, profiles, categories,
// region codes, teams and staff ids, never case or customer data.
type CaseCollector struct {
	Store   *store.Store
	Timeout time.Duration

	open, atRisk, breached, team, handler, pending, oldest, up, reversal *prometheus.Desc
}

// NewCaseCollector builds the collector.
func NewCaseCollector(st *store.Store) *CaseCollector {
	scope := []string{"profile", "category", "region"}
	return &CaseCollector{Store: st, Timeout: 5 * time.Second,
		open:     prometheus.NewDesc("complaints_open_cases", "Open cases by status, profile, category and region.", append([]string{"status"}, scope...), nil),
		atRisk:   prometheus.NewDesc("complaints_at_risk_cases", "Open cases past a clock warning point.", scope, nil),
		breached: prometheus.NewDesc("complaints_breached_open_cases", "Open cases with a breached clock.", scope, nil),
		team:     prometheus.NewDesc("complaints_team_open_cases", "Open cases per team.", []string{"team"}, nil),
		handler:  prometheus.NewDesc("complaints_handler_open_cases", "Open cases per handler.", []string{"team", "handler"}, nil),
		pending:  prometheus.NewDesc("complaints_pending_approvals", "Cases awaiting approval by the least role that may approve.", []string{"role"}, nil),
		oldest:   prometheus.NewDesc("complaints_pending_approval_oldest_seconds", "Age of the oldest case awaiting approval, by role.", []string{"role"}, nil),
		reversal: prometheus.NewDesc("complaints_reversal_failed_cases", "Open cases with a remedy whose reversal failed for good: a person must undo it.", []string{"team"}, nil),
		up:       prometheus.NewDesc("complaints_case_stats_up", "1 when the open-case gauges could be read from PostgreSQL.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *CaseCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.atRisk, c.breached, c.team, c.handler, c.pending, c.oldest, c.up, c.reversal} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *CaseCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	groups, pending, err := c.Store.OpenCaseStats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	reversals := map[string]int{"none": 0}
	type key4 struct{ a, b, c, d string }
	type key3 struct{ a, b, c string }
	open, risk, breach := map[key4]int{}, map[key3]int{}, map[key3]int{}
	teams, handlers := map[string]int{}, map[[2]string]int{}
	for _, g := range groups {
		region := complaint.RegionLabel(g.Region)
		open[key4{g.Status, g.Profile, g.Category, region}] += g.Count
		k := key3{g.Profile, g.Category, region}
		risk[k] += g.AtRisk
		breach[k] += g.Breached
		team := g.Team
		if team == "" {
			team = "none"
		}
		teams[team] += g.Count
		if g.ReversalFailed > 0 {
			reversals[team] += g.ReversalFailed
		}
		if g.Assignee != "" {
			handlers[[2]string{team, g.Assignee}] += g.Count
		}
	}
	for k, n := range open {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(n), k.a, k.b, k.c, k.d)
	}
	for k, n := range risk {
		ch <- prometheus.MustNewConstMetric(c.atRisk, prometheus.GaugeValue, float64(n), k.a, k.b, k.c)
		ch <- prometheus.MustNewConstMetric(c.breached, prometheus.GaugeValue, float64(breach[k]), k.a, k.b, k.c)
	}
	// Zero under "none" at least, so the alert reads a series.
	for t, n := range reversals {
		ch <- prometheus.MustNewConstMetric(c.reversal, prometheus.GaugeValue, float64(n), t)
	}
	for t, n := range teams {
		ch <- prometheus.MustNewConstMetric(c.team, prometheus.GaugeValue, float64(n), t)
	}
	for k, n := range handlers {
		ch <- prometheus.MustNewConstMetric(c.handler, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	roles := map[string]bool{}
	for _, p := range pending {
		roles[p.Role] = true
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(p.Count), p.Role)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, time.Since(p.Oldest).Seconds(), p.Role)
	}
	// Every approving level is reported, zero when nothing waits, so
	// dashboards and alerts see a series rather than nothing.
	for _, r := range []string{complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector} {
		if !roles[r] {
			ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, 0, r)
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, 0, r)
		}
	}
}
