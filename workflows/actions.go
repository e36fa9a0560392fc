package workflows

// Action names are what Actions returns: the staff decisions a case's
// state lets an actor take, named as the API routes that take them.
const (
	ActionAssign           = "assign"
	ActionTransfer         = "transfer"
	ActionNote             = "note"
	ActionRequestInfo      = "request_info"
	ActionEscalate         = "escalate"
	ActionClassify         = "classification"
	ActionFindings         = "findings"
	ActionPropose          = "proposal"
	ActionApprove          = "approval"
	ActionRequestExtension = "request_extension"
	ActionDecideExtension  = "decide_extension"
	ActionFulfilment       = "fulfilment"
)

// ActionNames returns every action Actions may return, in its order.
func ActionNames() []string {
	return []string{ActionAssign, ActionTransfer, ActionNote, ActionRequestInfo, ActionEscalate, ActionClassify, ActionFindings,
		ActionPropose, ActionApprove, ActionRequestExtension, ActionDecideExtension, ActionFulfilment}
}

// Actions lists the decisions actor may take on a case in state st, in a
// fixed order, so the console offers exactly those. It asks the update
// validators themselves, each with a request whose content is valid: an
// action is offered when its validator would accept such a request, so the
// console and the workflow cannot disagree about state or authority rules.
// The workflow still validates every real request.
func Actions(st State, actor Actor) []string {
	w := &complaint{st: st}
	probe := "probe"
	checks := []struct {
		name string
		ok   func() bool
	}{
		{ActionAssign, func() bool { return w.validateAssign(nil, AssignRequest{Actor: actor, Assignee: actor.ID}) == nil }},
		{ActionTransfer, func() bool {
			return w.validateTransfer(nil, TransferRequest{Actor: actor, Team: probe, Reason: probe}) == nil
		}},
		{ActionNote, func() bool { return w.validateNote(nil, NoteRequest{Actor: actor, Text: probe}) == nil }},
		{ActionRequestInfo, func() bool { return w.validateRequestInfo(nil, InfoRequest{Actor: actor, Question: probe}) == nil }},
		{ActionEscalate, func() bool { return w.validateEscalate(nil, EscalateRequest{Actor: actor, Reason: probe}) == nil }},
		{ActionClassify, func() bool {
			return w.validateClassification(nil, ClassificationRequest{Actor: actor, Category: Categories()[0], Severity: Severities()[0], Reason: probe}) == nil
		}},
		{ActionFindings, func() bool {
			return w.validateFindings(nil, FindingsRequest{Actor: actor, Findings: Findings{Cause: "p", CauseDetail: "p.p",
				Responsibility: "customer", Summary: probe}}) == nil
		}},
		// A proposal without money needs no authority, so it probes the
		// state rules alone; the amount's authority is the approvers'.
		{ActionPropose, func() bool {
			return w.validateProposal(nil, ProposalRequest{Actor: actor, Remedies: []Remedy{{Type: RemedyApology}}, Message: probe}) == nil
		}},
		{ActionApprove, func() bool { return w.validateApproval(nil, ApprovalRequest{Actor: actor, Decision: "approve"}) == nil }},
		{ActionRequestExtension, func() bool {
			for _, d := range st.Deadlines {
				if w.validateRequestExtension(nil, ExtensionRequest{Actor: actor, Clock: d.Clock, Reason: probe}) == nil {
					return true
				}
			}
			return false
		}},
		{ActionDecideExtension, func() bool {
			for _, d := range st.Deadlines {
				if w.validateDecideExtension(nil, ExtensionDecision{Actor: actor, Clock: d.Clock, Decision: "approve"}) == nil {
					return true
				}
			}
			return false
		}},
		{ActionFulfilment, func() bool {
			if st.Proposal == nil {
				return false
			}
			for _, r := range st.Proposal.Remedies {
				if w.validateFulfilment(nil, FulfilmentRequest{Actor: actor, RemedyID: r.ID, State: FulfilmentFailed, Note: probe}) == nil {
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
