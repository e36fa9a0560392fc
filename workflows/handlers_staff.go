package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"
)

func (w *complaint) requireStaff(a Actor) error {
	if a.ID == "" {
		return invalid("actor", Required())
	}
	if RoleLevel(a.Role) == 0 && a.Role != RoleAdmin {
		return fmt.Errorf("%w: role %s may not act on cases", ErrAuthority, a.Role)
	}
	return nil
}

func (w *complaint) requireOpen() error {
	if !w.isOpen() {
		return wrongState("the case is %s", w.st.Status)
	}
	if !w.st.Registered {
		return wrongState("the case is still being registered")
	}
	return nil
}

func (w *complaint) validateAssign(ctx workflow.Context, r AssignRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if p, bad := RequiredTextProblem(r.Assignee, 200, SingleLine); bad {
		return invalid("assignee", p)
	}
	if RoleLevel(r.Actor.Role) < RoleLevel(RoleSupervisor) && r.Actor.Role != RoleAdmin && r.Assignee != r.Actor.ID {
		return fmt.Errorf("%w: an agent may only take a case themselves; a supervisor assigns it to others", ErrAuthority)
	}
	return w.requireOpen()
}

func (w *complaint) assign(ctx workflow.Context, r AssignRequest) (State, error) {
	w.st.Assignee = r.Assignee
	w.changed++
	return w.st, w.apply(ctx, Event{Type: "assigned", Actor: r.Actor.ID, At: workflow.Now(ctx), Payload: map[string]any{"assignee": r.Assignee}},
		Message{Key: fmt.Sprintf("assigned-%d", w.st.EventSeq+1), Audience: "staff", Recipient: r.Assignee, Kind: "assigned",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
}

func (w *complaint) validateTransfer(ctx workflow.Context, r TransferRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	var errs fieldErrs
	if r.Assignee == "" && r.Team == "" {
		errs.add("assignee", NewProblem(CodeAssigneeOrTeam, "name an assignee or a team"))
	}
	errs.text("assignee", r.Assignee, 200, SingleLine)
	errs.text("team", r.Team, 200, SingleLine)
	errs.required("reason", r.Reason, 1000, FreeText)
	if r.Assignee != "" && r.Assignee == w.st.Assignee {
		errs.add("assignee", NewProblem(CodeAlreadyAssigned, "the case is already with "+r.Assignee, "assignee", r.Assignee))
	}
	if err := errs.err(); err != nil {
		return err
	}
	if w.st.Status == StatusExecuting {
		return wrongState("remedies are being executed; transfer after they finish")
	}
	return w.requireOpen()
}

func (w *complaint) transfer(ctx workflow.Context, r TransferRequest) (State, error) {
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
	return w.st, w.apply(ctx, Event{Type: "transferred", Actor: r.Actor.ID, At: workflow.Now(ctx),
		Payload: map[string]any{"from": from, "to": assignee, "team": team, "reason": r.Reason}},
		Message{Key: fmt.Sprintf("transfer-%d", w.st.EventSeq+1), Audience: "staff", Recipient: assignee, RecipientRole: roleIfEmpty(assignee, RoleSupervisor), Team: team,
			Kind: "transferred", Params: map[string]string{"case_number": w.st.CaseNumber, "reason": r.Reason}})
}

func roleIfEmpty(assignee, role string) string {
	if assignee == "" {
		return role
	}
	return ""
}

func (w *complaint) validateNote(ctx workflow.Context, r NoteRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := requireText("text", r.Text, MaxText); err != nil {
		return err
	}
	if !w.st.Registered {
		return wrongState("the case is still being registered")
	}
	return nil
}

func (w *complaint) note(ctx workflow.Context, r NoteRequest) (State, error) {
	if w.st.Status == StatusAcknowledged {
		w.setStatus(ctx, StatusInvestigating)
	}
	return w.st, w.apply(ctx, Event{Type: "note", Actor: r.Actor.ID, At: workflow.Now(ctx), Payload: map[string]any{"text": r.Text}})
}

func (w *complaint) validateRequestInfo(ctx workflow.Context, r InfoRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := requireText("question", r.Question, MaxText); err != nil {
		return err
	}
	if !slices.Contains(investigable, w.st.Status) {
		return wrongState("information can be requested while investigating, not when the case is %s", w.st.Status)
	}
	return nil
}

func (w *complaint) requestInfo(ctx workflow.Context, r InfoRequest) (State, error) {
	now := workflow.Now(ctx)
	w.st.PendingQuestion = r.Question
	w.st.InfoRequests++
	// Asking the customer is a response to them (CFPB's company response).
	w.markMet(ctx, now, ClockFirstResponse)
	w.setStatus(ctx, StatusAwaitingInfo)
	var paused []string
	for _, d := range w.st.Deadlines {
		if d.Paused {
			paused = append(paused, d.Clock)
		}
	}
	return w.st, w.apply(ctx, Event{Type: "info_requested", Actor: r.Actor.ID, At: now, Payload: map[string]any{"question": r.Question, "clocks_paused": paused}},
		Message{Key: fmt.Sprintf("info-request-%d", w.st.EventSeq+1), Audience: "customer", Kind: "info_request",
			Params: map[string]string{"case_number": w.st.CaseNumber, "question": r.Question}})
}

func (w *complaint) validateEscalate(ctx workflow.Context, r EscalateRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := requireText("reason", r.Reason, 1000); err != nil {
		return err
	}
	if w.st.Level == RoleDirector {
		return wrongState("the case is already at the highest level")
	}
	if w.st.Status == StatusExecuting {
		return wrongState("remedies are being executed")
	}
	return w.requireOpen()
}

func (w *complaint) escalate(ctx workflow.Context, r EscalateRequest) (State, error) {
	return w.st, w.raiseLevel(ctx, r.Actor.ID, "escalated", r.Reason)
}

// raiseLevel moves the case one level up and assigns it there.
func (w *complaint) raiseLevel(ctx workflow.Context, actor, eventType, reason string) error {
	from := w.st.Level
	w.st.Level = NextRole(w.st.Level)
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
	return w.apply(ctx, Event{Type: eventType, Actor: actor, At: workflow.Now(ctx),
		Payload: map[string]any{"from": from, "to": w.st.Level, "assignee": w.st.Assignee, "reason": reason}},
		Message{Key: fmt.Sprintf("%s-%d", eventType, w.st.EventSeq+1), Audience: "staff", Recipient: w.st.Assignee, RecipientRole: roleIfEmpty(w.st.Assignee, w.st.Level),
			Team: w.st.Team, Kind: eventType, Params: map[string]string{"case_number": w.st.CaseNumber, "reason": reason}})
}

func (w *complaint) validateClassification(ctx workflow.Context, r ClassificationRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	var errs fieldErrs
	if !ValidCategory(r.Category) {
		errs.add("category", OneOf(Categories()...))
	}
	if !ValidSeverity(r.Severity) {
		errs.add("severity", OneOf(Severities()...))
	}
	errs.required("reason", r.Reason, 1000, FreeText)
	if err := errs.err(); err != nil {
		return err
	}
	return w.requireOpen()
}

func (w *complaint) classification(ctx workflow.Context, r ClassificationRequest) (State, error) {
	from := map[string]any{"category": w.st.Category, "severity": w.st.Severity}
	w.st.Category, w.st.Severity = r.Category, r.Severity
	w.st.Priority = PriorityFor(r.Severity, w.repeats())
	w.changed++
	_ = workflow.UpsertTypedSearchAttributes(ctx, SearchCategory.ValueSet(r.Category), SearchSeverity.ValueSet(r.Severity))
	return w.st, w.apply(ctx, Event{Type: "classification_override", Actor: r.Actor.ID, At: workflow.Now(ctx),
		Payload: map[string]any{"from": from, "category": r.Category, "severity": r.Severity, "reason": r.Reason}})
}

func (w *complaint) validateFindings(ctx workflow.Context, r FindingsRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := ValidateFindings(r.Findings); err != nil {
		return err
	}
	if !slices.Contains(investigable, w.st.Status) {
		return wrongState("findings are recorded while investigating, not when the case is %s", w.st.Status)
	}
	return nil
}

func (w *complaint) findings(ctx workflow.Context, r FindingsRequest) (State, error) {
	f := r.Findings
	w.st.Findings = &f
	w.setStatus(ctx, StatusInvestigating)
	return w.st, w.apply(ctx, Event{Type: "findings", Actor: r.Actor.ID, At: workflow.Now(ctx), Payload: map[string]any{"findings": f}})
}

func (w *complaint) validateProposal(ctx workflow.Context, r ProposalRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := ValidateProposal(r); err != nil {
		return err
	}
	if err := w.st.Authority.CheckCurrencies(r.Remedies); err != nil {
		return err
	}
	if !slices.Contains(investigable, w.st.Status) {
		return wrongState("a resolution is proposed while investigating, not when the case is %s", w.st.Status)
	}
	if w.st.Findings == nil {
		return wrongState("record the findings before proposing a resolution")
	}
	_, err := w.st.Authority.Require(Proposal{Remedies: r.Remedies, RefusalReason: r.RefusalReason})
	if err != nil {
		return invalid("remedies", ProblemOf(err))
	}
	return nil
}

func (w *complaint) proposal(ctx workflow.Context, r ProposalRequest) (State, error) {
	w.st.ProposalCount++
	n := w.st.ProposalCount
	p := Proposal{Number: n, RefusalReason: r.RefusalReason, Message: r.Message, ProposedBy: r.Actor.ID, ProposedAt: workflow.Now(ctx)}
	p.DueAt = w.due(p.ProposedAt, w.st.Clocks.Approval)
	for i, rem := range r.Remedies {
		rem.ID = fmt.Sprintf("p%d-r%d", n, i+1)
		rem.State = "pending"
		p.Remedies = append(p.Remedies, rem)
	}
	p.Required, _ = w.st.Authority.Require(p)
	w.st.Proposal = &p
	w.setStatus(ctx, StatusAwaitingApproval)
	return w.st, w.apply(ctx, Event{Type: "proposed", Actor: r.Actor.ID, At: p.ProposedAt, Payload: map[string]any{"proposal": p}},
		Message{Key: fmt.Sprintf("approval-needed-%d", n), Audience: "staff", RecipientRole: p.Required.MinRole, Team: w.st.Team,
			Kind: "approval_needed", Params: map[string]string{"case_number": w.st.CaseNumber, "amount": FormatMoney(p.Required.Total, p.Required.Currency)}})
}

// validDecision checks an approve-or-reject decision: a rejection says why.
// Every bad field is reported.
func validDecision(decision, comment string) error { return ValidateDecision(decision, comment) }

// ValidateDecision checks an approve-or-reject decision's content: a
// rejection says why. Every bad field is reported.
func ValidateDecision(decision, comment string) error {
	return decisionErrs(decision, comment, "approve", "a rejection needs a comment saying why")
}

// decisionErrs checks a decision between accept (approve) and reject,
// whose rejection must say why in comment, and reports every bad field.
func decisionErrs(decision, comment, accept, why string) error {
	var errs fieldErrs
	if decision != accept && decision != "reject" {
		errs.add("decision", OneOfSaying("must be "+accept+" or reject", accept, "reject"))
	}
	if decision == "reject" && strings.TrimSpace(comment) == "" {
		errs.add("comment", ReasonRequired(why))
	} else {
		errs.text("comment", comment, MaxText, FreeText)
	}
	return errs.err()
}

func (w *complaint) validateApproval(ctx workflow.Context, r ApprovalRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := validDecision(r.Decision, r.Comment); err != nil {
		return err
	}
	if w.st.Status != StatusAwaitingApproval || w.st.Proposal == nil {
		return wrongState("no proposal is awaiting approval (the case is %s)", w.st.Status)
	}
	// Rejecting needs the same authority as approving: nobody turns down
	// what they could not have signed.
	return w.st.Authority.CanApprove(*w.st.Proposal, r.Actor)
}

func (w *complaint) approval(ctx workflow.Context, r ApprovalRequest) (State, error) {
	p := w.st.Proposal
	now := workflow.Now(ctx)
	p.Approvals = append(p.Approvals, Approval{By: r.Actor.ID, Role: r.Actor.Role, Decision: r.Decision, Comment: r.Comment, At: now})
	var msgs []Message
	evType := "approval_given"
	switch {
	case r.Decision == "reject":
		evType = "approval_rejected"
		w.setStatus(ctx, StatusInvestigating)
		msgs = append(msgs, Message{Key: fmt.Sprintf("proposal-rejected-%d", p.Number), Audience: "staff", Recipient: p.ProposedBy,
			Kind: "proposal_rejected", Params: map[string]string{"case_number": w.st.CaseNumber, "comment": r.Comment}})
	case p.Approved():
		w.observe(ctx, "complaints_approval_wait", now.Sub(p.ProposedAt), map[string]string{"role": p.Required.MinRole})
		w.setStatus(ctx, StatusExecuting)
	}
	w.changed++
	return w.st, w.apply(ctx, Event{Type: evType, Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"proposal": p.Number, "role": r.Actor.Role, "comment": r.Comment}}, msgs...)
}
