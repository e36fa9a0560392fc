package workflows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	wf "github.com/complaint-handling/complaints/workflows"
)

// TestReversalFailureGoesToAPerson: the goodwill payment is declined, and
// the provider also refuses to reverse the refund already paid. The
// workflow must not fail (the case row would stay executing for ever):
// the refund is flagged reversal_failed on the case and in its audit
// trail, the supervisor is told, and the case goes on to a new plan.
func TestReversalFailureGoesToAPerson(t *testing.T) {
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/reversals" || strings.Contains(r.Header.Get("Idempotency-Key"), "p1-r2:") {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer provider.Close()
	h := newHarness(t, nil)
	h.acts.Payments = activities.HTTPPayments{BaseURL: provider.URL, Ledger: activities.LedgerPayments{Store: h.st}}
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{
		{Type: complaint.RemedyRefund, Amount: 300_00, Currency: "CNY"}, {Type: complaint.RemedyGoodwill, Amount: 100_00, Currency: "CNY"}}, Message: "Refund and goodwill."}, "")
	h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	// The refund stands (nobody could reverse it): the new plan is an apology.
	h.at(5*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: "Sorry."}, "")
	h.at(6*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sam"), Decision: "approve"}, "")
	h.at(7*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	st := h.run()
	if st.Outcome != "accepted" {
		t.Fatalf("outcome = %s", st.Outcome)
	}
	if !slices.Equal(st.ReversalFailed, []string{"p1-r1"}) {
		t.Errorf("state's reversal_failed = %v, want [p1-r1]", st.ReversalFailed)
	}
	var flagged bool
	var payload string
	ctx := context.Background()
	if err := h.st.Pool.QueryRow(ctx, `SELECT reversal_failed FROM cases WHERE id = $1`, h.in.CaseID).Scan(&flagged); err != nil || !flagged {
		t.Errorf("case row reversal_failed = %v, %v", flagged, err)
	}
	if err := h.st.Pool.QueryRow(ctx, `SELECT payload->>'reversal_failed' FROM case_events WHERE case_id = $1 AND type = 'execution_failed'`,
		h.in.CaseID).Scan(&payload); err != nil || !strings.Contains(payload, "p1-r1") {
		t.Errorf("audit trail's execution_failed names %q, %v; want p1-r1", payload, err)
	}
	if got := h.notificationKinds("staff"); !slices.Contains(got, "reversal_failed") {
		t.Errorf("staff not told of the failed reversal: %v", got)
	}
	if got := h.notificationKinds("customer"); !slices.Contains(got, "execution_failed_pending") {
		t.Errorf("customer notifications = %v, want execution_failed_pending", got)
	}
}

func fulfilmentRow(t *testing.T, h *harness, remedyID string) (status, note string) {
	t.Helper()
	err := h.st.Pool.QueryRow(context.Background(), `SELECT status, COALESCE(note, '') FROM fulfilments WHERE case_id = $1 AND remedy_id = $2`,
		h.in.CaseID, remedyID).Scan(&status, &note)
	if err != nil {
		t.Fatal(err)
	}
	return status, note
}

// TestFulfilmentIsWaitedFor: a replacement is ordered, not done, when the
// remedies are executed; the case waits (fulfilling) until staff mark it
// shipped and done, and only then asks the customer to confirm.
func TestFulfilmentIsWaitedFor(t *testing.T) {
	h := newHarness(t, nil)
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{
		{Type: complaint.RemedyReplacement, Note: "new meter"}, {Type: complaint.RemedyApology}}, Message: "We replace the meter."}, "")
	h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	// Too early for the customer: the case is waiting for the replacement.
	h.at(4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "no resolution is waiting")
	h.at(5*hr, wf.UpdateFulfilment, complaint.FulfilmentRequest{Actor: actor("agent-bob"), RemedyID: "p1-r1", State: complaint.FulfilmentShipped}, "only the handler")
	h.at(6*hr, wf.UpdateFulfilment, complaint.FulfilmentRequest{Actor: actor("agent-ann"), RemedyID: "p1-r2", State: complaint.FulfilmentShipped}, "no replacement or repair")
	h.at(7*hr, wf.UpdateFulfilment, complaint.FulfilmentRequest{Actor: actor("agent-ann"), RemedyID: "p1-r1", State: complaint.FulfilmentShipped, Note: "SF123"}, "")
	h.at(8*hr, wf.UpdateFulfilment, complaint.FulfilmentRequest{Actor: actor("agent-ann"), RemedyID: "p1-r1", State: complaint.FulfilmentShipped}, "cannot become shipped")
	h.at(30*hr, wf.UpdateFulfilment, complaint.FulfilmentRequest{Actor: actor("sup-sue"), RemedyID: "p1-r1", State: complaint.FulfilmentDone}, "")
	h.at(31*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	st := h.run()
	if st.Outcome != "accepted" {
		t.Fatalf("outcome = %s", st.Outcome)
	}
	ev := h.events()
	if !inOrder(ev, "approval_given", "fulfilment_ordered", "fulfilment_shipped", "fulfilment_done", "executed", "closed") {
		t.Errorf("events = %v", ev)
	}
	if status, _ := fulfilmentRow(t, h, "p1-r1"); status != complaint.FulfilmentDone {
		t.Errorf("replacement's row = %s, want done", status)
	}
	if status, _ := fulfilmentRow(t, h, "p1-r2"); status != complaint.FulfilmentDone {
		t.Errorf("apology's row = %s, want done", status)
	}
	if got := h.notificationKinds("customer"); !inOrder(got, "fulfilment_ordered", "resolution") {
		t.Errorf("customer notifications = %v", got)
	}
}

