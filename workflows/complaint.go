package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Search attributes the workflow keeps current; none carries personal data.
var (
	SearchCaseStatus = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
	SearchCategory   = temporal.NewSearchAttributeKeyKeyword("CaseCategory")
	SearchSeverity   = temporal.NewSearchAttributeKeyKeyword("CaseSeverity")
	SearchCaseNumber = temporal.NewSearchAttributeKeyKeyword("CaseNumber")
)

// SearchAttributeTypes lists the custom search attributes to register on
// the namespace.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SearchCaseStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchCategory.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchSeverity.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchCaseNumber.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// actorSystem and actorCustomer name non-staff actors in the audit trail.
const (
	actorSystem   = "system"
	actorCustomer = "customer"
)

// complaint is one running ComplaintWorkflow: its state and the context
// handlers share. Workflow code is single-threaded and cooperative, so a
// handler's mutations before its first blocking call are atomic.
type complaint struct {
	in Complaint
	st State
	// changed is bumped on every transition so waits can notice them.
	changed int
}

// ComplaintWorkflow runs one complaint from receipt to the follow-up survey.
func ComplaintWorkflow(ctx workflow.Context, in Input) (State, error) {
	w := &complaint{in: in.Complaint}
	if in.Resume != nil {
		w.st = *in.Resume
	} else {
		w.st = State{CaseID: in.Complaint.CaseID, Status: StatusReceived, Level: RoleAgent,
			Language: in.Complaint.Language, ReceivedAt: in.Complaint.ReceivedAt}
		if in.Complaint.IdempotencyKey != "" {
			w.st.IdempotencyKeys = []string{in.Complaint.IdempotencyKey}
		}
	}
	if err := w.registerHandlers(ctx); err != nil {
		return w.st, err
	}
	if !w.st.Registered {
		if err := w.register(ctx); err != nil {
			return w.st, err
		}
	}
	workflow.Go(ctx, w.watchClocks)

	for {
		var err error
		switch w.st.Status {
		case StatusReceived:
			err = w.acknowledge(ctx)
		case StatusAcknowledged, StatusInvestigating:
			err = w.waitLeaving(ctx, w.st.Status)
		case StatusAwaitingInfo:
			err = w.awaitInfo(ctx)
		case StatusAwaitingApproval:
			err = w.awaitApproval(ctx)
		case StatusExecuting:
			err = w.execute(ctx)
		case StatusAwaitingCustomer:
			err = w.awaitCustomer(ctx)
		case StatusClosed:
			done, serr := w.survey(ctx)
			if serr != nil {
				return w.st, serr
			}
			if done {
				return w.finish(ctx)
			}
		case StatusWithdrawn:
			return w.finish(ctx)
		default:
			return w.st, fmt.Errorf("unknown status %q", w.st.Status)
		}
		if err != nil {
			return w.st, err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && w.st.Status != StatusExecuting {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return w.st, err
			}
			return w.st, workflow.NewContinueAsNewError(ctx, WorkflowName, Input{Complaint: w.in, Resume: &w.st})
		}
	}
}

// withActivityOptions gives ctx the options of the case's own activities.
// Update handlers receive the workflow's root context, so every call site
// goes through this rather than relying on a context set up in the main
// function.
func withActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// finish waits for running handlers so none is cut off, then completes.
func (w *complaint) finish(ctx workflow.Context) (State, error) {
	err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return w.st, err
}

