package workflows_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/uber-go/tally/v4"
	sdktally "go.temporal.io/sdk/contrib/tally"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/testenv"
	"github.com/complaint-handling/complaints/worker"
	wf "github.com/complaint-handling/complaints/workflows"
)

// withMetrics gives the harness a fresh test environment whose workflow
// metrics go to a tally test scope, and returns the scope.
func (h *harness) withMetrics() tally.TestScope {
	h.t.Helper()
	scope := tally.NewTestScope("", nil)
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(testenv.Logger(h.t)))
	suite.SetMetricsHandler(sdktally.NewMetricsHandler(scope))
	e := suite.NewTestWorkflowEnvironment()
	e.SetStartTime(h.in.ReceivedAt)
	worker.Register(e, h.acts)
	h.env = e
	return scope
}

// counted sums a workflow counter's values whose tags include tags.
func counted(scope tally.TestScope, name string, tags map[string]string) int64 {
	var n int64
	for _, c := range scope.Snapshot().Counters() {
		if c.Name() != name {
			continue
		}
		match := true
		for k, v := range tags {
			match = match && c.Tags()[k] == v
		}
		if match {
			n += c.Value()
		}
	}
	return n
}

// caseFlags reads the case row's breached and at_risk flags.
func (h *harness) caseFlags() (breached, atRisk bool) {
	h.t.Helper()
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT breached, at_risk FROM cases WHERE id = $1`, h.in.CaseID).Scan(&breached, &atRisk); err != nil {
		h.t.Fatal(err)
	}
	return
}

// TestClockMetLateIsBreached: staff file a complaint received three days
// ago (a letter found late); the workflow acknowledges it at once, which
// met the 24-hour acknowledgement clock and counted it as on time in the
// case row, the reports and the metrics. Met late is a breach, counted
// once, and the monthly report counts it.
func TestClockMetLateIsBreached(t *testing.T) {
	h := newHarness(t, nil)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, shanghai) // a Thursday
	h.startAt("default", now.Add(-72*hr))
	h.in.EnteredBy = "agent-bob"
	scope := h.withMetrics()
	h.env.SetStartTime(now.UTC())
	h.at(1*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	ack := deadlineOf(t, st, complaint.ClockAcknowledge)
	if !ack.Met || !ack.Breached || ack.BreachedAt == nil || !ack.BreachedAt.Equal(ack.DueAt) {
		t.Fatalf("acknowledge clock met three days late: %+v", ack)
	}
	if breached, _ := h.caseFlags(); !breached {
		t.Error("case row not breached")
	}
	if n := counted(scope, "complaints_clock_breaches", map[string]string{"clock": complaint.ClockAcknowledge}); n != 1 {
		t.Errorf("acknowledge breaches counted %d times, want 1", n)
	}
	if n := counted(scope, "complaints_clock_met", map[string]string{"clock": complaint.ClockAcknowledge}); n != 0 {
		t.Errorf("a late acknowledgement counted %d times as met in time (the SLO's good events)", n)
	}
	rows, err := h.st.Monthly(context.Background(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "team", "Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Breaches != 1 {
		t.Errorf("monthly report = %+v, want one case, breached", rows)
	}
}

// TestClockMetInTimeIsCounted: an acknowledgement in time counts once in
// complaints_clock_met_total (the SLOs' good events, deploy/prometheus/
// slo.yml) and no breach.
func TestClockMetInTimeIsCounted(t *testing.T) {
	h := newHarness(t, nil)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, shanghai) // a Thursday
	h.startAt("default", now)
	scope := h.withMetrics()
	h.env.SetStartTime(now.UTC())
	h.at(1*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if ack := deadlineOf(t, st, complaint.ClockAcknowledge); !ack.Met || ack.Breached {
		t.Fatalf("acknowledge clock: %+v", ack)
	}
	if n := counted(scope, "complaints_clock_met", map[string]string{"clock": complaint.ClockAcknowledge, "profile": "default"}); n != 1 {
		t.Errorf("acknowledgement in time counted %d times, want 1", n)
	}
	if n := counted(scope, "complaints_clock_breaches", map[string]string{"clock": complaint.ClockAcknowledge}); n != 0 {
		t.Errorf("acknowledge breaches counted %d times, want 0", n)
	}
}

// TestAtRiskClearsWhenMetOrExtended: at_risk is raised by a warning and
// cleared when an extension moves the due time back before the warning
// points, and when the clock is met (it stayed set on a resolved case).
func TestAtRiskClearsWhenMetOrExtended(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps func(h *harness)
		// atRisk is the case row's flag at the end of the steps.
		atRisk bool
	}{
		{"warned, not met", func(h *harness) {}, true},
		{"warned, then extended", func(h *harness) {
			h.at(75*hr, wf.UpdateRequestExtension, complaint.ExtensionRequest{Actor: actor("agent-ann"), Clock: complaint.ClockResolve, Reason: "waiting for the bank"}, "")
			h.at(76*hr, wf.UpdateDecideExtension, complaint.ExtensionDecision{Actor: actor("sup-sue"), Clock: complaint.ClockResolve, Decision: "approve"}, "")
		}, false},
		{"warned, then resolved", func(h *harness) {
			h.at(75*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
			h.at(76*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: "Sorry."}, "")
			h.at(77*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("agent-bob"), Decision: "approve"}, "")
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			// Monday 10:00 in Shanghai: the first warning (50% of 5
			// working days) on Thursday 04:59.
			h.startAt("default", time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai))
			// The handler rang the customer at once: the first_contact
			// clock is met and plays no part in at_risk here.
			h.at(hr, wf.UpdateLogCall, complaint.CallRequest{Actor: actor("agent-ann"), Outcome: complaint.CallReached}, "")
			tc.steps(h)
			var warned bool
			h.env.RegisterDelayedCallback(func() {
				v, err := h.env.QueryWorkflow(wf.QueryState)
				var cur complaint.State
				if err == nil && v.Get(&cur) == nil {
					warned = cur.AtRisk
				}
			}, 74*hr)
			h.at(79*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
			st := h.run()
			if !warned {
				t.Fatal("not at risk after the warning")
			}
			if _, atRisk := h.caseFlags(); atRisk != tc.atRisk || st.AtRisk != tc.atRisk {
				t.Errorf("case row at_risk = %v, state %v, want %v", atRisk, st.AtRisk, tc.atRisk)
			}
			if got := deadlineOf(t, st, complaint.ClockResolve).Warnings; got == 0 && tc.name == "warned, not met" {
				t.Errorf("no warning raised")
			}
		})
	}
}

// TestAppealRunsItsOwnClock: the resolution clock was met by the first
// proposal, so an appeal ran with no clock. An appeal starts the
// profile's appeal clock (5 working days by default), which warns and
// breaches and escalates like the others, and is met by the appeal's
// resolution.
func TestAppealRunsItsOwnClock(t *testing.T) {
	t.Run("breached when nobody answers the appeal", func(t *testing.T) {
		h := newHarness(t, nil)
		h.startAt("default", time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)) // Monday
		h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
		h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: "Sorry."}, "")
		h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("agent-bob"), Decision: "approve"}, "")
		h.at(4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "An apology is not enough."}, "")
		h.at(12*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
		st := h.run()

		d := deadlineOf(t, st, complaint.ClockAppeal)
		// Appealed Monday 14:00: 5 working days end on Monday 30th.
		if local(d.StartAt, shanghai) != "2026-11-23 14:00:00" || local(d.DueAt, shanghai) != "2026-11-30 23:59:59" {
			t.Errorf("appeal clock %s -> %s", local(d.StartAt, shanghai), local(d.DueAt, shanghai))
		}
		if !d.Breached || d.Met || d.Warnings != 2 || d.EscalatedTo == "" {
			t.Errorf("appeal clock = %+v", d)
		}
		if !inOrder(h.events(), "appealed", "clock_warning", "clock_warning", "clock_breached", "withdrawn") {
			t.Errorf("events = %v", h.events())
		}
		if breached, atRisk := h.caseFlags(); !breached || !atRisk {
			t.Errorf("case row breached=%v at_risk=%v", breached, atRisk)
		}
	})
	t.Run("a breached appeal stays breached after the next appeal", func(t *testing.T) {
		h := newHarness(t, nil)
		h.startAt("default", time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)) // Monday
		h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
		h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: "Sorry."}, "")
		h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("agent-bob"), Decision: "approve"}, "")
		h.at(4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "An apology is not enough."}, "")
		// The appeal is answered late, on 3 December, and rejected again.
		h.at(10*24*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("sup-sam"), Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: "Sorry again."}, "")
		h.at(10*24*hr+hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
		h.at(10*24*hr+2*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "Still no."}, "")
		h.at(17*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
		st := h.run()
		var appeals []complaint.Deadline
		for _, d := range st.Deadlines {
			if d.Clock == complaint.ClockAppeal {
				appeals = append(appeals, d)
			}
		}
		if len(appeals) != 2 || !appeals[0].Breached || appeals[1].Breached || appeals[1].Met {
			t.Fatalf("appeal clocks = %+v", appeals)
		}
		if breached, _ := h.caseFlags(); !breached {
			t.Error("the first appeal's breach was lost from the case row")
		}
		// Progress reports during the second appeal give its due time,
		// not the resolution clock's (30 November, long met).
		_, bodies := h.notes("progress_update")
		if len(bodies) == 0 || !strings.Contains(bodies[len(bodies)-1], "2026-12-10 23:59") {
			t.Errorf("progress reports %q, want the last to give the appeal's due time", bodies)
		}
	})
	t.Run("met by the appeal's resolution", func(t *testing.T) {
		h := newHarness(t, nil)
		h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
		h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(10000), Message: "Refund 100."}, "")
		h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
		h.at(4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "I want 500"}, "")
		h.at(5*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("sup-sam"), Remedies: []complaint.Remedy{{Type: complaint.RemedyGoodwill, Amount: 20000, Currency: "CNY"}}, Message: "Extra goodwill."}, "")
		h.at(6*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
		h.at(7*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
		h.at(4*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 4}, "")
		st := h.run()
		d := deadlineOf(t, st, complaint.ClockAppeal)
		if !d.Met || d.Breached || d.MetAt == nil {
			t.Errorf("appeal clock = %+v", d)
		}
		if breached, atRisk := h.caseFlags(); breached || atRisk {
			t.Errorf("case row breached=%v at_risk=%v", breached, atRisk)
		}
	})
}

// TestDeadlinesOmitZeroTimes: a deadline's time with no value (the next
// warning of a met clock, the new due time of an extension granted while
// paused) is left out of the case's deadlines, not shown as
// 0001-01-01T00:00:00Z.
func TestDeadlinesOmitZeroTimes(t *testing.T) {
	h := newHarness(t, nil)
	h.at(1*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	b, err := json.Marshal(st.Deadlines)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "0001-01-01") {
		t.Errorf("deadlines show zero times: %s", b)
	}
}
