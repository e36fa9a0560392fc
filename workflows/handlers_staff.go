package workflows

import (
	"fmt"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/workflow"
)

func (w *caseWorkflow) requireStaff(a complaint.Actor) error {
	if a.ID == "" {
		return complaint.Invalid("actor", complaint.Required())
	}
	if complaint.RoleLevel(a.Role) == 0 && a.Role != complaint.RoleAdmin {
		return fmt.Errorf("%w: role %s may not act on cases", complaint.ErrAuthority, a.Role)
	}
	return nil
}

func (w *caseWorkflow) requireOpen() error {
	if !w.isOpen() {
		return complaint.WrongState("the case is %s", w.st.Status)
	}
	if !w.st.Registered {
		return complaint.WrongState("the case is still being registered")
	}
	return nil
}

func (w *caseWorkflow) validateAssign(ctx workflow.Context, r complaint.AssignRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if p, bad := complaint.RequiredTextProblem(r.Assignee, 200, complaint.SingleLine); bad {
		return complaint.Invalid("assignee", p)
	}
	if complaint.RoleLevel(r.Actor.Role) < complaint.RoleLevel(complaint.RoleSupervisor) && r.Actor.Role != complaint.RoleAdmin && r.Assignee != r.Actor.ID {
		return fmt.Errorf("%w: an agent may only take a case themselves; a supervisor assigns it to others", complaint.ErrAuthority)
	}
	return w.requireOpen()
}

