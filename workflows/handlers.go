package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// openStatuses are the statuses in which a case is still being handled.
var openStatuses = []string{StatusReceived, StatusAcknowledged, StatusInvestigating, StatusAwaitingInfo,
	StatusAwaitingApproval, StatusExecuting, StatusAwaitingCustomer}

// investigable are the statuses in which handlers investigate and propose.
var investigable = []string{StatusAcknowledged, StatusInvestigating}

func (w *complaint) isOpen() bool { return slices.Contains(openStatuses, w.st.Status) }

// registerHandlers sets the query and every update with its validator. A
// validator rejects a decision that is invalid in content, state or
// authority; a rejected update leaves no trace in the history.
func (w *complaint) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return w.st, nil }); err != nil {
		return err
	}
	type handler struct {
		name      string
		fn        any
		validator any
	}
	hs := []handler{
		{UpdateIntake, w.intake, w.validateIntake},
		{UpdateAssign, w.assign, w.validateAssign},
		{UpdateTransfer, w.transfer, w.validateTransfer},
		{UpdateNote, w.note, w.validateNote},
		{UpdateRequestInfo, w.requestInfo, w.validateRequestInfo},
		{UpdateEscalate, w.escalate, w.validateEscalate},
		{UpdateClassification, w.classification, w.validateClassification},
		{UpdateFindings, w.findings, w.validateFindings},
		{UpdateProposal, w.proposal, w.validateProposal},
		{UpdateApproval, w.approval, w.validateApproval},
		{UpdateCustomerResponse, w.customerResponse, w.validateCustomerResponse},
		{UpdateCustomerInfo, w.customerInfo, w.validateCustomerInfo},
		{UpdateWithdraw, w.withdraw, w.validateWithdraw},
		{UpdateSurvey, w.surveyAnswerHandler, w.validateSurvey},
	}
	for _, h := range hs {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.fn, workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return fmt.Errorf("set update handler %s: %w", h.name, err)
		}
	}
	return nil
}

// --- intake and repeat contacts ---

func (w *complaint) validateIntake(ctx workflow.Context, c Complaint) error {
	if c.CaseID == "" {
		return invalid("case_id", "is required")
	}
	if c.CaseID != w.st.CaseID && !slices.Contains(w.st.IdempotencyKeys, c.IdempotencyKey) && w.st.Status == StatusWithdrawn {
		return wrongState("the earlier case on this matter was withdrawn and is ending; try again shortly")
	}
	return nil
}

