package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
	"github.com/complaint-handling/complaints/worker"
	wf "github.com/complaint-handling/complaints/workflows"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// harness runs one ComplaintWorkflow in the SDK's time-skipping test
// environment with the real activities on a fresh PostgreSQL database.
type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	st    *store.Store
	acts  *activities.Activities
	in    complaint.Complaint
	steps []step
	// version, when set, starts the case on that code version instead
	// of wf.CurrentVersion.
	version int
	// input, when set, changes the workflow's Input (its version, the
	// classification the API made) before it starts.
	input func(*wf.Input)
}

type step struct {
	at   time.Duration
	name string
	arg  any
	// want is "" for acceptance, else a substring of the rejection or
	// handler error.
	want string
}

var staff = []struct{ id, role, team string }{
	{"agent-ann", complaint.RoleAgent, "billing"},
	{"agent-bob", complaint.RoleAgent, "billing"},
	{"sup-sue", complaint.RoleSupervisor, "billing"},
	{"sup-sam", complaint.RoleSupervisor, "billing"},
	{"mgr-max", complaint.RoleManager, "billing"},
	{"mgr-mia", complaint.RoleManager, "billing"},
	{"dir-dee", complaint.RoleDirector, "billing"},
	{"dir-dan", complaint.RoleDirector, "billing"},
}

func newHarness(t *testing.T, payments activities.Payments) *harness {
	t.Helper()
	h := newHarnessOn(t, env.NewStore(t))
	if payments != nil {
		h.acts.Payments = payments
	}
	return h
}

// newHarnessOn builds a harness on an existing store (a second run of the
// same case).
func newHarnessOn(t *testing.T, st *store.Store, opts ...func(*testsuite.WorkflowTestSuite)) *harness {
	t.Helper()
	var payments activities.Payments
	ctx := context.Background()
	for _, s := range staff {
		if _, err := st.RegisterStaff(ctx, s.id, s.id, s.role, s.team); err != nil {
			t.Fatal(err)
		}
	}
	if payments == nil {
		payments = activities.LedgerPayments{Store: st}
	}
	acts := &activities.Activities{
		Store: st, Payments: payments, Notifier: activities.OutboxNotifier{Store: st},
		Profiles: complaint.Profiles(), Authority: complaint.DefaultAuthority(), TokenSecret: []byte("test-secret-test-secret-test-secret"),
		Logger: testenv.Logger(t),
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(testenv.Logger(t)))
	for _, o := range opts {
		o(&suite)
	}
	e := suite.NewTestWorkflowEnvironment()
	e.SetStartTime(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) // a Monday
	worker.Register(e, acts)
	// Checks that read PostgreSQL from delayed callbacks run inside the
	// workflow's turn, and the machine running the tests is shared: the
	// deadlock detector's default second is too short for both.
	e.SetWorkerOptions(sdkworker.Options{DeadlockDetectionTimeout: time.Minute})
	in := complaint.Complaint{
		CaseID:        "6f1c0a52-0000-4000-8000-000000000001",
		Customer:      complaint.Customer{ID: "cust-1", Name: "Li Lei", Phone: "+86 138 0000 0000", Email: "li@example.com"},
		Channel:       "web",
		Subject:       "Charged twice for my order",
		Description:   "I was double charged on my bill for order A-100.",
		DesiredRemedy: "refund the extra charge",
		OrderRef:      "A-100",
		Language:      "en",
		Profile:       "default",
		ReceivedAt:    time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
	}
	return &harness{t: t, env: e, st: st, acts: acts, in: in}
}

func (h *harness) at(d time.Duration, name string, arg any, want string) {
	h.steps = append(h.steps, step{at: d, name: name, arg: arg, want: want})
}

func actor(id string) complaint.Actor {
	for _, s := range staff {
		if s.id == id {
			return complaint.Actor{ID: s.id, Role: s.role, Team: s.team}
		}
	}
	panic("unknown staff " + id)
}

