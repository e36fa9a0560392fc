package workflows

import "github.com/complaint-handling/complaints/complaint"

// ActionNames returns every action Actions may return, in its order.
func ActionNames() []string {
	return []string{complaint.ActionAssign, complaint.ActionTransfer, complaint.ActionNote, complaint.ActionRequestInfo, complaint.ActionEscalate, complaint.ActionClassify, complaint.ActionFindings,
		complaint.ActionPropose, complaint.ActionApprove, complaint.ActionRequestExtension, complaint.ActionDecideExtension, complaint.ActionFulfilment}
}

// Actions lists the decisions actor may take on a case in state st, in a
// fixed order, so the console offers exactly those. It asks the update
// validators themselves, each with a request whose content is valid: an
// action is offered when its validator would accept such a request, so the
// console and the workflow cannot disagree about state or authority rules.
// The workflow still validates every real request.
func Actions(st complaint.State, actor complaint.Actor) []string {
	w := &caseWorkflow{st: st}
	probe := "probe"
	checks := []struct {
		name string
		ok   func() bool
	}{
		{complaint.ActionAssign, func() bool {
			return w.validateAssign(nil, complaint.AssignRequest{Actor: actor, Assignee: actor.ID}) == nil
		}},
		{complaint.ActionTransfer, func() bool {
			return w.validateTransfer(nil, complaint.TransferRequest{Actor: actor, Team: probe, Reason: probe}) == nil
		}},
		{complaint.ActionNote, func() bool { return w.validateNote(nil, complaint.NoteRequest{Actor: actor, Text: probe}) == nil }},
		{complaint.ActionRequestInfo, func() bool {
			return w.validateRequestInfo(nil, complaint.InfoRequest{Actor: actor, Question: probe}) == nil
		}},
		{complaint.ActionEscalate, func() bool {
			return w.validateEscalate(nil, complaint.EscalateRequest{Actor: actor, Reason: probe}) == nil
		}},
		{complaint.ActionClassify, func() bool {
			return w.validateClassification(nil, complaint.ClassificationRequest{Actor: actor, Category: complaint.Categories()[0], Severity: complaint.Severities()[0], Reason: probe}) == nil
		}},
		{complaint.ActionFindings, func() bool {
			return w.validateFindings(nil, complaint.FindingsRequest{Actor: actor, Findings: complaint.Findings{Cause: "p", CauseDetail: "p.p",
				Responsibility: "customer", Summary: probe}}) == nil
		}},
		// A proposal without money needs no authority, so it probes the
		// state rules alone; the amount's authority is the approvers'.
		{complaint.ActionPropose, func() bool {
			return w.validateProposal(nil, complaint.ProposalRequest{Actor: actor, Remedies: []complaint.Remedy{{Type: complaint.RemedyApology}}, Message: probe}) == nil
		}},
		{complaint.ActionApprove, func() bool {
			return w.validateApproval(nil, complaint.ApprovalRequest{Actor: actor, Decision: "approve"}) == nil
		}},
		{complaint.ActionRequestExtension, func() bool {
			for _, d := range st.Deadlines {
				if w.validateRequestExtension(nil, complaint.ExtensionRequest{Actor: actor, Clock: d.Clock, Reason: probe}) == nil {
					return true
				}
			}
			return false
		}},
		{complaint.ActionDecideExtension, func() bool {
			for _, d := range st.Deadlines {
				if w.validateDecideExtension(nil, complaint.ExtensionDecision{Actor: actor, Clock: d.Clock, Decision: "approve"}) == nil {
					return true
				}
			}
			return false
		}},
		{complaint.ActionFulfilment, func() bool {
			if st.Proposal == nil {
				return false
			}
			for _, r := range st.Proposal.Remedies {
				if w.validateFulfilment(nil, complaint.FulfilmentRequest{Actor: actor, RemedyID: r.ID, State: complaint.FulfilmentFailed, Note: probe}) == nil {
					return true
				}
			}
			return false
		}},
	}
	out := []string{}
	for _, c := range checks {
		if c.ok() {
			out = append(out, c.name)
		}
	}
	return out
}