// TestFulfilmentClockAndFailure: nobody delivers the repair; the
// fulfilment clock warns the handler and then breaches to the supervisor;
// the repair then fails, and the case returns to its handler for a new
// plan.
func TestFulfilmentClockAndFailure(t *testing.T) {
	h := newHarness(t, nil)
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{{Type: complaint.RemedyRepair}}, Message: "We repair it."}, "")
	h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(20*24*hr, wf.UpdateFulfilment, complaint.FulfilmentRequest{Actor: actor("agent-ann"), RemedyID: "p1-r1", State: complaint.FulfilmentFailed}, "say why")
	h.at(20*24*hr+hr, wf.UpdateFulfilment, complaint.FulfilmentRequest{Actor: actor("agent-ann"), RemedyID: "p1-r1", State: complaint.FulfilmentFailed, Note: "no parts"}, "")
	h.at(20*24*hr+2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(100_00), Message: "Refund instead."}, "")
	h.at(20*24*hr+3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(20*24*hr+4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	st := h.run()
	if st.Outcome != "accepted" {
		t.Fatalf("outcome = %s", st.Outcome)
	}
	ev := h.events()
	if !inOrder(ev, "fulfilment_ordered", "fulfilment_warning", "fulfilment_breached", "fulfilment_failed", "proposed", "executed", "closed") {
		t.Errorf("events = %v", ev)
	}
	if status, note := fulfilmentRow(t, h, "p1-r1"); status != complaint.FulfilmentFailed || note != "no parts" {
		t.Errorf("repair's row = %s %q", status, note)
	}
	if got := h.notificationKinds("customer"); !slices.Contains(got, "fulfilment_failed") {
		t.Errorf("customer notifications = %v", got)
	}
	// The decision reached the customer when the repair was ordered: the
	// resolution clock is met, not breached by the slow repair.
	for _, d := range st.Deadlines {
		if d.Clock == complaint.ClockResolve && (!d.Met || d.Breached) {
			t.Errorf("resolve clock met=%v breached=%v", d.Met, d.Breached)
		}
	}
	if st.Compensation != 100_00 {
		t.Errorf("compensation = %d, want the refund only", st.Compensation)
	}
}