// run executes the workflow with the scripted updates and returns the final
// state; each step's outcome is checked against its want.
func (h *harness) run() complaint.State {
	h.t.Helper()
	for i := range h.steps {
		s := h.steps[i]
		h.env.RegisterDelayedCallback(func() {
			h.env.UpdateWorkflow(s.name, "", &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) {
					if s.want == "" {
						h.t.Errorf("step %d (%s at %s) rejected: %v", i, s.name, s.at, err)
					} else if !strings.Contains(err.Error(), s.want) {
						h.t.Errorf("step %d (%s) rejected with %q, want %q", i, s.name, err, s.want)
					}
				},
				OnComplete: func(_ any, err error) {
					if err != nil && (s.want == "" || !strings.Contains(err.Error(), s.want)) {
						h.t.Errorf("step %d (%s) failed: %v", i, s.name, err)
					}
					if err == nil && s.want != "" {
						h.t.Errorf("step %d (%s) succeeded, want rejection %q", i, s.name, s.want)
					}
				},
			}, s.arg)
		}, s.at)
	}
	in := wf.NewInput(h.in)
	if h.version != 0 {
		in.Version = h.version
	}
	if h.input != nil {
		h.input(&in)
	}
	h.env.ExecuteWorkflow(wf.WorkflowName, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	var st complaint.State
	if err := h.env.GetWorkflowResult(&st); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	return st
}

