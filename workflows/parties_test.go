package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// mondayTen is Monday 23 November 2026, 10:00 in Shanghai: under the
// default profile the first_contact clock (1 business day) is due at the
// end of Tuesday the 24th.
var mondayTen = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)

// TestFirstContactMetByALoggedCall: a call nobody answered is no contact;
// the call that reached the customer three hours in meets the clock, on
// time, counted once in complaints_clock_met.
func TestFirstContactMetByALoggedCall(t *testing.T) {
	h := newHarness(t, nil)
	h.startAt("default", mondayTen)
	scope := h.withMetrics()
	h.at(2*hr, wf.UpdateLogCall, complaint.CallRequest{Actor: actor("agent-ann"), Outcome: complaint.CallNoAnswer, Note: "no answer"}, "")
	h.at(3*hr, wf.UpdateLogCall, complaint.CallRequest{Actor: actor("agent-ann"), Outcome: complaint.CallReached, Note: "apologised, explained the refund"}, "")
	h.at(4*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	fc := deadlineOf(t, st, complaint.ClockFirstContact)
	if !fc.Met || fc.Breached || fc.MetAt == nil || !fc.MetAt.Equal(mondayTen.Add(3*hr).UTC()) || local(fc.DueAt, shanghai) != "2026-11-24 23:59:59" {
		t.Fatalf("first_contact clock = %+v", fc)
	}
	if n := counted(scope, "complaints_clock_met", map[string]string{"clock": complaint.ClockFirstContact}); n != 1 {
		t.Errorf("complaints_clock_met{clock=first_contact} = %d, want 1", n)
	}
	if n := counted(scope, "complaints_clock_breaches", map[string]string{"clock": complaint.ClockFirstContact}); n != 0 {
		t.Errorf("first_contact breaches = %d", n)
	}
	if got := strings.Join(h.eventTimes("call_logged", shanghai), ","); got != "2026-11-23 12:00:00,2026-11-23 13:00:00" {
		t.Errorf("calls logged at %s", got)
	}
	if n := counted(scope, "complaints_calls_logged", map[string]string{"outcome": complaint.CallReached}); n != 1 {
		t.Errorf("complaints_calls_logged{outcome=reached} = %d", n)
	}
}

// TestFirstContactNotMetByTheAcknowledgement: the automatic
// acknowledgement goes out at once and meets the acknowledge clock, but
// nobody talks to the customer: first_contact warns at 50% and 80% and
// breaches at its due time, escalated to the supervisor, and counted.
func TestFirstContactNotMetByTheAcknowledgement(t *testing.T) {
	h := newHarness(t, nil)
	h.startAt("default", mondayTen)
	scope := h.withMetrics()
	h.at(3*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	if ack := deadlineOf(t, st, complaint.ClockAcknowledge); !ack.Met || ack.Breached {
		t.Fatalf("acknowledge clock = %+v", ack)
	}
	if got := h.notificationKinds("customer"); !strings.HasPrefix(strings.Join(got, ","), "acknowledgement") {
		t.Fatalf("customer messages %v", got)
	}
	fc := deadlineOf(t, st, complaint.ClockFirstContact)
	if fc.Met || !fc.Breached || fc.Warnings != 2 || fc.EscalatedTo != complaint.RoleSupervisor {
		t.Fatalf("first_contact clock = %+v", fc)
	}
	if n := counted(scope, "complaints_clock_breaches", map[string]string{"clock": complaint.ClockFirstContact}); n != 1 {
		t.Errorf("complaints_clock_breaches{clock=first_contact} = %d, want 1", n)
	}
	if n := counted(scope, "complaints_clock_warnings", map[string]string{"clock": complaint.ClockFirstContact}); n != 2 {
		t.Errorf("complaints_clock_warnings{clock=first_contact} = %d, want 2", n)
	}
	if breached, _ := h.caseFlags(); !breached {
		t.Error("case row not breached")
	}
}

// TestFirstContactMetByAnInformationRequest: a question staff write to the
// customer is a human contact too.
func TestFirstContactMetByAnInformationRequest(t *testing.T) {
	h := newHarness(t, nil)
	h.startAt("default", mondayTen)
	h.at(hr, wf.UpdateRequestInfo, complaint.InfoRequest{Actor: actor("agent-ann"), Question: "Which card was charged?"}, "")
	h.at(2*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if fc := deadlineOf(t, st, complaint.ClockFirstContact); !fc.Met || fc.Breached {
		t.Fatalf("first_contact clock = %+v", fc)
	}
}

// TestCallbackReminderFires: "call back tomorrow at 15:00" reminds the
// handler, and the agent who promised it, at 15:00 the next day, once;
// a callback promised later but due earlier is reminded first.
func TestCallbackReminderFires(t *testing.T) {
	h := newHarness(t, nil)
	h.startAt("default", mondayTen)
	tomorrow := time.Date(2026, 11, 24, 15, 0, 0, 0, shanghai)
	sooner := time.Date(2026, 11, 24, 11, 0, 0, 0, shanghai)
	h.at(hr, wf.UpdateLogCall, complaint.CallRequest{Actor: actor("agent-bob"), Outcome: complaint.CallBack, CallbackAt: &tomorrow, Note: "at work, call after 3pm"}, "")
	h.at(2*hr, wf.UpdateLogCall, complaint.CallRequest{Actor: actor("agent-ann"), Outcome: complaint.CallBack, CallbackAt: &sooner}, "")
	past := mondayTen.Add(-hr)
	h.at(3*hr, wf.UpdateLogCall, complaint.CallRequest{Actor: actor("agent-ann"), Outcome: complaint.CallBack, CallbackAt: &past}, "must be in the future")
	h.at(3*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	if got := strings.Join(h.eventTimes("callback_due", shanghai), ","); got != "2026-11-24 11:00:00,2026-11-24 15:00:00" {
		t.Fatalf("callbacks reminded at %s", got)
	}
	rcpt, bodies := h.notes("callback_due")
	if strings.Join(rcpt, ",") != "agent-ann,agent-ann,agent-bob" || !strings.Contains(bodies[1], "2026-11-24 15:00") {
		t.Errorf("reminders went to %v: %q", rcpt, bodies)
	}
	for _, cb := range st.Callbacks {
		if !cb.Done {
			t.Errorf("callback %+v not reminded", cb)
		}
	}
	// A callback promised is no contact made.
	if fc := deadlineOf(t, st, complaint.ClockFirstContact); fc.Met {
		t.Errorf("first_contact met by promising a callback: %+v", fc)
	}
}

// insertTarget registers the case a merge continues as, straight in the
// store.
func insertTarget(t *testing.T, st *store.Store, id string) string {
	t.Helper()
	c := complaint.Complaint{CaseID: id, Customer: complaint.Customer{ID: "cust-1", Name: "Li Lei", Email: "li@example.com"}, Channel: "email",
		Subject: "Charged twice", Description: "Same matter by email.", Language: "en", Profile: "default", ReceivedAt: time.Now().UTC()}
	number, err := st.InsertCase(context.Background(), store.NewCase{Complaint: c, WorkflowID: "complaint:" + id, Profile: "default",
		TokenHash: store.HashToken("target-token-" + id)})
	if err != nil {
		t.Fatal(err)
	}
	return number
}

// TestMergeEndsTheCaseAndTellsTheCustomer: an agent may not merge; a
// supervisor merges the case into the customer's other case: the workflow
// ends as merged, the row agrees (status, merged_into), the customer is
// told the number that continues, and nothing is accepted after.
func TestMergeEndsTheCaseAndTellsTheCustomer(t *testing.T) {
	h := newHarness(t, nil)
	target := "6f1c0a52-0000-4000-8000-0000000000ff"
	number := insertTarget(t, h.st, target)
	h.at(hr, wf.UpdateMerge, complaint.MergeRequest{Actor: actor("agent-ann"), Into: target, IntoNumber: number, Reason: "same customer by email"}, "supervisor")
	h.at(hr, wf.UpdateMerge, complaint.MergeRequest{Actor: actor("sup-sue"), Into: h.in.CaseID, Reason: "x"}, "itself")
	h.at(2*hr, wf.UpdateMerge, complaint.MergeRequest{Actor: actor("sup-sue"), Into: target, IntoNumber: number, Reason: "same customer by email"}, "")
	st := h.run()

	if st.Status != complaint.StatusMerged || st.MergedInto != target {
		t.Fatalf("final state %s into %q", st.Status, st.MergedInto)
	}
	var status, mergedInto string
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT status, coalesce(merged_into::text, '') FROM cases WHERE id = $1`, h.in.CaseID).Scan(&status, &mergedInto); err != nil {
		t.Fatal(err)
	}
	if status != complaint.StatusMerged || mergedInto != target {
		t.Errorf("case row %s into %q: Temporal and PostgreSQL disagree", status, mergedInto)
	}
	_, bodies := h.notes("merged")
	if len(bodies) != 1 || !strings.Contains(bodies[0], number) {
		t.Errorf("customer told %q, want the number %s", bodies, number)
	}
	if ev := h.events(); ev[len(ev)-1] != "merged" {
		t.Errorf("events %v", ev)
	}
	merged, err := h.st.MergedInto(context.Background(), target)
	if err != nil || len(merged) != 1 || merged[0].ID != h.in.CaseID {
		t.Errorf("cases merged into the target: %+v %v", merged, err)
	}
}

// TestMergeRacesAnApproval sends an approval and a merge in the same
// instant: exactly one wins, and the workflow and the case row agree on
// which.
func TestMergeRacesAnApproval(t *testing.T) {
	for _, mergeFirst := range []bool{true, false} {
		name := "approval first"
		if mergeFirst {
			name = "merge first"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil)
			target := "6f1c0a52-0000-4000-8000-0000000000fe"
			number := insertTarget(t, h.st, target)
			h.at(hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
			h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(50000), Message: "We refund."}, "")
			won := map[string]bool{}
			send := func(name string, arg any) {
				h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
					OnAccept: func() {}, OnReject: func(error) {},
					OnComplete: func(_ any, err error) { won[name] = err == nil },
				}, arg)
			}
			approve := complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}
			merge := complaint.MergeRequest{Actor: actor("sup-sam"), Into: target, IntoNumber: number, Reason: "same customer"}
			h.env.RegisterDelayedCallback(func() {
				if mergeFirst {
					send(wf.UpdateMerge, merge)
					send(wf.UpdateApproval, approve)
				} else {
					send(wf.UpdateApproval, approve)
					send(wf.UpdateMerge, merge)
				}
			}, 3*hr)
			// If the approval won, the customer ends the case.
			h.env.RegisterDelayedCallback(func() {
				if won[wf.UpdateApproval] {
					send(wf.UpdateWithdraw, complaint.WithdrawRequest{})
				}
			}, 5*hr)
			st := h.run()
			if won[wf.UpdateApproval] == won[wf.UpdateMerge] {
				t.Fatalf("approval won %v, merge won %v: want exactly one", won[wf.UpdateApproval], won[wf.UpdateMerge])
			}
			status, _, _ := h.caseRow()
			if won[wf.UpdateMerge] {
				if st.Status != complaint.StatusMerged || status != complaint.StatusMerged || len(h.ledger()) != 0 {
					t.Errorf("merge won: workflow %s, row %s, ledger %+v", st.Status, status, h.ledger())
				}
			} else if st.Status == complaint.StatusMerged || status == complaint.StatusMerged || len(h.ledger()) != 1 {
				t.Errorf("approval won: workflow %s, row %s, ledger %+v", st.Status, status, h.ledger())
			}
			if status != st.Status {
				t.Errorf("workflow %s, row %s", st.Status, status)
			}
		})
	}
}

// TestSplitStartsANewCase: a second filing on the same order was folded
// into the case as a repeat contact, but is another matter: a supervisor
// splits it off; a new case's workflow starts with the contact's data
// and registers itself, and the contact is marked split.
func TestSplitStartsANewCase(t *testing.T) {
	h := newHarness(t, nil)
	second := h.in
	second.CaseID = "6f1c0a52-0000-4000-8000-000000000002"
	second.Channel = "phone"
	second.Subject = "The delivery driver was rude"
	h.at(hr, wf.UpdateIntake, second, "")
	newID := "6f1c0a52-0000-4000-8000-0000000000aa"
	split := complaint.SplitRequest{Actor: actor("sup-sue"), ContactSeq: 1, NewCaseID: newID, Reason: "a different matter", Description: "The driver shouted at the customer."}
	h.at(2*hr, wf.UpdateSplit, complaint.SplitRequest{Actor: actor("agent-ann"), ContactSeq: 1, NewCaseID: newID, Reason: "x"}, "supervisor")
	h.at(2*hr, wf.UpdateSplit, complaint.SplitRequest{Actor: actor("sup-sue"), ContactSeq: 7, NewCaseID: newID, Reason: "x"}, "no repeat contact 7")
	h.at(3*hr, wf.UpdateSplit, split, "")
	h.at(4*hr, wf.UpdateSplit, split, "") // asked again: answered, nothing done twice
	h.at(5*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	// The new case outlives this one; the customer withdraws it too, so
	// the test environment has nothing left running.
	var childDone bool
	h.env.RegisterDelayedCallback(func() {
		err := h.env.UpdateWorkflowByID(wf.SplitWorkflowID(newID), wf.UpdateWithdraw, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("withdraw of the split case refused: %v", err) },
			OnComplete: func(_ any, err error) { childDone = err == nil },
		}, complaint.WithdrawRequest{})
		if err != nil {
			t.Errorf("the split case's workflow: %v", err)
		}
	}, 4*hr+30*time.Minute)
	st := h.run()
	if !childDone {
		t.Error("the split case's workflow did not take the withdrawal")
	}

	if len(st.RepeatContacts) != 1 || st.RepeatContacts[0].SplitInto != newID || st.RepeatContacts[0].Seq != 1 {
		t.Fatalf("repeat contacts %+v", st.RepeatContacts)
	}
	// The new case registered itself under its own workflow id, with the
	// contact's data and this case's customer.
	var subject, channel, customer, description, wfID string
	var received time.Time
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT subject, channel, customer_id, description, workflow_id, received_at FROM cases WHERE id = $1`, newID).
		Scan(&subject, &channel, &customer, &description, &wfID, &received); err != nil {
		t.Fatalf("the split case was not registered: %v", err)
	}
	if subject != second.Subject || channel != "phone" || customer != "cust-1" || description != split.Description ||
		wfID != wf.SplitWorkflowID(newID) || !received.Equal(h.in.ReceivedAt.Add(hr)) {
		t.Errorf("split case %q %q %q %q %q %s", subject, channel, customer, description, wfID, received)
	}
	if n := strings.Count(strings.Join(h.events(), ","), "contact_split"); n != 1 {
		t.Errorf("%d contact_split events", n)
	}
}

// TestPartiesAreRecordedAndAudited: staff filed the complaint for the
// customer (the first receiver, party 1); a handler adds the customer's
// daughter, authorised to act, updates her, adds a lawyer and removes
// him. The rows carry the personal data; the audit trail does not.
func TestPartiesAreRecordedAndAudited(t *testing.T) {
	h := newHarness(t, nil)
	h.in.EnteredBy = "agent-bob"
	daughter := complaint.PartyRequest{Kind: complaint.PartyRelative, Name: "Li Na", Relation: "daughter", Authorised: true, Phone: "+86 139 0000 0001"}
	h.at(hr, wf.UpdateParty, complaint.PartyDecision{Actor: actor("agent-ann"), Op: complaint.PartyAdd, Party: daughter}, "")
	daughter.Email = "na@example.com"
	h.at(2*hr, wf.UpdateParty, complaint.PartyDecision{Actor: actor("agent-ann"), Op: complaint.PartyUpdate, No: 2, Party: daughter}, "")
	h.at(3*hr, wf.UpdateParty, complaint.PartyDecision{Actor: actor("agent-ann"), Op: complaint.PartyAdd,
		Party: complaint.PartyRequest{Kind: complaint.PartyLawyer, Name: "Wang Fang"}}, "")
	h.at(4*hr, wf.UpdateParty, complaint.PartyDecision{Actor: actor("agent-ann"), Op: complaint.PartyRemove, No: 3}, "")
	h.at(5*hr, wf.UpdateParty, complaint.PartyDecision{Actor: actor("agent-ann"), Op: complaint.PartyRemove, No: 9}, "no party 9")
	h.at(5*hr, wf.UpdateParty, complaint.PartyDecision{Actor: actor("agent-ann"), Op: complaint.PartyAdd,
		Party: complaint.PartyRequest{Kind: complaint.PartyHandler}}, "staff_id")
	h.at(6*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()

	if st.PartyCount != 3 || len(st.Parties) != 2 || st.Parties[0].Kind != complaint.PartyFirstReceiver || st.Parties[0].StaffID != "agent-bob" {
		t.Fatalf("parties in the workflow %+v (count %d)", st.Parties, st.PartyCount)
	}
	ps, err := h.st.Parties(context.Background(), h.in.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].StaffID != "agent-bob" || ps[1].Name != "Li Na" || ps[1].Email != "na@example.com" || !ps[1].Authorised {
		t.Fatalf("party rows %+v", ps)
	}
	ev := strings.Join(h.events(), ",")
	if !strings.Contains(ev, "party_added,party_updated,party_added,party_removed") {
		t.Errorf("events %s", ev)
	}
	var payloads string
	if err := h.st.Pool.QueryRow(context.Background(), `SELECT string_agg(payload::text, ' ') FROM case_events WHERE case_id = $1 AND type LIKE 'party_%'`, h.in.CaseID).Scan(&payloads); err != nil {
		t.Fatal(err)
	}
	for _, pii := range []string{"Li Na", "139", "na@example.com", "Wang Fang"} {
		if strings.Contains(payloads, pii) {
			t.Errorf("the audit trail holds %q: %s", pii, payloads)
		}
	}
}