// register stores the case, classifies it and computes its deadlines.
func (w *complaint) register(ctx workflow.Context) error {
	cls := Classify(w.in)
	var res RegisterResult
	err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityRegister, RegisterInput{
		Complaint: w.in, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, FirstRunID: workflow.GetInfo(ctx).FirstRunID, Classification: cls,
	}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	w.st.CaseNumber = res.CaseNumber
	w.st.TrackingToken = res.TrackingToken
	w.st.Clocks = res.Clocks
	w.st.Authority = res.Authority
	w.st.Category, w.st.Severity, w.st.Priority = cls.Category, cls.Severity, cls.Priority
	dl, err := ComputeDeadlines(res.Clocks, w.in.ReceivedAt, cls.Severity)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidClock", err)
	}
	w.st.Deadlines = dl
	// The register activity wrote events 1 (received) and 2 (classified).
	w.st.EventSeq = 2
	w.st.Registered = true
	w.changed++
	_ = workflow.UpsertTypedSearchAttributes(ctx,
		SearchCaseNumber.ValueSet(res.CaseNumber),
		SearchCaseStatus.ValueSet(StatusReceived),
		SearchCategory.ValueSet(cls.Category),
		SearchSeverity.ValueSet(cls.Severity))
	w.count(ctx, "complaints_received", map[string]string{"channel": w.in.Channel, "category": cls.Category, "severity": cls.Severity, "profile": res.Clocks.Profile})
	return nil
}