// events returns the case's audit event types in order.
func (h *harness) events() []string {
	h.t.Helper()
	rows, err := h.st.Pool.Query(context.Background(), `SELECT type FROM case_events WHERE case_id = $1 ORDER BY seq`, h.in.CaseID)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func (h *harness) caseRow() (status, outcome string, survey *string) {
	h.t.Helper()
	err := h.st.Pool.QueryRow(context.Background(), `SELECT status, COALESCE(outcome, ''), survey_status FROM cases WHERE id = $1`, h.in.CaseID).
		Scan(&status, &outcome, &survey)
	if err != nil {
		h.t.Fatal(err)
	}
	return
}

func (h *harness) ledger() []store.LedgerEntry {
	h.t.Helper()
	l, err := h.st.LedgerForCase(context.Background(), h.in.CaseID)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

func (h *harness) notificationKinds(audience string) []string {
	h.t.Helper()
	rows, err := h.st.Pool.Query(context.Background(), `SELECT kind FROM notifications WHERE case_id = $1 AND audience = $2 ORDER BY id`, h.in.CaseID, audience)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

var findings = complaint.Findings{Cause: "billing.duplicate", CauseDetail: "billing.duplicate.gateway_retry", Responsibility: "company",
	ResponsibleUnit: "payments", Summary: "The payment gateway retried and charged twice."}

func refund(amount int64) []complaint.Remedy {
	return []complaint.Remedy{{Type: complaint.RemedyRefund, Amount: amount, Currency: "CNY"}, {Type: complaint.RemedyApology}}
}

const hr = time.Hour

func TestHappyPath(t *testing.T) {
	h := newHarness(t, nil)
	h.at(1*hr, wf.UpdateNote, complaint.NoteRequest{Actor: actor("agent-ann"), Text: "Called the customer; checked the gateway log."}, "")
	h.at(2*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(3*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(50000), Message: "We refund the duplicate charge."}, "")
	h.at(4*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(6*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	h.at(4*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 5, Comment: "quick"}, "")
	st := h.run()

	if st.Status != complaint.StatusClosed || st.SurveyStatus != complaint.SurveyAnswered || st.Outcome != "accepted" {
		t.Fatalf("final state = %s/%s/%s", st.Status, st.SurveyStatus, st.Outcome)
	}
	if !strings.HasPrefix(st.CaseNumber, "CMP-20260302-") {
		t.Errorf("case number = %q", st.CaseNumber)
	}
	want := []string{"received", "classified", "acknowledged", "note", "findings", "proposed", "approval_given", "executed", "closed", "survey_sent", "survey_answered"}
	if got := h.events(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events = %v\nwant     %v", got, want)
	}
	l := h.ledger()
	if len(l) != 1 || l[0].Amount != 50000 || l[0].Kind != "payout" {
		t.Errorf("ledger = %+v", l)
	}
	status, outcome, survey := h.caseRow()
	if status != complaint.StatusClosed || outcome != "accepted" || survey == nil || *survey != complaint.SurveyAnswered {
		t.Errorf("case row = %s %s %v", status, outcome, survey)
	}
	if got := h.notificationKinds("customer"); strings.Join(got, ",") != "acknowledgement,resolution,closed,survey" {
		t.Errorf("customer notifications = %v", got)
	}
	for _, d := range st.Deadlines {
		if !d.Met || d.Breached {
			t.Errorf("deadline %s: met=%v breached=%v", d.Clock, d.Met, d.Breached)
		}
	}
}

func TestRefusalNeedsSupervisor(t *testing.T) {
	h := newHarness(t, nil)
	refusal := complaint.ProposalRequest{Actor: actor("agent-ann"), RefusalReason: "The charge was correct: two separate orders.", Message: "We have checked carefully..."}
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: complaint.Findings{Cause: "billing.none", CauseDetail: "billing.none.two_orders", Responsibility: "customer", Summary: "Two orders."}}, "")
	h.at(2*hr, wf.UpdateProposal, refusal, "")
	h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("agent-bob"), Decision: "approve"}, "refusal needs a supervisor")
	h.at(4*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(5*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	h.at(30*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 3}, "survey is not open")
	st := h.run()
	if st.Outcome != "accepted" || st.SurveyStatus != complaint.SurveyExpired {
		t.Fatalf("state = %s %s", st.Outcome, st.SurveyStatus)
	}
	if l := h.ledger(); len(l) != 0 {
		t.Errorf("a refusal paid: %+v", l)
	}
	if got := h.notificationKinds("customer"); !strings.Contains(strings.Join(got, ","), "refusal") {
		t.Errorf("customer notifications = %v", got)
	}
}

func TestAppealToLastLevelThenFinalResponse(t *testing.T) {
	h := newHarness(t, nil)
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(10000), Message: "Refund 100."}, "")
	h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "I want 500"}, "")
	// Appeal 1: supervisor level.
	h.at(5*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("sup-sam"), Remedies: []complaint.Remedy{{Type: complaint.RemedyGoodwill, Amount: 20000, Currency: "CNY"}}, Message: "Extra goodwill."}, "")
	h.at(6*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(7*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "Still not enough"}, "")
	// Appeal 2: manager level.
	h.at(8*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("mgr-max"), RefusalReason: "Our offer is fair.", Message: "We stand by our offer."}, "")
	h.at(9*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("mgr-mia"), Decision: "approve"}, "")
	h.at(10*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "I will go to the regulator"}, "")
	h.at(5*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 1, Comment: "bad"}, "")
	st := h.run()
	if st.Outcome != "final_response" || st.AppealCount != 3 || st.Level != complaint.RoleManager {
		t.Fatalf("outcome=%s appeals=%d level=%s", st.Outcome, st.AppealCount, st.Level)
	}
	ev := strings.Join(h.events(), ",")
	for _, want := range []string{"appealed,appeal_assigned", "final_response,closed", "survey_answered,recovery_opened"} {
		if !strings.Contains(ev, want) {
			t.Errorf("events %s lack %s", ev, want)
		}
	}
	if got := h.notificationKinds("customer"); !strings.Contains(strings.Join(got, ","), "final_response") {
		t.Errorf("customer notifications = %v", got)
	}
	var n int
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM recovery_tasks WHERE case_id = $1`, h.in.CaseID).Scan(&n)
	if n != 1 {
		t.Errorf("recovery tasks = %d, want 1", n)
	}
	if l := h.ledger(); len(l) != 2 {
		t.Errorf("ledger = %+v, want the refund and the goodwill payment", l)
	}
}

func TestFourEyesAndSelfApproval(t *testing.T) {
	h := newHarness(t, nil)
	big := []complaint.Remedy{{Type: complaint.RemedyRefund, Amount: 60_000_00, Currency: "CNY"}}
	h.at(1*hr, wf.UpdateAssign, complaint.AssignRequest{Actor: actor("mgr-max"), Assignee: "mgr-max"}, "")
	h.at(2*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("mgr-max"), Findings: findings}, "")
	h.at(3*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("dir-dee"), Remedies: big, Message: "Full refund."}, "")
	h.at(4*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("dir-dee"), Decision: "approve"}, "nobody approves their own proposal")
	h.at(5*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("mgr-mia"), Decision: "approve"}, "manager's limit does not cover")
	h.at(6*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("dir-dan"), Decision: "approve"}, "")
	h.at(7*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("dir-dan"), Decision: "approve"}, "already approved")
	h.at(8*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{Reason: "changed my mind"}, "")
	st := h.run()
	if st.Status != complaint.StatusWithdrawn {
		t.Fatalf("status = %s", st.Status)
	}
	if st.Proposal.Required.Approvers != 2 || st.Proposal.Approved() {
		t.Errorf("proposal = %+v", st.Proposal)
	}
	if l := h.ledger(); len(l) != 0 {
		t.Errorf("paid without two approvals: %+v", l)
	}
}

func TestApprovalTimeoutEscalates(t *testing.T) {
	h := newHarness(t, nil)
	h.at(30*time.Minute, wf.UpdateLogCall, complaint.CallRequest{Actor: actor("agent-ann"), Outcome: complaint.CallReached}, "")
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(500_00), Message: "Refund."}, "")
	// Approval clock is one day: reminder at 26h, escalation to manager at 50h.
	h.at(60*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("mgr-max"), Decision: "approve"}, "")
	h.at(61*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	st := h.run()
	if st.Proposal.EscalatedTo != complaint.RoleManager {
		t.Errorf("escalated to %q", st.Proposal.EscalatedTo)
	}
	ev := strings.Join(h.events(), ",")
	if !strings.Contains(ev, "proposed,approval_reminder,approval_escalated,approval_given") {
		t.Errorf("events = %s", ev)
	}
}

func TestFailedRemedyIsRolledBack(t *testing.T) {
	// The payment provider pays refunds but declines goodwill payments.
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/payments" && strings.Contains(r.Header.Get("Idempotency-Key"), "-r2:") {
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
	h.at(5*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(300_00), Message: "Refund only."}, "")
	h.at(6*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sam"), Decision: "approve"}, "")
	h.at(7*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	st := h.run()
	if st.Outcome != "accepted" {
		t.Fatalf("outcome = %s", st.Outcome)
	}
	var kinds []string
	for _, e := range h.ledger() {
		kinds = append(kinds, e.Kind+":"+e.RemedyID)
	}
	if got := strings.Join(kinds, ","); got != "payout:p1-r1,reversal:p1-r1,payout:p2-r1" {
		t.Errorf("ledger = %s", got)
	}
	if got := h.notificationKinds("customer"); !strings.Contains(strings.Join(got, ","), "execution_failed") {
		t.Errorf("customer not told of the failure: %v", got)
	}
}

func TestRepeatContactAndInfoTimeout(t *testing.T) {
	h := newHarness(t, nil)
	repeat := h.in
	repeat.CaseID = "6f1c0a52-0000-4000-8000-000000000099"
	repeat.Channel = "phone"
	h.at(1*hr, wf.UpdateIntake, repeat, "")
	h.at(2*hr, wf.UpdateRequestInfo, complaint.InfoRequest{Actor: actor("agent-ann"), Question: "Please send the bank statement."}, "")
	h.at(3*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(100), Message: "x"}, "WrongState")
	// No answer: reminder after 3 days, time-out after 7.
	h.at(8*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if len(st.RepeatContacts) != 1 || st.RepeatContacts[0].Channel != "phone" {
		t.Errorf("repeat contacts = %+v", st.RepeatContacts)
	}
	ev := strings.Join(h.events(), ",")
	if !inOrder(h.events(), "repeat_contact", "info_requested", "info_reminder", "info_timeout", "withdrawn") {
		t.Errorf("events = %s", ev)
	}
	var repeats int
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT repeat_count FROM cases WHERE id = $1`, h.in.CaseID).Scan(&repeats)
	if repeats != 1 {
		t.Errorf("repeat_count = %d", repeats)
	}
}

