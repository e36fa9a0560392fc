package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// verify checks the outcome from PostgreSQL, Temporal and the provider.
func (d *driver) verify(ctx context.Context, say func(string, ...any)) error {
	for _, check := range []func(context.Context) error{d.checkFilings, d.checkStates, d.checkWorkflows, d.checkAudit, d.checkPayments} {
		if err := check(ctx); err != nil {
			return err
		}
	}
	rep := d.rep
	say("checked %d filings: lost %d, duplicated cases %d, wrong state %d, stuck %d, audit gaps %d, payments twice %d, ledger mismatches %d, unpaid %d",
		len(d.filed), rep.Lost, rep.DuplicatedCases, rep.WrongState, rep.Stuck, rep.AuditGaps, rep.DuplicatedPayments, rep.LedgerMismatches, rep.MissingPayments)
	return nil
}

// problem counts one problem and keeps its first 50 descriptions.
func (d *driver) problem(counter *int, format string, args ...any) {
	*counter++
	if len(d.rep.ProblemDetail) < 50 {
		d.rep.ProblemDetail = append(d.rep.ProblemDetail, fmt.Sprintf(format, args...))
	}
}

// checkFilings: every filing answered 2xx is one case, once.
func (d *driver) checkFilings(ctx context.Context) error {
	pool, rep := d.cl.Store.Pool, d.rep
	for id, fc := range d.filed {
		var byID, byCustomer int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE id = $1), (SELECT count(*) FROM cases WHERE customer_id = $2)`,
			id, fc.Customer).Scan(&byID, &byCustomer); err != nil {
			return err
		}
		if byID == 0 {
			d.problem(&rep.Lost, "lost: case %s (%s) was accepted and is not in PostgreSQL", id, fc.Customer)
		} else if byCustomer > 1 {
			d.problem(&rep.DuplicatedCases, "duplicated: filing %s made %d cases", fc.Customer, byCustomer)
		}
	}
	return nil
}

// checkStates: every scripted case reaches its script's state (the last
// steps run in the workflows after the scripts' final answers).
func (d *driver) checkStates(ctx context.Context) error {
	pool := d.cl.Store.Pool
	target := map[string]string{"accept": "closed", "withdraw": "withdrawn"}
	wantState := func(fc filedCase) bool {
		var status string
		var survey *string
		err := pool.QueryRow(ctx, `SELECT status, survey_status FROM cases WHERE id = $1`, fc.ID).Scan(&status, &survey)
		if err != nil {
			return false
		}
		if fc.Script == "accept" {
			return status == "closed" && survey != nil && *survey == "answered"
		}
		return status == target[fc.Script]
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, fc := range d.filed {
		if fc.Script == "probe" {
			continue
		}
		for !wantState(fc) && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		if !wantState(fc) {
			d.problem(&d.rep.WrongState, "wrong state: %s case %s did not reach %s", fc.Script, fc.ID, target[fc.Script])
		}
	}
	return nil
}

// checkWorkflows: the scripted cases' workflows finished, the open ones
// wait on a timer, none failed, none retries a task or an activity
// without end (stuckReason).
func (d *driver) checkWorkflows(ctx context.Context) error {
	pool, rep := d.cl.Store.Pool, d.rep
	for id, fc := range d.filed {
		var wid string
		if err := pool.QueryRow(ctx, `SELECT workflow_id FROM cases WHERE id = $1`, id).Scan(&wid); err != nil {
			continue // counted as lost
		}
		reason := ""
		for range 50 { // the last workflow tasks may still be finishing
			reason = d.stuckReason(ctx, wid, fc.Script != "probe")
			if reason == "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if reason != "" {
			rep.Stuck++
			rep.StuckDetail = append(rep.StuckDetail, fmt.Sprintf("%s (%s): %s", wid, fc.Script, reason))
		}
	}
	return nil
}

// checkAudit: every case's trail is numbered 1..n without a gap and
// records each step of its script once.
func (d *driver) checkAudit(ctx context.Context) error {
	required := map[string][]string{
		"accept":   {"received", "acknowledged", "findings", "proposed", "approval_given", "executed", "closed", "survey_sent", "survey_answered"},
		"withdraw": {"received", "acknowledged", "withdrawn"},
		"probe":    {"received", "acknowledged"},
	}
	for id, fc := range d.filed {
		var n, lo, hi int
		var types []string
		err := d.cl.Store.Pool.QueryRow(ctx, `SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0), coalesce(array_agg(type ORDER BY seq), '{}')
			FROM case_events WHERE case_id = $1`, id).Scan(&n, &lo, &hi, &types)
		if err != nil {
			return err
		}
		if n == 0 {
			continue // counted as lost
		}
		if lo != 1 || hi != n {
			d.problem(&d.rep.AuditGaps, "audit gap: case %s has %d events numbered %d..%d", id, n, lo, hi)
			continue
		}
		for _, t := range required[fc.Script] {
			if c := count(types, t); c != 1 {
				d.problem(&d.rep.AuditGaps, "audit: case %s (%s) has %d %q events: %s", id, fc.Script, c, t, strings.Join(types, ","))
				break
			}
		}
	}

	return nil
}

// checkPayments: the provider's record and the ledger agree, one payout
// per approved refund, none twice.
func (d *driver) checkPayments(ctx context.Context) error {
	rep := d.rep
	type money struct {
		caseID, remedy, kind string
		amount               int64
	}
	ledger := map[string]money{}
	rows, err := d.cl.Store.Pool.Query(ctx, `SELECT idempotency_key, case_id::text, remedy_id, kind, amount_minor FROM ledger`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		var m money
		if err := rows.Scan(&k, &m.caseID, &m.remedy, &m.kind, &m.amount); err != nil {
			return err
		}
		ledger[k] = m
	}
	if err := rows.Err(); err != nil {
		return err
	}
	paid := d.provider.payments()
	paidCases := map[string]bool{}
	perRemedy := map[string]map[string]bool{}
	for k, p := range paid {
		l, ok := ledger[k]
		if !ok || l.amount != p.Amount || l.caseID != p.CaseID || l.kind != p.Kind {
			d.problem(&rep.LedgerMismatches, "mismatch: the provider paid %s (%s %d) and the ledger has %+v", k, p.Kind, p.Amount, l)
		}
		if p.Kind == "payout" {
			paidCases[p.CaseID] = true
		}
		r := p.CaseID + "/" + p.RemedyID + "/" + p.Kind
		if perRemedy[r] == nil {
			perRemedy[r] = map[string]bool{}
		}
		perRemedy[r][k] = true
	}
	for k := range ledger {
		if _, ok := paid[k]; !ok {
			d.problem(&rep.LedgerMismatches, "mismatch: the ledger has %s and the provider never paid it", k)
		}
	}
	for r, keys := range perRemedy {
		if len(keys) > 1 {
			rep.DuplicatedPayments += len(keys) - 1
			rep.ProblemDetail = append(rep.ProblemDetail, fmt.Sprintf("paid twice: %s under %d keys", r, len(keys)))
		}
	}
	for id, fc := range d.filed {
		if fc.Script == "accept" && !paidCases[id] {
			d.problem(&rep.MissingPayments, "unpaid: case %s was approved and its refund never paid", id)
		}
	}
	return nil
}

// selfCheck plants three defects after the run - a filing answered 2xx
// that PostgreSQL lacks, a refund the provider pays a second time under
// another key, and a ledger row the provider never paid - and runs the
// checks again: they must find exactly those. A checker that cannot fail
// proves nothing.
func (d *driver) selfCheck(ctx context.Context) error {
	var paidCase providerPayment
	for _, p := range d.provider.payments() {
		if p.Kind == "payout" {
			paidCase = p
			break
		}
	}
	if paidCase.CaseID == "" {
		return errors.New("self-check: no refund was paid in the run")
	}
	real := d.rep
	d.rep = &ChaosReport{}
	defer func() { d.rep = real }()
	lost := "00000000-0000-4000-8000-00000000c4a0"
	d.filed[lost] = filedCase{ID: lost, Customer: "self-check-lost", Script: "probe"}
	defer delete(d.filed, lost)
	d.provider.mu.Lock()
	d.provider.paid["self-check-twice"] = paidCase
	d.provider.mu.Unlock()
	defer func() {
		d.provider.mu.Lock()
		delete(d.provider.paid, "self-check-twice")
		d.provider.mu.Unlock()
	}()
	if _, err := d.cl.Store.Pool.Exec(ctx, `INSERT INTO ledger (idempotency_key, case_id, remedy_id, kind, remedy_type, amount_minor, currency)
		VALUES ('self-check-unpaid', $1, 'self-check', 'payout', 'refund', 1, 'CNY')`, paidCase.CaseID); err != nil {
		return err
	}
	defer func() {
		_, _ = d.cl.Store.Pool.Exec(ctx, `DELETE FROM ledger WHERE idempotency_key = 'self-check-unpaid'`)
	}()
	if err := d.verify(ctx, func(string, ...any) {}); err != nil {
		return err
	}
	got := d.rep
	real.SelfCheck = fmt.Sprintf("passed: planted 1 lost filing, 1 second payment, 2 ledger mismatches; found %d, %d, %d",
		got.Lost, got.DuplicatedPayments, got.LedgerMismatches)
	if got.Lost != 1 || got.DuplicatedPayments != 1 || got.LedgerMismatches != 2 {
		real.SelfCheck = "FAILED" + strings.TrimPrefix(real.SelfCheck, "passed")
		return fmt.Errorf("self-check: %s", real.SelfCheck)
	}
	return nil
}

// stuckReason says why a case's workflow is stuck ("" when it is not):
// failed, terminated or timed out; a workflow task or an activity failing
// again and again; when finished is true, still running; otherwise,
// waiting with no timer.
func (d *driver) stuckReason(ctx context.Context, workflowID string, finished bool) string {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	desc, err := d.cl.TC.DescribeWorkflowExecution(dctx, workflowID, "")
	if err != nil {
		return "describe: " + err.Error()
	}
	st := desc.GetWorkflowExecutionInfo().GetStatus()
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return ""
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
	default:
		return "workflow " + st.String()
	}
	if t := desc.GetPendingWorkflowTask(); t != nil && t.GetAttempt() > 2 {
		return fmt.Sprintf("workflow task on attempt %d", t.GetAttempt())
	}
	for _, a := range desc.GetPendingActivities() {
		if a.GetAttempt() > 3 {
			return fmt.Sprintf("activity %s on attempt %d: %s", a.GetActivityType().GetName(), a.GetAttempt(), a.GetLastFailure().GetMessage())
		}
	}
	if finished {
		return "still running after its script ended"
	}
	// An open case waits for an input it expects (staff's, here) and
	// always on a timer too: its clocks. One with no timer would wait
	// for ever if the input never came.
	open := map[string]bool{}
	it := d.cl.TC.GetWorkflowHistory(dctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return "history: " + err.Error()
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			open[ev.GetTimerStartedEventAttributes().GetTimerId()] = true
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			delete(open, ev.GetTimerFiredEventAttributes().GetTimerId())
		case enumspb.EVENT_TYPE_TIMER_CANCELED:
			delete(open, ev.GetTimerCanceledEventAttributes().GetTimerId())
		}
	}
	if len(open) == 0 {
		return "waiting with no timer"
	}
	return ""
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}