// acknowledge assigns a first handler and tells the customer the case
// number, who handles it and when to expect a resolution.
func (w *complaint) acknowledge(ctx workflow.Context) error {
	var as AssignResult
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityAssign, AssignInput{
		CaseID: w.st.CaseID, Category: w.st.Category, Role: RoleAgent,
	}).Get(ctx, &as); err != nil {
		return fmt.Errorf("assign: %w", err)
	}
	now := workflow.Now(ctx)
	w.st.Assignee, w.st.Team = as.Assignee, as.Team
	w.st.AcknowledgedAt = &now
	w.markMet(ClockAcknowledge, now)
	due := w.deadline(ClockResolve).DueAt
	msgs := []Message{{
		Key: "ack", Audience: "customer", Kind: "acknowledgement",
		Params: map[string]string{"case_number": w.st.CaseNumber, "handler": handlerName(as), "due": due.Format(time.RFC3339)},
	}}
	if as.Assignee != "" {
		msgs = append(msgs, Message{Key: "assigned", Audience: "staff", Recipient: as.Assignee, Kind: "assigned",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
	}
	if as.Escalated || as.Assignee == "" {
		msgs = append(msgs, Message{Key: "unassigned", Audience: "staff", RecipientRole: RoleSupervisor, Team: as.Team, Kind: "unassigned",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
	}
	w.setStatus(ctx, StatusAcknowledged)
	return w.apply(ctx, Event{Type: "acknowledged", Actor: actorSystem, At: now, Payload: map[string]any{
		"assignee": as.Assignee, "team": as.Team, "escalated": as.Escalated, "resolve_due_at": due,
	}}, msgs...)
}

func handlerName(as AssignResult) string {
	if as.Assignee == "" {
		return as.Team
	}
	return as.Assignee
}

// assignRetry is how often an unowned case looks for a handler again.
const assignRetry = time.Hour

// waitLeaving waits until a handler moves the case out of status. A case
// nobody could be assigned to (no staff registered yet) looks for a
// handler again every assignRetry, so nobody-owns-it does not last.
func (w *complaint) waitLeaving(ctx workflow.Context, status string) error {
	left := func() bool { return w.st.Status != status || w.continueSuggested(ctx) }
	for w.st.Assignee == "" {
		ok, err := workflow.AwaitWithTimeout(ctx, assignRetry, func() bool { return left() || w.st.Assignee != "" })
		if err != nil || ok {
			return err
		}
		var as AssignResult
		if err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityAssign, AssignInput{
			CaseID: w.st.CaseID, Category: w.st.Category, Team: w.st.Team, Role: w.st.Level,
		}).Get(ctx, &as); err != nil {
			return fmt.Errorf("assign: %w", err)
		}
		if as.Assignee == "" || w.st.Assignee != "" {
			continue
		}
		w.st.Assignee = as.Assignee
		if err := w.apply(ctx, Event{Type: "assigned", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"assignee": as.Assignee, "retry": true}},
			Message{Key: fmt.Sprintf("assigned-%d", w.st.EventSeq+1), Audience: "staff", Recipient: as.Assignee, Kind: "assigned",
				Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, left)
}

func (w *complaint) continueSuggested(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// awaitInfo waits for the customer's answer to a request for information,
// with one reminder and a time-out that returns the case to investigation.
func (w *complaint) awaitInfo(ctx workflow.Context) error {
	n := w.st.InfoRequests
	leftInfo := func() bool { return w.st.Status != StatusAwaitingInfo || w.st.InfoRequests != n }
	ok, err := workflow.AwaitWithTimeout(ctx, w.st.Clocks.InfoReminder, leftInfo)
	if err != nil || ok {
		return err
	}
	if err := w.apply(ctx, Event{Type: "info_reminder", Actor: actorSystem, At: workflow.Now(ctx)},
		Message{Key: fmt.Sprintf("info-reminder-%d", w.st.EventSeq), Audience: "customer", Kind: "info_reminder",
			Params: map[string]string{"case_number": w.st.CaseNumber, "question": w.st.PendingQuestion}}); err != nil {
		return err
	}
	rest := w.st.Clocks.InfoTimeout - w.st.Clocks.InfoReminder
	ok, err = workflow.AwaitWithTimeout(ctx, max(rest, time.Second), leftInfo)
	if err != nil || ok {
		return err
	}
	w.st.PendingQuestion = ""
	w.setStatus(ctx, StatusInvestigating)
	return w.apply(ctx, Event{Type: "info_timeout", Actor: actorSystem, At: workflow.Now(ctx)},
		Message{Key: fmt.Sprintf("info-timeout-%d", w.st.EventSeq), Audience: "staff", Recipient: w.st.Assignee, Kind: "info_timeout",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
}

// awaitApproval waits for the approvals a proposal needs; when its clock
// runs out the approvers are reminded, and next time it escalates.
func (w *complaint) awaitApproval(ctx workflow.Context) error {
	p := w.st.Proposal
	number := p.Number
	decided := func() bool {
		return w.st.Status != StatusAwaitingApproval || w.st.Proposal == nil || w.st.Proposal.Number != number
	}
	ok, err := workflow.AwaitWithTimeout(ctx, w.st.Clocks.Approval, decided)
	if err != nil || ok {
		return err
	}
	if err := w.apply(ctx, Event{Type: "approval_reminder", Actor: actorSystem, At: workflow.Now(ctx),
		Payload: map[string]any{"proposal": number, "role": p.Required.MinRole}},
		Message{Key: fmt.Sprintf("approval-reminder-%d", number), Audience: "staff", RecipientRole: p.Required.MinRole, Team: w.st.Team,
			Kind: "approval_reminder", Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
		return err
	}
	for level := p.Required.MinRole; ; {
		ok, err = workflow.AwaitWithTimeout(ctx, w.st.Clocks.Approval, decided)
		if err != nil || ok {
			return err
		}
		next := NextRole(level)
		if next == level {
			// Nobody above: keep reminding the top level.
			continue
		}
		level = next
		w.st.Proposal.EscalatedTo = level
		w.count(ctx, "complaints_escalations", map[string]string{"reason": "approval_timeout"})
		if err := w.apply(ctx, Event{Type: "approval_escalated", Actor: actorSystem, At: workflow.Now(ctx),
			Payload: map[string]any{"proposal": number, "to": level}},
			Message{Key: fmt.Sprintf("approval-escalated-%d-%s", number, level), Audience: "staff", RecipientRole: level, Team: w.st.Team,
				Kind: "approval_escalated", Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return err
		}
	}
}

// execute carries out the approved remedies, each exactly once. If one
// fails for good, the ones done are reversed (saga), the case returns to
// its handler and the customer is told.
func (w *complaint) execute(ctx workflow.Context) error {
	p := w.st.Proposal
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 10,
		},
	})
	var done []int
	var failure error
	for i := range p.Remedies {
		r := &p.Remedies[i]
		if r.State == "done" {
			done = append(done, i)
			continue
		}
		err := workflow.ExecuteActivity(actx, ActivityExecuteRemedy, RemedyInput{
			CaseID: w.st.CaseID, Remedy: *r, IdempotencyKey: remedyKey(w.st.CaseID, r.ID, "execute"),
		}).Get(ctx, nil)
		if err != nil {
			r.State = "failed"
			failure = err
			break
		}
		r.State = "done"
		done = append(done, i)
		w.count(ctx, "complaints_remedies_executed", map[string]string{"type": r.Type, "currency": r.Currency})
	}
	now := workflow.Now(ctx)
	if failure != nil {
		slices.Reverse(done)
		for _, i := range done {
			r := &p.Remedies[i]
			if err := workflow.ExecuteActivity(actx, ActivityReverseRemedy, RemedyInput{
				CaseID: w.st.CaseID, Remedy: *r, IdempotencyKey: remedyKey(w.st.CaseID, r.ID, "reverse"),
			}).Get(ctx, nil); err != nil {
				return fmt.Errorf("reverse remedy %s: %w", r.ID, err)
			}
			r.State = "undone"
		}
		w.setStatus(ctx, StatusInvestigating)
		return w.apply(ctx, Event{Type: "execution_failed", Actor: actorSystem, At: now,
			Payload: map[string]any{"proposal": p.Number, "error": rootMessage(failure), "remedies": p.Remedies}},
			Message{Key: fmt.Sprintf("exec-failed-%d", p.Number), Audience: "customer", Kind: "execution_failed",
				Params: map[string]string{"case_number": w.st.CaseNumber}},
			Message{Key: fmt.Sprintf("exec-failed-staff-%d", p.Number), Audience: "staff", Recipient: w.st.Assignee, Kind: "execution_failed_staff",
				Params: map[string]string{"case_number": w.st.CaseNumber}})
	}
	total, currency, _ := Total(p.Remedies)
	w.st.Compensation += total
	w.st.ResolvedAt = &now
	w.setStatus(ctx, StatusAwaitingCustomer)
	w.markMet(ClockResolve, now)
	kind := "resolution"
	if p.RefusalReason != "" {
		kind = "refusal"
	}
	return w.apply(ctx, Event{Type: "executed", Actor: actorSystem, At: now,
		Payload: map[string]any{"proposal": p.Number, "remedies": p.Remedies}},
		Message{Key: fmt.Sprintf("resolution-%d", p.Number), Audience: "customer", Kind: kind,
			Params: map[string]string{"case_number": w.st.CaseNumber, "message": p.Message, "amount": FormatMoney(total, currency),
				"confirm_by": now.Add(w.st.Clocks.ConfirmWindow).Format(time.RFC3339)}})
}

func remedyKey(caseID, remedyID, op string) string { return caseID + ":" + remedyID + ":" + op }

func rootMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	for errors.Unwrap(err) != nil {
		err = errors.Unwrap(err)
	}
	return err.Error()
}

// awaitCustomer waits for the customer's answer. Silence counts as
// acceptance at the end of the window, and the customer is told so first.
func (w *complaint) awaitCustomer(ctx workflow.Context) error {
	answered := func() bool { return w.st.Status != StatusAwaitingCustomer }
	first := w.st.Clocks.ConfirmWindow - w.st.Clocks.ConfirmNotice
	ok, err := workflow.AwaitWithTimeout(ctx, max(first, time.Second), answered)
	if err != nil || ok {
		return err
	}
	deemedAt := workflow.Now(ctx).Add(w.st.Clocks.ConfirmNotice)
	if err := w.apply(ctx, Event{Type: "confirmation_notice", Actor: actorSystem, At: workflow.Now(ctx)},
		Message{Key: fmt.Sprintf("confirm-notice-%d", w.st.ProposalCount), Audience: "customer", Kind: "confirmation_notice",
			Params: map[string]string{"case_number": w.st.CaseNumber, "deemed_at": deemedAt.Format(time.RFC3339)}}); err != nil {
		return err
	}
	ok, err = workflow.AwaitWithTimeout(ctx, max(w.st.Clocks.ConfirmNotice, time.Second), answered)
	if err != nil || ok {
		return err
	}
	return w.close(ctx, "deemed_accepted", actorSystem)
}

// close closes the case and schedules the follow-up survey.
func (w *complaint) close(ctx workflow.Context, outcome, actor string) error {
	now := workflow.Now(ctx)
	w.st.Outcome = outcome
	w.st.ClosedAt = &now
	w.st.SurveyStatus = SurveyScheduled
	w.setStatus(ctx, StatusClosed)
	w.count(ctx, "complaints_closed", map[string]string{"outcome": outcome, "category": w.st.Category})
	return w.apply(ctx, Event{Type: "closed", Actor: actor, At: now, Payload: map[string]any{"outcome": outcome}},
		Message{Key: "closed", Audience: "customer", Kind: "closed", Params: map[string]string{"case_number": w.st.CaseNumber}})
}

// survey runs the follow-up survey: after the delay it is sent, reminded
// once, and expires. It reports true when the workflow may complete, false
// when the case was reopened meanwhile.
func (w *complaint) survey(ctx workflow.Context) (bool, error) {
	reopened := func() bool { return w.st.Status != StatusClosed }
	if w.st.SurveyStatus == SurveyScheduled {
		ok, err := workflow.AwaitWithTimeout(ctx, w.st.Clocks.SurveyDelay, reopened)
		if err != nil || ok {
			return false, err
		}
		if err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityOpenSurvey, SurveyInput{CaseID: w.st.CaseID, Language: w.st.Language}).Get(ctx, nil); err != nil {
			return false, fmt.Errorf("open survey: %w", err)
		}
		w.st.SurveyStatus = SurveySent
		if err := w.apply(ctx, Event{Type: "survey_sent", Actor: actorSystem, At: workflow.Now(ctx)}); err != nil {
			return false, err
		}
	}
	answeredOrReopened := func() bool { return w.st.SurveyStatus == SurveyAnswered || reopened() }
	if w.st.SurveyStatus == SurveySent {
		ok, err := workflow.AwaitWithTimeout(ctx, w.st.Clocks.SurveyReminder, answeredOrReopened)
		if err != nil {
			return false, err
		}
		if !ok {
			if err := w.apply(ctx, Event{Type: "survey_reminder", Actor: actorSystem, At: workflow.Now(ctx)},
				Message{Key: "survey-reminder", Audience: "customer", Kind: "survey_reminder",
					Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
				return false, err
			}
			ok, err = workflow.AwaitWithTimeout(ctx, max(w.st.Clocks.SurveyExpiry-w.st.Clocks.SurveyReminder, time.Second), answeredOrReopened)
			if err != nil {
				return false, err
			}
			if !ok {
				w.st.SurveyStatus = SurveyExpired
				return true, w.apply(ctx, Event{Type: "survey_expired", Actor: actorSystem, At: workflow.Now(ctx)})
			}
		}
	}
	if reopened() {
		return false, nil
	}
	// Answered: the handler has recorded it; wait for it to finish.
	return true, nil
}

// watchClocks raises the early warning and the breach of each deadline not
// met in time.
func (w *complaint) watchClocks(ctx workflow.Context) {
	for i := range w.st.Deadlines {
		clock := w.st.Deadlines[i].Clock
		met := func() bool { d := w.deadline(clock); return d.Met || w.isFinal() }
		d := w.deadline(clock)
		if !d.WarnAt.IsZero() && !d.Breached && !d.Warned {
			if wait := d.WarnAt.Sub(workflow.Now(ctx)); wait > 0 {
				if ok, err := workflow.AwaitWithTimeout(ctx, wait, met); err != nil || ok {
					continue
				}
			}
			if !met() && !d.Breached {
				w.warn(ctx, clock)
			}
		}
		if wait := w.deadline(clock).DueAt.Sub(workflow.Now(ctx)); wait > 0 {
			if ok, err := workflow.AwaitWithTimeout(ctx, wait, met); err != nil || ok {
				continue
			}
		}
		if !met() && !w.deadline(clock).Breached {
			w.breach(ctx, clock)
		}
	}
}

func (w *complaint) isFinal() bool {
	return w.st.Status == StatusClosed || w.st.Status == StatusWithdrawn
}

func (w *complaint) warn(ctx workflow.Context, clock string) {
	for i := range w.st.Deadlines {
		if w.st.Deadlines[i].Clock == clock {
			w.st.Deadlines[i].Warned = true
		}
	}
	d := w.deadline(clock)
	w.st.AtRisk = true
	w.count(ctx, "complaints_clock_warnings", map[string]string{"clock": clock, "profile": w.st.Clocks.Profile, "category": w.st.Category})
	_ = w.apply(ctx, Event{Type: "clock_warning", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"clock": clock, "due_at": d.DueAt}},
		Message{Key: "warn-" + clock, Audience: "staff", Recipient: w.st.Assignee, Kind: "clock_warning", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": clock}},
		Message{Key: "warn-sup-" + clock, Audience: "staff", RecipientRole: RoleSupervisor, Team: w.st.Team, Kind: "clock_warning", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": clock}})
}

func (w *complaint) breach(ctx workflow.Context, clock string) {
	for i := range w.st.Deadlines {
		if w.st.Deadlines[i].Clock == clock {
			w.st.Deadlines[i].Breached = true
		}
	}
	w.count(ctx, "complaints_clock_breaches", map[string]string{"clock": clock, "profile": w.st.Clocks.Profile, "category": w.st.Category})
	next := NextRole(w.st.Level)
	_ = w.apply(ctx, Event{Type: "clock_breached", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"clock": clock, "escalated_to": next}},
		Message{Key: "breach-" + clock, Audience: "staff", RecipientRole: next, Team: w.st.Team, Kind: "clock_breached", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": clock}})
}

func (w *complaint) deadline(clock string) Deadline {
	for _, d := range w.st.Deadlines {
		if d.Clock == clock {
			return d
		}
	}
	return Deadline{}
}

func (w *complaint) markMet(clock string, at time.Time) {
	for i := range w.st.Deadlines {
		d := &w.st.Deadlines[i]
		if d.Clock == clock && !d.Met {
			d.Met, d.MetAt = true, at
		}
	}
}

// setStatus changes the status and keeps the search attribute current.
func (w *complaint) setStatus(ctx workflow.Context, status string) {
	if w.st.Status == status {
		return
	}
	w.st.Status = status
	w.changed++
	_ = workflow.UpsertTypedSearchAttributes(ctx, SearchCaseStatus.ValueSet(status))
}

// apply writes one audit event (with the case row's new values and the
// messages it sends) through the ApplyChange activity.
//
// Each change carries the whole current row (Row), not a delta: changes of
// one case may be applied out of order (an update handler's activity and
// the main loop's run concurrently), and the store keeps a row only from a
// change newer than the one it has, so the row always ends as the newest
// state and never as a mix.
func (w *complaint) apply(ctx workflow.Context, ev Event, msgs ...Message) error {
	w.st.EventSeq++
	w.changed++
	ch := Change{CaseID: w.st.CaseID, Seq: w.st.EventSeq, Event: ev, Row: w.row(), Messages: msgs, Language: w.st.Language}
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), ActivityApply, ch).Get(ctx, nil); err != nil {
		return fmt.Errorf("apply %s: %w", ev.Type, err)
	}
	return nil
}

// count increments a workflow metric through the replay-safe handler.
func (w *complaint) count(ctx workflow.Context, name string, tags map[string]string) {
	workflow.GetMetricsHandler(ctx).WithTags(tags).Counter(name).Inc(1)
}

// row is the case row as the current state says it should be.
func (w *complaint) row() CaseRow {
	r := CaseRow{Status: w.st.Status, SurveyStatus: w.st.SurveyStatus, Assignee: w.st.Assignee, Team: w.st.Team,
		Level: w.st.Level, Category: w.st.Category, Severity: w.st.Severity, Priority: w.st.Priority,
		AppealCount: w.st.AppealCount, RepeatCount: len(w.st.RepeatContacts), TransferCount: w.st.TransferCount,
		AtRisk: w.st.AtRisk, AcknowledgedAt: w.st.AcknowledgedAt, ResolvedAt: w.st.ResolvedAt, ClosedAt: w.st.ClosedAt,
		Compensation: w.st.Compensation, Outcome: w.st.Outcome, SurveyScore: w.st.SurveyScore}
	for _, d := range w.st.Deadlines {
		r.Breached = r.Breached || d.Breached
	}
	if f := w.st.Findings; f != nil {
		r.Cause, r.CauseDetail, r.Responsibility = f.Cause, f.CauseDetail, f.Responsibility
	}
	return r
}