func TestSurveyLowScoreOpensRecovery(t *testing.T) {
	h := newHarness(t, nil)
	h.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: "Sorry."}, "")
	h.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("agent-bob"), Decision: "approve"}, "")
	// No answer within the confirmation window: deemed accepted.
	h.at(20*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 2, Comment: "meh"}, "")
	st := h.run()
	if st.Outcome != "deemed_accepted" || st.SurveyStatus != complaint.SurveyAnswered {
		t.Fatalf("state = %s %s", st.Outcome, st.SurveyStatus)
	}
	if got := strings.Join(h.notificationKinds("customer"), ","); !strings.Contains(got, "confirmation_notice") {
		t.Errorf("customer was not told in advance: %s", got)
	}
	var n int
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM recovery_tasks WHERE case_id = $1`, h.in.CaseID).Scan(&n)
	if n != 1 {
		t.Errorf("recovery tasks = %d", n)
	}
}

func TestClockBreachEscalatesToSupervisor(t *testing.T) {
	h := newHarness(t, nil)
	// Nobody acts: the 5-business-day resolution clock warns, then breaches.
	h.at(10*24*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	var breached bool
	for _, d := range st.Deadlines {
		if d.Clock == complaint.ClockResolve {
			breached = d.Breached
		}
	}
	if !breached {
		t.Errorf("resolution clock not breached: %+v", st.Deadlines)
	}
	ev := strings.Join(h.events(), ",")
	if !strings.Contains(ev, "clock_warning,clock_breached") {
		t.Errorf("events = %s", ev)
	}
}

func TestSafetyComplaintIsCritical(t *testing.T) {
	h := newHarness(t, nil)
	h.in.Subject = "Heater caught fire"
	h.in.Description = "The heater started smoking and burned my hand."
	h.at(1*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if st.Category != complaint.CategorySafety || st.Severity != complaint.SeverityCritical || st.Priority != 1 {
		t.Errorf("classification = %s/%s/%d", st.Category, st.Severity, st.Priority)
	}
	if st.Team != "safety" {
		t.Errorf("team = %s", st.Team)
	}
}

// inOrder reports whether want appear in events in that order (other
// events may come between).
func inOrder(events []string, want ...string) bool {
	i := 0
	for _, e := range events {
		if i < len(want) && e == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestUnownedCaseFindsHandlerLater(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.st.Pool.Exec(context.Background(), `DELETE FROM staff`); err != nil {
		t.Fatal(err)
	}
	// Nobody is registered at receipt; an admin adds an agent 90 minutes later.
	h.env.RegisterDelayedCallback(func() {
		if _, err := h.st.RegisterStaff(context.Background(), "agent-late", "", complaint.RoleAgent, "billing"); err != nil {
			t.Error(err)
		}
	}, 90*time.Minute)
	h.at(3*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if st.Assignee != "agent-late" {
		t.Errorf("assignee = %q, want agent-late", st.Assignee)
	}
	if !inOrder(h.events(), "acknowledged", "assigned", "withdrawn") {
		t.Errorf("events = %v", h.events())
	}
}

// TestContinueAsNewCarriesTheCase makes the server suggest continue-as-new
// once the case is acknowledged, then runs the next run from the carried
// input to the end: nothing is registered twice and the case goes on.
func TestContinueAsNewCarriesTheCase(t *testing.T) {
	h := newHarness(t, nil)
	h.env.SetContinueAsNewSuggested(true)
	h.env.ExecuteWorkflow(wf.WorkflowName, wf.NewInput(h.in))
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	var next wf.Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Resume == nil || next.Resume.Status != complaint.StatusAcknowledged || next.Resume.CaseNumber == "" || next.Resume.EventSeq != 3 {
		t.Fatalf("carried state = %+v", next.Resume)
	}

	h2 := newHarnessOn(t, h.st)
	h2.in = h.in
	h2.at(1*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h2.at(2*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(100_00), Message: "Refund."}, "")
	h2.at(3*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h2.at(4*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	h2.at(5*24*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 4}, "")
	for i := range h2.steps {
		s := h2.steps[i]
		h2.env.RegisterDelayedCallback(func() {
			h2.env.UpdateWorkflow(s.name, "", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(err error) { t.Errorf("%s rejected: %v", s.name, err) },
				OnComplete: func(_ any, err error) {
					if err != nil {
						t.Errorf("%s: %v", s.name, err)
					}
				}}, s.arg)
		}, s.at)
	}
	h2.env.ExecuteWorkflow(wf.WorkflowName, next)
	var st complaint.State
	if err := h2.env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if st.Status != complaint.StatusClosed || st.SurveyStatus != complaint.SurveyAnswered {
		t.Errorf("after continue-as-new: %s %s", st.Status, st.SurveyStatus)
	}
	ev := h.events()
	if ev[0] != "received" || strings.Count(strings.Join(ev, ","), "received") != 1 || ev[len(ev)-1] != "survey_answered" {
		t.Errorf("events = %v", ev)
	}
}

func TestTransferOverrideAndThirdRepeatRaisesPriority(t *testing.T) {
	h := newHarness(t, nil)
	h.in.Subject, h.in.Description = "Parcel late", "My parcel was never delivered"
	rep := func(n int) complaint.Complaint {
		c := h.in
		c.CaseID = fmt.Sprintf("6f1c0a52-0000-4000-8000-0000000001%02d", n)
		return c
	}
	h.at(1*hr, wf.UpdateTransfer, complaint.TransferRequest{Actor: actor("agent-ann"), Reason: "wrong team"}, "name an assignee or a team")
	h.at(1*hr+time.Minute, wf.UpdateTransfer, complaint.TransferRequest{Actor: actor("agent-ann"), Team: "billing", Reason: "it is a billing matter"}, "")
	h.at(2*hr, wf.UpdateClassification, complaint.ClassificationRequest{Actor: actor("sup-sue"), Category: "billing", Severity: "spicy", Reason: "x"}, "severity")
	h.at(2*hr+time.Minute, wf.UpdateClassification, complaint.ClassificationRequest{Actor: actor("sup-sue"), Category: "billing", Severity: "high", Reason: "charged for an undelivered parcel"}, "")
	h.at(3*hr, wf.UpdateIntake, rep(1), "")
	h.at(4*hr, wf.UpdateIntake, rep(2), "")
	h.at(5*hr, wf.UpdateIntake, rep(3), "")
	h.at(6*hr, wf.UpdateAssign, complaint.AssignRequest{Actor: actor("agent-bob"), Assignee: "agent-ann"}, "only take a case themselves")
	h.at(7*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if st.Team != "billing" || st.Category != complaint.CategoryBilling || st.Severity != complaint.SeverityHigh {
		t.Errorf("team/category/severity = %s/%s/%s", st.Team, st.Category, st.Severity)
	}
	if len(st.RepeatContacts) != 3 || st.Priority != 1 {
		t.Errorf("repeats=%d priority=%d, want 3 and 1 (high is 2, the third repeat raises it)", len(st.RepeatContacts), st.Priority)
	}
	var transfers, repeats, priority int
	var team, category string
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT transfer_count, repeat_count, priority, team_id, category FROM cases WHERE id = $1`, h.in.CaseID).
		Scan(&transfers, &repeats, &priority, &team, &category)
	if transfers != 1 || repeats != 3 || priority != 1 || team != "billing" || category != "billing" {
		t.Errorf("row: transfers=%d repeats=%d priority=%d team=%s category=%s", transfers, repeats, priority, team, category)
	}
	if !inOrder(h.events(), "transferred", "classification_override", "repeat_contact", "repeat_contact", "repeat_contact", "withdrawn") {
		t.Errorf("events = %v", h.events())
	}
}

// TestSurveyAnswerBeforeTheWorkflowMarksItSent: the survey link reaches
// the customer once its token is stored, which a crashed worker's redone
// workflow task may not have marked sent yet when the answer is validated
// (make chaos found it: the answer was refused and the survey expired).
// An answer while the survey is still scheduled is accepted, waits for the
// survey to open, and is recorded after survey_sent.
func TestSurveyAnswerBeforeTheWorkflowMarksItSent(t *testing.T) {
	h := newHarness(t, nil)
	h.at(2*hr, wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}, "")
	h.at(3*hr, wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(50000), Message: "We refund the duplicate charge."}, "")
	h.at(4*hr, wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}, "")
	h.at(6*hr, wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}, "")
	h.at(7*hr, wf.UpdateSurvey, complaint.SurveyAnswer{Score: 4}, "")
	st := h.run()
	if st.SurveyStatus != complaint.SurveyAnswered || st.SurveyScore != 4 {
		t.Fatalf("survey %s, score %d", st.SurveyStatus, st.SurveyScore)
	}
	ev := h.events()
	if strings.Join(ev[len(ev)-2:], ",") != "survey_sent,survey_answered" {
		t.Errorf("events end %v, want survey_sent then survey_answered", ev)
	}
}