// intake answers the request that started the workflow once the case is
// registered, and attaches a later complaint on the same matter as a
// repeat contact (reopening the case if it was closed).
func (w *complaint) intake(ctx workflow.Context, c Complaint) (IntakeResult, error) {
	same := c.CaseID == w.st.CaseID || (c.IdempotencyKey != "" && slices.Contains(w.st.IdempotencyKeys, c.IdempotencyKey))
	if !same {
		now := workflow.Now(ctx)
		w.st.RepeatContacts = append(w.st.RepeatContacts, RepeatContact{At: now, Channel: c.Channel, Subject: truncate(c.Subject, 200)})
		if c.IdempotencyKey != "" {
			w.st.IdempotencyKeys = append(w.st.IdempotencyKeys, c.IdempotencyKey)
		}
		w.st.Priority = min(w.st.Priority, PriorityFor(w.st.Severity, len(w.st.RepeatContacts)))
		w.count(ctx, "complaints_repeat_contacts", map[string]string{"channel": c.Channel})
		reopen := w.st.Status == StatusClosed
		if reopen {
			w.st.SurveyStatus = ""
			w.st.Outcome = ""
			w.st.ClosedAt = nil
			w.setStatus(ctx, StatusInvestigating)
		}
		if err := workflow.Await(ctx, func() bool { return w.st.Registered }); err != nil {
			return IntakeResult{}, err
		}
		if err := w.apply(ctx, Event{Type: "repeat_contact", Actor: actorCustomer, At: now,
			Payload: map[string]any{"channel": c.Channel, "subject": truncate(c.Subject, 200), "count": len(w.st.RepeatContacts), "reopened": reopen}},
			Message{Key: fmt.Sprintf("repeat-%d", len(w.st.RepeatContacts)), Audience: "staff", Recipient: w.st.Assignee, Kind: "repeat_contact",
				Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return IntakeResult{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return w.st.Registered }); err != nil {
		return IntakeResult{}, err
	}
	return IntakeResult{CaseID: w.st.CaseID, CaseNumber: w.st.CaseNumber, Status: w.st.Status,
		TrackingToken: w.st.TrackingToken, RepeatContact: !same, Duplicate: same && c.CaseID != w.st.CaseID}, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// --- staff decisions ---

func (w *complaint) requireStaff(a Actor) error {
	if a.ID == "" {
		return invalid("actor", "is required")
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
	if err := requireText("assignee", r.Assignee, 200); err != nil {
		return err
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
	if r.Assignee == "" && r.Team == "" {
		return invalid("assignee", "name an assignee or a team")
	}
	if err := requireText("reason", r.Reason, 1000); err != nil {
		return err
	}
	if r.Assignee != "" && r.Assignee == w.st.Assignee {
		return invalid("assignee", "the case is already with "+r.Assignee)
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
		if err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityAssign, AssignInput{CaseID: w.st.CaseID, Category: w.st.Category,
			Team: team, Role: w.st.Level, Exclude: from}).Get(ctx, &as); err != nil {
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
	w.st.PendingQuestion = r.Question
	w.st.InfoRequests++
	w.setStatus(ctx, StatusAwaitingInfo)
	return w.st, w.apply(ctx, Event{Type: "info_requested", Actor: r.Actor.ID, At: workflow.Now(ctx), Payload: map[string]any{"question": r.Question}},
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
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityAssign, AssignInput{CaseID: w.st.CaseID, Category: w.st.Category,
		Team: w.st.Team, Role: w.st.Level}).Get(ctx, &as); err != nil {
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
	if !ValidCategory(r.Category) {
		return invalid("category", "must be one of "+strings.Join(Categories, ", "))
	}
	if !ValidSeverity(r.Severity) {
		return invalid("severity", "must be one of "+strings.Join(Severities, ", "))
	}
	if err := requireText("reason", r.Reason, 1000); err != nil {
		return err
	}
	return w.requireOpen()
}

func (w *complaint) classification(ctx workflow.Context, r ClassificationRequest) (State, error) {
	from := map[string]any{"category": w.st.Category, "severity": w.st.Severity}
	w.st.Category, w.st.Severity = r.Category, r.Severity
	w.st.Priority = PriorityFor(r.Severity, len(w.st.RepeatContacts))
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
	if !slices.Contains(investigable, w.st.Status) {
		return wrongState("a resolution is proposed while investigating, not when the case is %s", w.st.Status)
	}
	if w.st.Findings == nil {
		return wrongState("record the findings before proposing a resolution")
	}
	_, err := w.st.Authority.Require(Proposal{Remedies: r.Remedies, RefusalReason: r.RefusalReason})
	if err != nil {
		return invalid("remedies", err.Error())
	}
	return nil
}

func (w *complaint) proposal(ctx workflow.Context, r ProposalRequest) (State, error) {
	w.st.ProposalCount++
	n := w.st.ProposalCount
	p := Proposal{Number: n, RefusalReason: r.RefusalReason, Message: r.Message, ProposedBy: r.Actor.ID, ProposedAt: workflow.Now(ctx)}
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

func (w *complaint) validateApproval(ctx workflow.Context, r ApprovalRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if r.Decision != "approve" && r.Decision != "reject" {
		return invalid("decision", "must be approve or reject")
	}
	if r.Decision == "reject" {
		if err := requireText("comment", r.Comment, MaxText); err != nil {
			return invalid("comment", "a rejection needs a comment saying why")
		}
	} else if err := optionalText("comment", r.Comment, MaxText); err != nil {
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
		w.setStatus(ctx, StatusExecuting)
	}
	w.changed++
	return w.st, w.apply(ctx, Event{Type: evType, Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"proposal": p.Number, "role": r.Actor.Role, "comment": r.Comment}}, msgs...)
}

// --- customer events ---

func (w *complaint) validateCustomerResponse(ctx workflow.Context, r CustomerResponse) error {
	if r.Decision != "accept" && r.Decision != "reject" {
		return invalid("decision", "must be accept or reject")
	}
	if r.Decision == "reject" {
		if err := requireText("comment", r.Comment, MaxText); err != nil {
			return invalid("comment", "please tell us why you reject the resolution")
		}
	} else if err := optionalText("comment", r.Comment, MaxText); err != nil {
		return err
	}
	if w.st.Status != StatusAwaitingCustomer {
		return wrongState("no resolution is waiting for your answer")
	}
	return nil
}

func (w *complaint) customerResponse(ctx workflow.Context, r CustomerResponse) (State, error) {
	now := workflow.Now(ctx)
	if r.Decision == "accept" {
		return w.st, w.close(ctx, "accepted", actorCustomer)
	}
	w.st.AppealCount++
	w.count(ctx, "complaints_appeals", map[string]string{"level": fmt.Sprint(w.st.AppealCount)})
	if w.st.AppealCount > w.st.Clocks.MaxAppeals {
		// After the last internal level: the final response, with the
		// route to the regulator or ombudsman.
		if err := w.apply(ctx, Event{Type: "final_response", Actor: actorCustomer, At: now,
			Payload: map[string]any{"comment": r.Comment, "regulator": w.st.Clocks.Regulator}},
			Message{Key: "final-response", Audience: "customer", Kind: "final_response",
				Params: map[string]string{"case_number": w.st.CaseNumber, "regulator": w.st.Clocks.Regulator}}); err != nil {
			return w.st, err
		}
		return w.st, w.close(ctx, "final_response", actorCustomer)
	}
	w.setStatus(ctx, StatusInvestigating)
	if err := w.apply(ctx, Event{Type: "appealed", Actor: actorCustomer, At: now, Payload: map[string]any{"comment": r.Comment, "appeal": w.st.AppealCount}},
		Message{Key: fmt.Sprintf("appeal-%d", w.st.AppealCount), Audience: "customer", Kind: "appeal_received",
			Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
		return w.st, err
	}
	return w.st, w.raiseLevel(ctx, actorCustomer, "appeal_assigned", r.Comment)
}

func (w *complaint) validateCustomerInfo(ctx workflow.Context, r CustomerInfo) error {
	if err := requireText("answer", r.Answer, MaxText); err != nil {
		return err
	}
	if w.st.Status != StatusAwaitingInfo {
		return wrongState("no question is waiting for your answer")
	}
	return nil
}

func (w *complaint) customerInfo(ctx workflow.Context, r CustomerInfo) (State, error) {
	q := w.st.PendingQuestion
	w.st.PendingQuestion = ""
	w.setStatus(ctx, StatusInvestigating)
	return w.st, w.apply(ctx, Event{Type: "info_received", Actor: actorCustomer, At: workflow.Now(ctx),
		Payload: map[string]any{"question": q, "answer": r.Answer}},
		Message{Key: fmt.Sprintf("info-received-%d", w.st.EventSeq+1), Audience: "staff", Recipient: w.st.Assignee, Kind: "info_received",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
}

func (w *complaint) validateWithdraw(ctx workflow.Context, r WithdrawRequest) error {
	if err := optionalText("reason", r.Reason, MaxText); err != nil {
		return err
	}
	if w.st.Status == StatusExecuting {
		return wrongState("the resolution is being carried out; withdraw after it completes")
	}
	return w.requireOpen()
}

func (w *complaint) withdraw(ctx workflow.Context, r WithdrawRequest) (State, error) {
	now := workflow.Now(ctx)
	w.setStatus(ctx, StatusWithdrawn)
	w.count(ctx, "complaints_withdrawn", map[string]string{"category": w.st.Category})
	return w.st, w.apply(ctx, Event{Type: "withdrawn", Actor: actorCustomer, At: now, Payload: map[string]any{"reason": r.Reason}},
		Message{Key: "withdrawn", Audience: "customer", Kind: "withdrawn", Params: map[string]string{"case_number": w.st.CaseNumber}},
		Message{Key: "withdrawn-staff", Audience: "staff", Recipient: w.st.Assignee, Kind: "withdrawn_staff", Params: map[string]string{"case_number": w.st.CaseNumber}})
}

func (w *complaint) validateSurvey(ctx workflow.Context, r SurveyAnswer) error {
	if r.Score < 1 || r.Score > 5 {
		return invalid("score", "must be from 1 to 5")
	}
	if err := optionalText("comment", r.Comment, MaxText); err != nil {
		return err
	}
	if w.st.Status != StatusClosed || w.st.SurveyStatus != SurveySent {
		return wrongState("the survey is not open")
	}
	return nil
}

func (w *complaint) surveyAnswerHandler(ctx workflow.Context, r SurveyAnswer) (State, error) {
	w.st.SurveyStatus = SurveyAnswered
	w.st.SurveyScore = r.Score
	w.changed++
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"score": fmt.Sprint(r.Score)}).Counter("complaints_survey_answers").Inc(1)
	if err := w.apply(ctx, Event{Type: "survey_answered", Actor: actorCustomer, At: workflow.Now(ctx),
		Payload: map[string]any{"score": r.Score, "comment": r.Comment}}); err != nil {
		return w.st, err
	}
	if r.Score <= 2 {
		if err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityRecovery, RecoveryInput{CaseID: w.st.CaseID, Team: w.st.Team, Score: r.Score}).Get(ctx, nil); err != nil {
			return w.st, fmt.Errorf("recovery task: %w", err)
		}
		if err := w.apply(ctx, Event{Type: "recovery_opened", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"score": r.Score}},
			Message{Key: "recovery", Audience: "staff", RecipientRole: RoleSupervisor, Team: w.st.Team, Kind: "recovery_task",
				Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}
