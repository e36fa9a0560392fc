package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
	wf "github.com/complaint-handling/complaints/workflows"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	london, _   = time.LoadLocation("Europe/London")
	newYork, _  = time.LoadLocation("America/New_York")
)

// startAt makes the case received at t under profile.
func (h *harness) startAt(profile string, t time.Time) {
	h.in.Profile = profile
	h.in.ReceivedAt = t.UTC()
	h.env.SetStartTime(t.UTC())
}

// eventTimes returns when each audit event of a type happened, in loc.
func (h *harness) eventTimes(typ string, loc *time.Location) []string {
	h.t.Helper()
	rows, err := h.st.Pool.Query(context.Background(), `SELECT at FROM case_events WHERE case_id = $1 AND type = $2 ORDER BY seq`, h.in.CaseID, typ)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var at time.Time
		_ = rows.Scan(&at)
		out = append(out, at.In(loc).Format("2006-01-02 15:04:05"))
	}
	return out
}

// notes returns the recipient and body of the case's notifications of a
// kind.
func (h *harness) notes(kind string) (recipients, bodies []string) {
	h.t.Helper()
	rows, err := h.st.Pool.Query(context.Background(), `SELECT COALESCE(recipient, ''), body FROM notifications WHERE case_id = $1 AND kind = $2 ORDER BY id`, h.in.CaseID, kind)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r, b string
		_ = rows.Scan(&r, &b)
		recipients, bodies = append(recipients, r), append(bodies, b)
	}
	return
}

func deadlineOf(t *testing.T, st complaint.State, name string) complaint.Deadline {
	t.Helper()
	for _, d := range st.Deadlines {
		if d.Clock == name {
			return d
		}
	}
	t.Fatalf("no %s clock in %+v", name, st.Deadlines)
	return complaint.Deadline{}
}

func local(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04:05") }

// Received Monday 23 November 10:00 in Shanghai under the default profile
// (5 working days): due at the end of Monday 30th; nobody acts. Nobody
// talks to the customer either: the first_contact clock (1 business day,
// VersionParties) warns on Tuesday and breaches at its end, although the
// acknowledgement went out at once.
func TestClockWarningsAndBreachEscalate(t *testing.T) {
	h := newHarness(t, nil)
	h.startAt("default", time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai))
	h.at(10*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	d := deadlineOf(t, st, complaint.ClockResolve)
	if !d.Breached || d.EscalatedTo != complaint.RoleSupervisor || d.Warnings != 2 || local(d.DueAt, shanghai) != "2026-11-30 23:59:59" {
		t.Fatalf("resolve clock = %+v", d)
	}
	// Warnings at 50% and 80% of the counted time (134h of working days):
	// Thursday early morning and Friday night, never on the weekend.
	// first_contact's warnings on Tuesday, then resolve's.
	if got := h.eventTimes("clock_warning", shanghai); strings.Join(got, ",") != "2026-11-24 04:59:59,2026-11-24 16:23:59,2026-11-26 04:59:59,2026-11-27 21:11:59" {
		t.Errorf("warnings at %v", got)
	}
	if got := h.eventTimes("clock_breached", shanghai); strings.Join(got, ",") != "2026-11-24 23:59:59,2026-11-30 23:59:59" {
		t.Errorf("breach at %v", got)
	}
	if fc := deadlineOf(t, st, complaint.ClockFirstContact); !fc.Breached || fc.Met || fc.EscalatedTo != complaint.RoleSupervisor || fc.Warnings != 2 {
		t.Errorf("first_contact clock = %+v", fc)
	}
	rcpt, _ := h.notes("clock_warning")
	if strings.Join(rcpt, ",") != strings.Repeat("role:supervisor@billing,agent-ann,", 3)+"role:supervisor@billing,agent-ann" {
		t.Errorf("warnings went to %v", rcpt)
	}
	rcpt, _ = h.notes("clock_breached")
	if strings.Join(rcpt, ",") != "role:supervisor@billing,agent-ann,role:supervisor@billing,agent-ann" {
		t.Errorf("breach went to %v", rcpt)
	}
	var breached, atRisk bool
	var resolveDue time.Time
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT breached, at_risk, resolve_due_at FROM cases WHERE id = $1`, h.in.CaseID).Scan(&breached, &atRisk, &resolveDue)
	if !breached || !atRisk || !resolveDue.Equal(d.DueAt) {
		t.Errorf("case row breached=%v at_risk=%v resolve_due_at=%s", breached, atRisk, resolveDue)
	}
}

// An information request pauses the resolution clock until the customer
// answers; progress reports go out every 3 working days counted from the
// last message the customer got, and not while we wait for them.
func TestInfoRequestPausesClockAndProgressReports(t *testing.T) {
	h := newHarness(t, nil)
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)
	h.startAt("default", start)
	h.at(1*hr, wf.UpdateNote, complaint.NoteRequest{Actor: actor("agent-ann"), Text: "Checking the gateway log."}, "")
	// Wednesday 15:00: the agent asks; Thursday 11:00: the customer answers.
	h.at(53*hr, wf.UpdateRequestInfo, complaint.InfoRequest{Actor: actor("agent-ann"), Question: "Which card was charged?"}, "")
	h.at(73*hr, wf.UpdateCustomerInfo, complaint.CustomerInfo{Answer: "The Visa ending 4242."}, "")
	// Friday 4 December 12:00.
	h.at(11*24*hr+2*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	d := deadlineOf(t, st, complaint.ClockResolve)
	// 53h of the 134h were used before the pause; the 81h left, counted
	// from Thursday 11:00, end on Tuesday 1 December (end of day).
	if local(d.DueAt, shanghai) != "2026-12-01 23:59:59" || d.PausedFor.Std() != 20*time.Hour || d.Paused {
		t.Errorf("resolve clock after the pause: due %s paused for %v paused=%v", local(d.DueAt, shanghai), d.PausedFor, d.Paused)
	}
	// The acknowledgement clock was met before and did not move.
	if a := deadlineOf(t, st, complaint.ClockAcknowledge); !a.Met || a.PausedFor != 0 {
		t.Errorf("acknowledge clock %+v", a)
	}
	var payload string
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT payload::text FROM case_events WHERE case_id = $1 AND type = 'info_requested'`, h.in.CaseID).Scan(&payload)
	if !strings.Contains(payload, `"clocks_paused": ["resolve"]`) {
		t.Errorf("info_requested payload %s", payload)
	}
	// Without the request a report would have gone on Thursday 26th 10:00;
	// the request itself was news, so the first report is 3 working days
	// after it, then every 3 working days.
	if got := h.eventTimes("progress_report", shanghai); strings.Join(got, ",") != "2026-11-30 15:00:00,2026-12-03 15:00:00" {
		t.Errorf("progress reports at %v", got)
	}
	_, bodies := h.notes("progress_update")
	if len(bodies) != 2 || !strings.Contains(bodies[0], "under investigation") || !strings.Contains(bodies[0], "2026-12-01 23:59 CST") {
		t.Errorf("progress report bodies %q", bodies)
	}
}

