package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
)

func TestActions(t *testing.T) {
	agent := complaint.Actor{ID: "ann", Role: complaint.RoleAgent, Team: "billing"}
	sup := complaint.Actor{ID: "sue", Role: complaint.RoleSupervisor, Team: "billing"}
	mgr := complaint.Actor{ID: "max", Role: complaint.RoleManager, Team: "billing"}
	auditor := complaint.Actor{ID: "aud", Role: complaint.RoleAuditor}
	base := complaint.State{Registered: true, Level: complaint.RoleAgent, Authority: complaint.DefaultAuthority()}
	with := func(f func(*complaint.State)) complaint.State {
		s := base
		f(&s)
		return s
	}
	// A 5,000.00 refund proposed by ann: above a supervisor's limit.
	proposal := &complaint.Proposal{Remedies: []complaint.Remedy{{Type: complaint.RemedyRefund, Amount: 5000_00, Currency: "CNY"}}, Message: "m",
		ProposedBy: "ann", Required: complaint.Requirement{MinRole: complaint.RoleManager, Approvers: 1, Total: 5000_00, Currency: "CNY"}}
	pending := with(func(s *complaint.State) {
		s.Status = complaint.StatusAwaitingApproval
		s.Proposal = proposal
		s.Findings = &complaint.Findings{}
	})
	open := []string{complaint.ActionAssign, complaint.ActionTransfer, complaint.ActionNote, complaint.ActionRequestInfo, complaint.ActionEscalate, complaint.ActionClassify, complaint.ActionFindings}
	tests := []struct {
		name  string
		st    complaint.State
		actor complaint.Actor
		want  []string
	}{
		{"acknowledged, no findings yet: no proposal", with(func(s *complaint.State) { s.Status = complaint.StatusAcknowledged }), agent, open},
		{"investigating with findings: proposal too", with(func(s *complaint.State) { s.Status = complaint.StatusInvestigating; s.Findings = &complaint.Findings{} }), agent,
			append(slices.Clone(open), complaint.ActionPropose)},
		{"auditors only read", with(func(s *complaint.State) { s.Status = complaint.StatusInvestigating }), auditor, []string{}},
		{"awaiting approval: the proposer may not approve", pending, agent,
			[]string{complaint.ActionAssign, complaint.ActionTransfer, complaint.ActionNote, complaint.ActionEscalate, complaint.ActionClassify}},
		{"awaiting approval: a supervisor's limit does not cover it", pending, sup,
			[]string{complaint.ActionAssign, complaint.ActionTransfer, complaint.ActionNote, complaint.ActionEscalate, complaint.ActionClassify}},
		{"awaiting approval: a manager may approve", pending, mgr,
			[]string{complaint.ActionAssign, complaint.ActionTransfer, complaint.ActionNote, complaint.ActionEscalate, complaint.ActionClassify, complaint.ActionApprove}},
		{"executing: only notes and classification", with(func(s *complaint.State) { s.Status = complaint.StatusExecuting }), sup,
			[]string{complaint.ActionAssign, complaint.ActionNote, complaint.ActionClassify}},
		{"closed: notes only", with(func(s *complaint.State) { s.Status = complaint.StatusClosed }), sup, []string{complaint.ActionNote}},
		{"still registering: nothing", with(func(s *complaint.State) { s.Status = complaint.StatusReceived; s.Registered = false }), sup, []string{}},
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
	d := complaint.Deadline{Clock: complaint.ClockResolve, DueAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Steps: []clock.Extension{{Approver: complaint.RoleSupervisor, Label: "complex"}}}
	st := complaint.State{Registered: true, Status: complaint.StatusInvestigating, Level: complaint.RoleAgent, Authority: complaint.DefaultAuthority(), Deadlines: []complaint.Deadline{d}}
	agent := complaint.Actor{ID: "ann", Role: complaint.RoleAgent}
	if got := Actions(st, agent); !slices.Contains(got, complaint.ActionRequestExtension) || slices.Contains(got, complaint.ActionDecideExtension) {
		t.Errorf("before a request: %v", got)
	}
	st.Deadlines[0].Pending = &clock.ExtensionRequest{By: "ann"}
	approver := complaint.Actor{ID: "sue", Role: complaint.RoleSupervisor}
	if got := Actions(st, approver); slices.Contains(got, complaint.ActionRequestExtension) || !slices.Contains(got, complaint.ActionDecideExtension) {
		t.Errorf("approver with a request pending: %v", got)
	}
	if got := Actions(st, agent); slices.Contains(got, complaint.ActionDecideExtension) {
		t.Errorf("the asker may not decide: %v", got)
	}
}