func (w *caseWorkflow) assign(ctx workflow.Context, r complaint.AssignRequest) (complaint.State, error) {
	w.st.Assignee = r.Assignee
	w.changed++
	return w.st, w.apply(ctx, complaint.Event{Type: "assigned", Actor: r.Actor.ID, At: workflow.Now(ctx), Payload: map[string]any{"assignee": r.Assignee}},
		complaint.Message{Key: fmt.Sprintf("assigned-%d", w.st.EventSeq+1), Audience: "staff", Recipient: r.Assignee, Kind: "assigned",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
}

func (w *caseWorkflow) validateTransfer(ctx workflow.Context, r complaint.TransferRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	var errs complaint.Fields
	if r.Assignee == "" && r.Team == "" {
		errs.Add("assignee", complaint.NewProblem(complaint.CodeAssigneeOrTeam, "name an assignee or a team"))
	}
	errs.Text("assignee", r.Assignee, 200, complaint.SingleLine)
	errs.Text("team", r.Team, 200, complaint.SingleLine)
	errs.Required("reason", r.Reason, 1000, complaint.FreeText)
	if r.Assignee != "" && r.Assignee == w.st.Assignee {
		errs.Add("assignee", complaint.NewProblem(complaint.CodeAlreadyAssigned, "the case is already with "+r.Assignee, "assignee", r.Assignee))
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if w.st.Status == complaint.StatusExecuting {
		return complaint.WrongState("remedies are being executed; transfer after they finish")
	}
	return w.requireOpen()
}

func (w *caseWorkflow) transfer(ctx workflow.Context, r complaint.TransferRequest) (complaint.State, error) {
	from := w.st.Assignee
	team := w.st.Team
	assignee := r.Assignee
	if r.Team != "" {
		team = r.Team
	}
	if assignee == "" {
		var as AssignResult
		if err := w.storeGet(ctx, "transferred", ActivityAssign, AssignInput{CaseID: w.st.CaseID, Category: w.st.Category,
			Team: team, Role: w.st.Level, Exclude: from}, &as); err != nil {
			return w.st, fmt.Errorf("assign: %w", err)
		}
		assignee, team = as.Assignee, as.Team
	}
	w.st.Assignee, w.st.Team = assignee, team
	w.st.TransferCount++
	w.changed++
	w.count(ctx, "complaints_transfers", map[string]string{"team": team})
	return w.st, w.apply(ctx, complaint.Event{Type: "transferred", Actor: r.Actor.ID, At: workflow.Now(ctx),
		Payload: map[string]any{"from": from, "to": assignee, "team": team, "reason": r.Reason}},
		complaint.Message{Key: fmt.Sprintf("transfer-%d", w.st.EventSeq+1), Audience: "staff", Recipient: assignee, RecipientRole: roleIfEmpty(assignee, complaint.RoleSupervisor), Team: team,
			Kind: "transferred", Params: map[string]string{"case_number": w.st.CaseNumber, "reason": r.Reason}})
}

func roleIfEmpty(assignee, role string) string {
	if assignee == "" {
		return role
	}
	return ""
}

func (w *caseWorkflow) validateNote(ctx workflow.Context, r complaint.NoteRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := complaint.RequireText("text", r.Text, complaint.MaxText); err != nil {
		return err
	}
	if !w.st.Registered {
		return complaint.WrongState("the case is still being registered")
	}
	return nil
}

func (w *caseWorkflow) note(ctx workflow.Context, r complaint.NoteRequest) (complaint.State, error) {
	if w.st.Status == complaint.StatusAcknowledged {
		w.setStatus(ctx, complaint.StatusInvestigating)
	}
	return w.st, w.apply(ctx, complaint.Event{Type: "note", Actor: r.Actor.ID, At: workflow.Now(ctx), Payload: map[string]any{"text": r.Text}})
}

func (w *caseWorkflow) validateRequestInfo(ctx workflow.Context, r complaint.InfoRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := complaint.RequireText("question", r.Question, complaint.MaxText); err != nil {
		return err
	}
	if !complaint.Investigable(w.st.Status) {
		return complaint.WrongState("information can be requested while investigating, not when the case is %s", w.st.Status)
	}
	return nil
}

func (w *caseWorkflow) requestInfo(ctx workflow.Context, r complaint.InfoRequest) (complaint.State, error) {
	now := workflow.Now(ctx)
	w.st.PendingQuestion = r.Question
	w.st.InfoRequests++
	// Asking the customer is a response to them (CFPB's company response),
	// and a person writing to them: a first human contact (VersionParties;
	// earlier cases run no such clock).
	w.markMet(ctx, now, complaint.ClockFirstResponse, complaint.ClockFirstContact)
	w.setStatus(ctx, complaint.StatusAwaitingInfo)
	var paused []string
	for _, d := range w.st.Deadlines {
		if d.Paused {
			paused = append(paused, d.Clock)
		}
	}
	payload := map[string]any{"question": r.Question, "clocks_paused": paused}
	if r.Script != nil {
		payload["script"] = *r.Script
	}
	return w.st, w.apply(ctx, complaint.Event{Type: "info_requested", Actor: r.Actor.ID, At: now, Payload: payload},
		complaint.Message{Key: fmt.Sprintf("info-request-%d", w.st.EventSeq+1), Audience: "customer", Kind: "info_request",
			Params: map[string]string{"case_number": w.st.CaseNumber, "question": r.Question}})
}

func (w *caseWorkflow) validateEscalate(ctx workflow.Context, r complaint.EscalateRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := complaint.RequireText("reason", r.Reason, 1000); err != nil {
		return err
	}
	if w.st.Level == complaint.RoleDirector {
		return complaint.WrongState("the case is already at the highest level")
	}
	if w.st.Status == complaint.StatusExecuting {
		return complaint.WrongState("remedies are being executed")
	}
	return w.requireOpen()
}

func (w *caseWorkflow) escalate(ctx workflow.Context, r complaint.EscalateRequest) (complaint.State, error) {
	return w.st, w.raiseLevel(ctx, r.Actor.ID, "escalated", r.Reason)
}

// raiseLevel moves the case one level up and assigns it there.
func (w *caseWorkflow) raiseLevel(ctx workflow.Context, actor, eventType, reason string) error {
	from := w.st.Level
	w.st.Level = complaint.NextRole(w.st.Level)
	w.changed++
	var as AssignResult
	if err := w.storeGet(ctx, eventType, ActivityAssign, AssignInput{CaseID: w.st.CaseID, Category: w.st.Category,
		Team: w.st.Team, Role: w.st.Level}, &as); err != nil {
		return fmt.Errorf("assign: %w", err)
	}
	if as.Assignee != "" {
		w.st.Assignee = as.Assignee
	}
	w.count(ctx, "complaints_escalations", map[string]string{"reason": eventType})
	return w.apply(ctx, complaint.Event{Type: eventType, Actor: actor, At: workflow.Now(ctx),
		Payload: map[string]any{"from": from, "to": w.st.Level, "assignee": w.st.Assignee, "reason": reason}},
		complaint.Message{Key: fmt.Sprintf("%s-%d", eventType, w.st.EventSeq+1), Audience: "staff", Recipient: w.st.Assignee, RecipientRole: roleIfEmpty(w.st.Assignee, w.st.Level),
			Team: w.st.Team, Kind: eventType, Params: map[string]string{"case_number": w.st.CaseNumber, "reason": reason}})
}

func (w *caseWorkflow) validateClassification(ctx workflow.Context, r complaint.ClassificationRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	var errs complaint.Fields
	switch {
	case w.version >= VersionClassifier:
		// The taxonomy is data: the API checks the category exists.
		if !complaint.ValidTaxonomyCode(r.Category) {
			errs.Add("category", complaint.InvalidCode())
		}
	case !complaint.ValidCategory(r.Category):
		errs.Add("category", complaint.OneOf(complaint.Categories()...))
	}
	if !complaint.ValidSeverity(r.Severity) {
		errs.Add("severity", complaint.OneOf(complaint.Severities()...))
	}
	errs.Required("reason", r.Reason, 1000, complaint.FreeText)
	if err := errs.Err(); err != nil {
		return err
	}
	return w.requireOpen()
}

func (w *caseWorkflow) classification(ctx workflow.Context, r complaint.ClassificationRequest) (complaint.State, error) {
	from := map[string]any{"category": w.st.Category, "severity": w.st.Severity}
	w.st.Category, w.st.Severity = r.Category, r.Severity
	w.st.Priority = complaint.PriorityFor(r.Severity, w.repeats())
	w.changed++
	_ = workflow.UpsertTypedSearchAttributes(ctx, SearchCategory.ValueSet(r.Category), SearchSeverity.ValueSet(r.Severity))
	return w.st, w.apply(ctx, complaint.Event{Type: "classification_override", Actor: r.Actor.ID, At: workflow.Now(ctx),
		Payload: map[string]any{"from": from, "category": r.Category, "severity": r.Severity, "reason": r.Reason}})
}

func (w *caseWorkflow) validateFindings(ctx workflow.Context, r complaint.FindingsRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := complaint.ValidateFindings(r.Findings); err != nil {
		return err
	}
	if !complaint.Investigable(w.st.Status) {
		return complaint.WrongState("findings are recorded while investigating, not when the case is %s", w.st.Status)
	}
	return nil
}

func (w *caseWorkflow) findings(ctx workflow.Context, r complaint.FindingsRequest) (complaint.State, error) {
	f := r.Findings
	w.st.Findings = &f
	w.setStatus(ctx, complaint.StatusInvestigating)
	return w.st, w.apply(ctx, complaint.Event{Type: "findings", Actor: r.Actor.ID, At: workflow.Now(ctx), Payload: map[string]any{"findings": f}})
}

func (w *caseWorkflow) validateProposal(ctx workflow.Context, r complaint.ProposalRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := complaint.ValidateProposal(r); err != nil {
		return err
	}
	if err := w.st.Authority.CheckCurrencies(r.Remedies); err != nil {
		return err
	}
	if !complaint.Investigable(w.st.Status) {
		return complaint.WrongState("a resolution is proposed while investigating, not when the case is %s", w.st.Status)
	}
	if w.st.Findings == nil {
		return complaint.WrongState("record the findings before proposing a resolution")
	}
	_, err := w.st.Authority.Require(complaint.Proposal{Remedies: r.Remedies, RefusalReason: r.RefusalReason})
	if err != nil {
		return complaint.Invalid("remedies", complaint.ProblemOf(err))
	}
	return nil
}

func (w *caseWorkflow) proposal(ctx workflow.Context, r complaint.ProposalRequest) (complaint.State, error) {
	w.st.ProposalCount++
	n := w.st.ProposalCount
	p := complaint.Proposal{Number: n, RefusalReason: r.RefusalReason, Message: r.Message, ProposedBy: r.Actor.ID, ProposedAt: workflow.Now(ctx), Script: r.Script}
	p.DueAt = w.due(p.ProposedAt, w.st.Clocks.Approval)
	for i, rem := range r.Remedies {
		rem.ID = fmt.Sprintf("p%d-r%d", n, i+1)
		rem.State = "pending"
		p.Remedies = append(p.Remedies, rem)
	}
	p.Required, _ = w.st.Authority.Require(p)
	w.st.Proposal = &p
	w.setStatus(ctx, complaint.StatusAwaitingApproval)
	return w.st, w.apply(ctx, complaint.Event{Type: "proposed", Actor: r.Actor.ID, At: p.ProposedAt, Payload: map[string]any{"proposal": p}},
		complaint.Message{Key: fmt.Sprintf("approval-needed-%d", n), Audience: "staff", RecipientRole: p.Required.MinRole, Team: w.st.Team,
			Kind: "approval_needed", Params: map[string]string{"case_number": w.st.CaseNumber, "amount": complaint.FormatMoney(p.Required.Total, p.Required.Currency)}})
}

// validDecision checks an approve-or-reject decision: a rejection says why.
// Every bad field is reported.
func validDecision(decision, comment string) error {
	return complaint.ValidateDecision(decision, comment)
}

func (w *caseWorkflow) validateApproval(ctx workflow.Context, r complaint.ApprovalRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := validDecision(r.Decision, r.Comment); err != nil {
		return err
	}
	if w.st.Status != complaint.StatusAwaitingApproval || w.st.Proposal == nil {
		return complaint.WrongState("no proposal is awaiting approval (the case is %s)", w.st.Status)
	}
	// Rejecting needs the same authority as approving: nobody turns down
	// what they could not have signed.
	return w.st.Authority.CanApprove(*w.st.Proposal, r.Actor)
}

func (w *caseWorkflow) approval(ctx workflow.Context, r complaint.ApprovalRequest) (complaint.State, error) {
	p := w.st.Proposal
	now := workflow.Now(ctx)
	p.Approvals = append(p.Approvals, complaint.Approval{By: r.Actor.ID, Role: r.Actor.Role, Decision: r.Decision, Comment: r.Comment, At: now})
	var msgs []complaint.Message
	evType := "approval_given"
	switch {
	case r.Decision == "reject":
		evType = "approval_rejected"
		w.setStatus(ctx, complaint.StatusInvestigating)
		msgs = append(msgs, complaint.Message{Key: fmt.Sprintf("proposal-rejected-%d", p.Number), Audience: "staff", Recipient: p.ProposedBy,
			Kind: "proposal_rejected", Params: map[string]string{"case_number": w.st.CaseNumber, "comment": r.Comment}})
	case p.Approved():
		w.observe(ctx, "complaints_approval_wait", now.Sub(p.ProposedAt), map[string]string{"role": p.Required.MinRole})
		w.setStatus(ctx, complaint.StatusExecuting)
	}
	w.changed++
	return w.st, w.apply(ctx, complaint.Event{Type: evType, Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"proposal": p.Number, "role": r.Actor.Role, "comment": r.Comment}}, msgs...)
}