// cn-banking-insurance: 15 days, extended to 30 by a supervisor and to 60
// by a manager, each asked for by one person and granted by another.
func TestExtensionsApprovedAndRefused(t *testing.T) {
	h := newHarness(t, nil)
	h.startAt("cn-banking-insurance", time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai))
	ext := func(who, clk, reason string) complaint.ExtensionRequest {
		return complaint.ExtensionRequest{Actor: actor(who), Clock: clk, Reason: reason}
	}
	decide := func(who, decision, comment string) complaint.ExtensionDecision {
		return complaint.ExtensionDecision{Actor: actor(who), Clock: complaint.ClockResolve, Decision: decision, Comment: comment}
	}
	h.at(1*hr, wf.UpdateRequestExtension, ext("agent-ann", "respond", "x"), "no \"respond\" clock")
	h.at(1*hr, wf.UpdateRequestExtension, ext("agent-ann", complaint.ClockResolve, ""), "reason")
	h.at(1*hr, wf.UpdateRequestExtension, ext("agent-ann", complaint.ClockAcknowledge, "x"), "already met")
	h.at(2*hr, wf.UpdateDecideExtension, decide("sup-sue", "approve", ""), "no extension of the resolve clock is awaiting")
	h.at(3*hr, wf.UpdateRequestExtension, ext("agent-ann", complaint.ClockResolve, "we need the insurer's loss assessment"), "")
	h.at(3*hr+time.Minute, wf.UpdateRequestExtension, ext("agent-bob", complaint.ClockResolve, "again"), "already awaiting a decision")
	h.at(4*hr, wf.UpdateDecideExtension, decide("agent-bob", "approve", ""), "needs a supervisor or above")
	h.at(5*hr, wf.UpdateDecideExtension, decide("sup-sue", "reject", ""), "comment")
	h.at(6*hr, wf.UpdateDecideExtension, decide("sup-sue", "reject", "ask the insurer for a date first"), "")
	h.at(30*hr, wf.UpdateRequestExtension, ext("agent-ann", complaint.ClockResolve, "the insurer's loss assessment is due on 20 November"), "")
	h.at(31*hr, wf.UpdateDecideExtension, decide("sup-sue", "approve", "complex case"), "")
	h.at(5*24*hr, wf.UpdateRequestExtension, ext("mgr-mia", complaint.ClockResolve, "an independent engineer must inspect the property"), "")
	h.at(5*24*hr+hr, wf.UpdateDecideExtension, decide("mgr-mia", "approve", ""), "nobody approves their own")
	h.at(5*24*hr+2*hr, wf.UpdateDecideExtension, decide("sup-sam", "approve", ""), "needs a manager or above")
	h.at(5*24*hr+3*hr, wf.UpdateDecideExtension, decide("mgr-max", "approve", ""), "")
	h.at(6*24*hr, wf.UpdateRequestExtension, ext("agent-ann", complaint.ClockResolve, "more"), "every extension the profile allows (2)")
	h.at(7*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	d := deadlineOf(t, st, complaint.ClockResolve)
	if len(d.Extensions) != 2 || d.Extensions[0].ApprovedBy != "sup-sue" || d.Extensions[1].ApprovedBy != "mgr-max" || d.Extensions[1].Label != "especially complex" {
		t.Fatalf("extensions %+v", d.Extensions)
	}
	if local(d.Extensions[0].From, shanghai) != "2026-11-17 23:59:59" || local(d.Extensions[0].To, shanghai) != "2026-12-02 23:59:59" {
		t.Errorf("first extension %s -> %s", local(d.Extensions[0].From, shanghai), local(d.Extensions[0].To, shanghai))
	}
	// 60 days from 2 November: the end of 1 January 2027, beyond the 2026
	// calendar, so marked provisional.
	if local(d.DueAt, shanghai) != "2027-01-01 23:59:59" || !d.Provisional || d.Pending != nil {
		t.Errorf("due %s provisional=%v pending=%v", local(d.DueAt, shanghai), d.Provisional, d.Pending)
	}
	if !inOrder(h.events(), "extension_requested", "extension_refused", "extension_requested", "clock_extended", "extension_requested", "clock_extended", "withdrawn") {
		t.Errorf("events %v", h.events())
	}
	_, bodies := h.notes("deadline_extended")
	if len(bodies) != 2 || !strings.Contains(bodies[0], "2026-12-02 23:59 CST") || !strings.Contains(bodies[1], "independent engineer") {
		t.Errorf("customer extension notices %q", bodies)
	}
	if rcpt, _ := h.notes("extension_refused"); strings.Join(rcpt, ",") != "agent-ann" {
		t.Errorf("refusal went to %v", rcpt)
	}
}

