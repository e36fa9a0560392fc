package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// TestReopenedCaseClosesAgainWithItsOwnMessageAndSurvey: a repeat contact
// reopens a closed case whose survey was already sent; when it closes
// again the customer was never told (the closing message's outbox key was
// fixed per case, so the second was dropped as a duplicate), and no new
// survey, reminder or recovery task followed. Each closing now has its
// own message and survey round; opening the second survey closes the
// first, so the case has one open survey at a time.
func TestReopenedCaseClosesAgainWithItsOwnMessageAndSurvey(t *testing.T) {
	h := newHarness(t, nil)
	repeat := h.in
	repeat.CaseID = "6f1c0a52-0000-4000-8000-000000000098"
	repeat.Channel = "phone"
	apology := complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: "Sorry."}
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(2*hr, wf.UpdateProposal, apology, "")
	h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("agent-bob"), Decision: "approve"}, "")
	h.at(4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	// The first survey goes out 3 days after closing; the customer calls
	// again on day 4, and the case is handled and closed again.
	h.at(4*24*hr, wf.UpdateIntake, repeat, "")
	h.at(4*24*hr+1*hr, wf.UpdateProposal, apology, "")
	h.at(4*24*hr+2*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("agent-bob"), Decision: "approve"}, "")
	h.at(4*24*hr+3*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	// The second survey goes out on day 7, its reminder on day 11; a low
	// score on day 12 opens a recovery task.
	h.at(12*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 1, Comment: "Twice is too often."}, "")
	// Closed again, before its own survey: the first survey's link must
	// not answer for this closing.
	firstLink := store.HashToken(complaint.SurveyToken(h.acts.TokenSecret, h.in.CaseID, 1))
	var firstLinkAfterReopen error
	h.env.RegisterDelayedCallback(func() {
		_, firstLinkAfterReopen = h.st.GetCaseBySurveyToken(context.Background(), firstLink)
	}, 5*24*hr)
	st := h.run()
	if !errors.Is(firstLinkAfterReopen, store.ErrNotFound) {
		t.Errorf("the first survey's link after the case was reopened and closed: %v, want not found", firstLinkAfterReopen)
	}

	if st.Status != complaint.StatusClosed || st.SurveyStatus != complaint.SurveyAnswered || st.SurveyRound != 2 {
		t.Fatalf("state = %s survey %s round %d", st.Status, st.SurveyStatus, st.SurveyRound)
	}
	if !inOrder(h.events(), "closed", "survey_sent", "repeat_contact", "closed", "survey_sent", "survey_reminder", "survey_answered", "recovery_opened") {
		t.Errorf("events = %v", h.events())
	}
	customer := strings.Join(h.notificationKinds("customer"), ",")
	for kind, want := range map[string]int{"closed": 2, "survey": 2, "survey_reminder": 1} {
		if got := strings.Count(","+customer+",", ","+kind+","); got != want {
			t.Errorf("%d %s messages to the customer, want %d: %s", got, kind, want, customer)
		}
	}
	if got := strings.Count(strings.Join(h.notificationKinds("staff"), ","), "recovery_task"); got != 1 {
		t.Errorf("%d recovery task messages, want 1", got)
	}
	ctx := context.Background()
	rows, err := h.st.Pool.Query(ctx, `SELECT round, status FROM surveys WHERE case_id = $1 ORDER BY round`, h.in.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	var surveys []string
	for rows.Next() {
		var r int
		var s string
		_ = rows.Scan(&r, &s)
		surveys = append(surveys, fmt.Sprintf("%d:%s", r, s))
	}
	rows.Close()
	if strings.Join(surveys, ",") != "1:superseded,2:sent" {
		t.Errorf("surveys = %v, want the first superseded and the second open", surveys)
	}
	var round int
	if err := h.st.Pool.QueryRow(ctx, `SELECT round FROM recovery_tasks WHERE case_id = $1`, h.in.CaseID).Scan(&round); err != nil || round != 2 {
		t.Errorf("recovery task round %d, %v; want the second round's", round, err)
	}
	_, bodies := h.notes("survey")
	if len(bodies) != 2 || bodies[0] == bodies[1] {
		t.Errorf("survey links %q: want two different links", bodies)
	}
	// The first survey's link no longer finds the case; the second's does.
	for round, want := range map[int]error{1: store.ErrNotFound, 2: nil} {
		tok := complaint.SurveyToken(h.acts.TokenSecret, h.in.CaseID, round)
		if _, err := h.st.GetCaseBySurveyToken(ctx, store.HashToken(tok)); !errors.Is(err, want) {
			t.Errorf("round %d survey link: %v, want %v", round, err, want)
		}
	}
}
