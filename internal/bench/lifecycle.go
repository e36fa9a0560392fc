package bench

import (
	"context"
	"fmt"
	"regexp"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// LifecycleReport is the lifecycle scenario: whole cases through the API
// with short clocks.
type LifecycleReport struct {
	Cases       int     `json:"cases"`
	Concurrency int     `json:"concurrency"`
	CasesPerS   float64 `json:"cases_per_s"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	// Staff decisions (findings, proposal, approval) at the peak.
	UpdateP50Ms float64 `json:"update_p50_ms_peak"`
	UpdateP99Ms float64 `json:"update_p99_ms_peak"`
	// The same at half the peak rate (the target's condition).
	HalfPeakRatePerS    float64 `json:"half_peak_rate_per_s"`
	HalfPeakUpdateP50Ms float64 `json:"half_peak_update_p50_ms"`
	HalfPeakUpdateP99Ms float64 `json:"update_p99_ms"`
	// History events of a happy-path case, from the Temporal server.
	HistoryEventsPerCase float64        `json:"history_events_per_case"`
	HistoryEventsMax     int            `json:"history_events_max"`
	HistorySampled       int            `json:"history_sampled"`
	HistoryEventTypes    map[string]int `json:"history_event_types"`
	// Seconds a case takes from filing to its survey answer (short
	// clocks: the survey is sent a second after closing).
	CaseP50S float64 `json:"case_p50_s"`
}

type staffTokens struct {
	agent, supervisor, manager string
}

// registerStaff signs staff in once (they register on first use): agents
// and a supervisor in every team, so cases are assigned at intake, and a
// manager who approves.
func (b *runner) registerStaff(ctx context.Context) error {
	for _, team := range []string{"quality", "service", "delivery", "billing", "safety", "general"} {
		for i := 1; i <= 3; i++ {
			if err := b.api.call(ctx, "GET", "/v1/me", b.s.token(fmt.Sprintf("agent-%s-%d", team, i), "agent", team), nil, nil, 200); err != nil {
				return err
			}
		}
		if err := b.api.call(ctx, "GET", "/v1/me", b.s.token("sup-"+team, "supervisor", team), nil, nil, 200); err != nil {
			return err
		}
	}
	b.intakeToken = b.s.token("intake-desk", "agent", "general")
	b.staff = staffTokens{agent: b.s.token("agent-general-1", "agent", "general"),
		supervisor: b.s.token("sup-general", "supervisor", "general"), manager: b.s.token("mgr-ops", "manager", "general")}
	return b.api.call(ctx, "GET", "/v1/me", b.staff.manager, nil, nil, 200)
}

var surveyLink = regexp.MustCompile(`/survey/([A-Za-z0-9_-]+)`)

// wholeCase drives one case from filing to the survey answer.
// decisions records the staff decisions' round trips.
func (b *runner) wholeCase(ctx context.Context, prefix string, i int, decisions *recorder) error {
	c, err := b.file(ctx, prefix, i)
	if err != nil {
		return err
	}
	staff := func(path, token string, body any) error {
		t := time.Now()
		if err := b.api.call(ctx, "POST", "/v1/complaints/"+c.ID+"/"+path, token, body, nil, 200); err != nil {
			return err
		}
		decisions.record(time.Since(t), nil)
		return nil
	}
	if err := staff("findings", b.staff.agent, map[string]any{"cause": "refund.delayed", "cause_detail": "refund.delayed.manual_review", "responsibility": "company", "responsible_unit": "refunds desk",
		"summary": "The refund was held by a manual review that nobody picked up."}); err != nil {
		return err
	}
	if err := staff("proposal", b.staff.agent, map[string]any{"remedies": []map[string]any{{"type": "refund", "amount": 5000, "currency": "CNY"}},
		"message": "We are refunding 50.00 today and apologise for the delay."}); err != nil {
		return err
	}
	if err := staff("approvals", b.staff.manager, map[string]any{"decision": "approve", "comment": "within policy"}); err != nil {
		return err
	}
	var tr struct {
		Status   string                        `json:"status"`
		Messages []struct{ Kind, Body string } `json:"messages"`
	}
	track := func() error {
		tr.Messages = nil
		return b.api.call(ctx, "GET", "/v1/track/"+c.TrackingToken, "", nil, &tr, 200)
	}
	// The customer sees the resolution (after the payment) and accepts.
	if err := poll(ctx, time.Minute, func() (bool, error) { err := track(); return tr.Status == "awaiting_customer", err }); err != nil {
		return fmt.Errorf("awaiting the customer (status %s): %w", tr.Status, err)
	}
	if err := b.api.call(ctx, "POST", "/v1/track/"+c.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, nil, 200); err != nil {
		return err
	}
	var survey string
	if err := poll(ctx, time.Minute, func() (bool, error) {
		err := track()
		for _, m := range tr.Messages {
			if m.Kind == "survey" {
				if s := surveyLink.FindStringSubmatch(m.Body); s != nil {
					survey = s[1]
				}
			}
		}
		return survey != "", err
	}); err != nil {
		return fmt.Errorf("awaiting the survey: %w", err)
	}
	return b.api.call(ctx, "POST", "/v1/surveys/"+survey, "", map[string]any{"score": 5, "comment": "quick"}, nil, 200)
}

func (b *runner) lifecycle(ctx context.Context) (*LifecycleReport, error) {
	if err := b.s.startWorker(ctx, true); err != nil {
		return nil, err
	}
	defer b.s.stopWorker()
	if err := b.settle(ctx); err != nil {
		return nil, err
	}
	rep := &LifecycleReport{Cases: b.o.LifecycleCases, Concurrency: b.o.LifecycleConc}
	var peak recorder
	r := closedLoop(ctx, b.p, fmt.Sprintf("lifecycle c=%d", b.o.LifecycleConc), b.o.LifecycleConc, time.Hour, b.o.LifecycleCases,
		func(ctx context.Context, i int) error { return b.wholeCase(ctx, "life", i, &peak) })
	rep.CasesPerS, rep.Errors, rep.FirstError = round2(r.PerSecond()), r.Errors, r.FirstError
	rep.CaseP50S = round2(r.Percentile(50) / 1000)
	pr := &peak.res
	rep.UpdateP50Ms, rep.UpdateP99Ms = pr.Percentile(50), pr.Percentile(99)
	b.p.say("lifecycle c=%d: %d cases in %.1f s = %.2f cases/s, case p50 %.1f s, staff decisions p50 %.1f ms p99 %.1f ms, errors %d",
		b.o.LifecycleConc, r.OK, r.Elapsed.Seconds(), rep.CasesPerS, rep.CaseP50S, rep.UpdateP50Ms, rep.UpdateP99Ms, r.Errors)
	if r.FirstError != "" {
		b.p.say("  first error: %s", r.FirstError)
	}
	rep.HalfPeakRatePerS = round2(rep.CasesPerS / 2)
	if rep.HalfPeakRatePerS > 0 {
		var half recorder
		h := openLoop(ctx, b.p, fmt.Sprintf("lifecycle at %.1f/s", rep.HalfPeakRatePerS), rep.HalfPeakRatePerS, b.o.HalfRateFor,
			func(ctx context.Context, i int) error { return b.wholeCase(ctx, "lifehalf", i, &half) })
		hr := &half.res
		rep.HalfPeakUpdateP50Ms, rep.HalfPeakUpdateP99Ms = hr.Percentile(50), hr.Percentile(99)
		rep.Errors += h.Errors
		b.p.say("lifecycle at half the peak (%.2f cases/s): staff decisions p50 %.1f ms, p99 %.1f ms, errors %d",
			rep.HalfPeakRatePerS, rep.HalfPeakUpdateP50Ms, rep.HalfPeakUpdateP99Ms, h.Errors)
	}
	if err := b.countHistory(ctx, rep); err != nil {
		return nil, err
	}
	b.p.say("history events per happy-path case: %.1f (max %d over %d cases)", rep.HistoryEventsPerCase, rep.HistoryEventsMax, rep.HistorySampled)
	return rep, nil
}

// countHistory reads the histories of up to 50 finished cases from the
// Temporal server and counts their events.
func (b *runner) countHistory(ctx context.Context, rep *LifecycleReport) error {
	rows, err := b.s.store.Pool.Query(ctx, `SELECT workflow_id FROM cases WHERE survey_status = 'answered' AND customer_id LIKE 'life-%' ORDER BY random() LIMIT 50`)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rep.HistoryEventTypes = map[string]int{}
	total := 0
	for n, id := range ids {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_ = b.s.tc.GetWorkflow(wctx, id, "").Get(wctx, nil)
		it := b.s.tc.GetWorkflowHistory(wctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		count := 0
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				cancel()
				return fmt.Errorf("history of %s: %w", id, err)
			}
			count++
			if n == 0 {
				rep.HistoryEventTypes[ev.GetEventType().String()]++
			}
		}
		cancel()
		total += count
		rep.HistoryEventsMax = max(rep.HistoryEventsMax, count)
	}
	rep.HistorySampled = len(ids)
	if len(ids) > 0 {
		rep.HistoryEventsPerCase = round1(float64(total) / float64(len(ids)))
	}
	return nil
}