// A CFPB case: received on a Friday afternoon in New York, answered with a
// question within 15 days (the company response) and resolved within 60.
func TestCFPBCaseEndToEnd(t *testing.T) {
	h := newHarness(t, nil)
	h.in.Language = "en"
	h.startAt("us-cfpb", time.Date(2026, 11, 20, 16, 0, 0, 0, newYork))
	h.at(24*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(4*24*hr, wf.UpdateRequestInfo, complaint.InfoRequest{Actor: actor("agent-ann"), Question: "Please confirm the statement date."}, "")
	h.at(6*24*hr, wf.UpdateCustomerInfo, complaint.CustomerInfo{Answer: "12 November."}, "")
	h.at(20*24*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(12000), Message: "We refund the late fee."}, "")
	h.at(20*24*hr+hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(21*24*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	h.at(26*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 4}, "")
	st := h.run()

	fr := deadlineOf(t, st, complaint.ClockFirstResponse)
	if local(fr.DueAt, newYork) != "2026-12-05 23:59:59" || !fr.Met || fr.Breached || local(*fr.MetAt, newYork) != "2026-11-24 16:00:00" {
		t.Errorf("first response %+v", fr)
	}
	res := deadlineOf(t, st, complaint.ClockResolve)
	if local(res.DueAt, newYork) != "2027-01-19 23:59:59" || !res.Met || res.Breached || res.PausedFor != 0 {
		t.Errorf("resolve %+v (CFPB clocks do not pause)", res)
	}
	if st.Outcome != "accepted" || st.SurveyStatus != complaint.SurveyAnswered {
		t.Errorf("outcome %s survey %s", st.Outcome, st.SurveyStatus)
	}
	_, ack := h.notes("acknowledgement")
	if len(ack) != 1 || !strings.Contains(ack[0], "2027-01-19 23:59 EST") {
		t.Errorf("acknowledgement %q", ack)
	}
}

// An FCA case nobody resolves in 8 weeks: warnings at 4 weeks and at
// 80%, then the breach sends the customer the holding response with the
// route to the Financial Ombudsman Service; the case is then resolved.
func TestFCACaseEndToEnd(t *testing.T) {
	h := newHarness(t, nil)
	h.in.Language = "en"
	h.startAt("uk-fca-disp", time.Date(2026, 11, 23, 10, 0, 0, 0, london))
	h.at(59*24*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(60*24*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(8000), Message: "We refund the charge."}, "")
	h.at(60*24*hr+hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(61*24*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	h.at(66*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 3}, "")
	st := h.run()

	res := deadlineOf(t, st, complaint.ClockResolve)
	if !res.Breached || res.Met || local(res.DueAt, london) != "2027-01-18 23:59:59" {
		t.Errorf("resolve %+v", res)
	}
	if sum := deadlineOf(t, st, complaint.ClockSummaryResolution); sum.Breached || !sum.Advisory || local(sum.DueAt, london) != "2026-11-26 23:59:59" {
		t.Errorf("summary resolution %+v", sum)
	}
	// Nobody talked to the customer for 59 days: the first_contact
	// clock breached at the end of the next business day.
	if got := h.eventTimes("clock_breached", london); strings.Join(got, ",") != "2026-11-24 23:59:59,2027-01-18 23:59:59" {
		t.Errorf("breaches at %v", got)
	}
	if got := h.eventTimes("clock_warning", london); len(got) != 4 || got[2] != "2026-12-21 16:59:59" {
		t.Errorf("warnings at %v", got)
	}
	_, hold := h.notes("holding_response")
	if len(hold) != 1 || !strings.Contains(hold[0], "Financial Ombudsman Service") {
		t.Errorf("holding response %q", hold)
	}
	if st.Outcome != "accepted" {
		t.Errorf("outcome %s", st.Outcome)
	}
}

// The profile snapshot travels with the case: every deadline keeps the
// calendar version the case started with.
func TestCaseKeepsItsCalendarSnapshot(t *testing.T) {
	h := newHarness(t, nil)
	h.startAt("default", time.Date(2026, 9, 29, 10, 0, 0, 0, shanghai))
	// A calendar version loaded later (National Day cancelled, say) must
	// not move this case's deadlines.
	cal, err := h.st.Calendar(context.Background(), "cn-mainland")
	if err != nil {
		t.Fatal(err)
	}
	h.env.RegisterDelayedCallback(func() {
		changed := cal
		changed.Holidays = nil
		if _, err := h.st.PutCalendar(context.Background(), changed, "test"); err != nil {
			t.Error(err)
		}
	}, hr)
	h.at(2*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if st.Clocks.Calendar.Version != 1 || len(st.Clocks.Calendar.Holidays) == 0 {
		t.Errorf("snapshot version %d with %d holidays", st.Clocks.Calendar.Version, len(st.Clocks.Calendar.Holidays))
	}
	if d := deadlineOf(t, st, complaint.ClockResolve); local(d.DueAt, shanghai) != "2026-10-12 23:59:59" {
		t.Errorf("due %s", local(d.DueAt, shanghai))
	}
	now, err := h.st.Calendar(context.Background(), "cn-mainland")
	if err != nil || now.Version != 2 || len(now.Holidays) != 0 {
		t.Errorf("stored calendar now version %d (%v)", now.Version, err)
	}
	var _ clock.Calendar = now
}

// An FCA case resolved by the end of the 3rd business day gets a summary
// resolution communication naming the ombudsman; one resolved later gets
// the ordinary resolution.
func TestFCASummaryResolution(t *testing.T) {
	for _, tt := range []struct {
		after time.Duration
		kind  string
	}{{2 * 24 * hr, "summary_resolution"}, {5 * 24 * hr, "resolution"}} {
		t.Run(tt.kind, func(t *testing.T) {
			h := newHarness(t, nil)
			h.in.Language = "en"
			// Monday 10:00 London: the window ends on Thursday at midnight.
			h.startAt("uk-fca-disp", time.Date(2026, 11, 23, 10, 0, 0, 0, london))
			h.at(tt.after-2*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
			h.at(tt.after-hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(8000), Message: "We refund the charge."}, "")
			h.at(tt.after, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
			h.at(tt.after+24*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
			h.at(tt.after+5*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 4}, "")
			h.run()
			_, bodies := h.notes(tt.kind)
			if len(bodies) != 1 {
				t.Fatalf("%s messages: %q", tt.kind, bodies)
			}
			if fos := strings.Contains(bodies[0], "Financial Ombudsman Service"); fos != (tt.kind == "summary_resolution") {
				t.Errorf("ombudsman named = %v in %q", fos, bodies[0])
			}
		})
	}
}
