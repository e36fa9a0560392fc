package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/clock"
)

func TestActions(t *testing.T) {
	agent := Actor{ID: "ann", Role: RoleAgent, Team: "billing"}
	sup := Actor{ID: "sue", Role: RoleSupervisor, Team: "billing"}
	mgr := Actor{ID: "max", Role: RoleManager, Team: "billing"}
	auditor := Actor{ID: "aud", Role: RoleAuditor}
	base := State{Registered: true, Level: RoleAgent, Authority: DefaultAuthority()}
	with := func(f func(*State)) State {
		s := base
		f(&s)
		return s
	}
	// A 5,000.00 refund proposed by ann: above a supervisor's limit.
	proposal := &Proposal{Remedies: []Remedy{{Type: RemedyRefund, Amount: 5000_00, Currency: "CNY"}}, Message: "m",
		ProposedBy: "ann", Required: Requirement{MinRole: RoleManager, Approvers: 1, Total: 5000_00, Currency: "CNY"}}
	pending := with(func(s *State) { s.Status = StatusAwaitingApproval; s.Proposal = proposal; s.Findings = &Findings{} })
	open := []string{ActionAssign, ActionTransfer, ActionNote, ActionRequestInfo, ActionEscalate, ActionClassify, ActionFindings}
	tests := []struct {
		name  string
		st    State
		actor Actor
		want  []string
	}{
		{"acknowledged, no findings yet: no proposal", with(func(s *State) { s.Status = StatusAcknowledged }), agent, open},
		{"investigating with findings: proposal too", with(func(s *State) { s.Status = StatusInvestigating; s.Findings = &Findings{} }), agent,
			append(slices.Clone(open), ActionPropose)},
		{"auditors only read", with(func(s *State) { s.Status = StatusInvestigating }), auditor, []string{}},
		{"awaiting approval: the proposer may not approve", pending, agent,
			[]string{ActionAssign, ActionTransfer, ActionNote, ActionEscalate, ActionClassify}},
		{"awaiting approval: a supervisor's limit does not cover it", pending, sup,
			[]string{ActionAssign, ActionTransfer, ActionNote, ActionEscalate, ActionClassify}},
		{"awaiting approval: a manager may approve", pending, mgr,
			[]string{ActionAssign, ActionTransfer, ActionNote, ActionEscalate, ActionClassify, ActionApprove}},
		{"executing: only notes and classification", with(func(s *State) { s.Status = StatusExecuting }), sup,
			[]string{ActionAssign, ActionNote, ActionClassify}},
		{"closed: notes only", with(func(s *State) { s.Status = StatusClosed }), sup, []string{ActionNote}},
		{"still registering: nothing", with(func(s *State) { s.Status = StatusReceived; s.Registered = false }), sup, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Actions(tt.st, tt.actor); !slices.Equal(got, tt.want) {
				t.Errorf("Actions = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestActionsOfferExtensions checks the extension actions follow the
// clock's steps: the handler may ask, the step's approver (not the asker)
// may decide.
func TestActionsOfferExtensions(t *testing.T) {
	d := Deadline{Clock: ClockResolve, DueAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Steps: []clock.Extension{{Approver: RoleSupervisor, Label: "complex"}}}
	st := State{Registered: true, Status: StatusInvestigating, Level: RoleAgent, Authority: DefaultAuthority(), Deadlines: []Deadline{d}}
	agent := Actor{ID: "ann", Role: RoleAgent}
	if got := Actions(st, agent); !slices.Contains(got, ActionRequestExtension) || slices.Contains(got, ActionDecideExtension) {
		t.Errorf("before a request: %v", got)
	}
	st.Deadlines[0].Pending = &clock.ExtensionRequest{By: "ann"}
	approver := Actor{ID: "sue", Role: RoleSupervisor}
	if got := Actions(st, approver); slices.Contains(got, ActionRequestExtension) || !slices.Contains(got, ActionDecideExtension) {
		t.Errorf("approver with a request pending: %v", got)
	}
	if got := Actions(st, agent); slices.Contains(got, ActionDecideExtension) {
		t.Errorf("the asker may not decide: %v", got)
	}
}
