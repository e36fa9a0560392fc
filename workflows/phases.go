package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// awaitInfo waits for the customer's answer to a request for information,
// with one reminder and a time-out that returns the case to investigation.
func (w *complaint) awaitInfo(ctx workflow.Context) error {
	n := w.st.InfoRequests
	leftInfo := func() bool { return w.st.Status != StatusAwaitingInfo || w.st.InfoRequests != n }
	ok, err := w.awaitFor(ctx, w.st.Clocks.InfoReminder, leftInfo)
	if err != nil || ok {
		return err
	}
	if err := w.apply(ctx, Event{Type: "info_reminder", Actor: actorSystem, At: workflow.Now(ctx)},
		Message{Key: fmt.Sprintf("info-reminder-%d", w.st.EventSeq), Audience: "customer", Kind: "info_reminder",
			Params: map[string]string{"case_number": w.st.CaseNumber, "question": w.st.PendingQuestion}}); err != nil {
		return err
	}
	rest := w.st.Clocks.InfoTimeout - w.st.Clocks.InfoReminder
	ok, err = w.awaitFor(ctx, max(rest, time.Second), leftInfo)
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
	ok, err := w.awaitFor(ctx, max(p.DueAt.Sub(workflow.Now(ctx)), time.Second), decided)
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
		now := workflow.Now(ctx)
		ok, err = w.awaitFor(ctx, max(w.due(now, w.st.Clocks.Approval).Sub(now), time.Second), decided)
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
		// The payment activities heartbeat every second: a worker that
		// dies mid-payment is noticed in 5 s, not at the minute.
		HeartbeatTimeout: 5 * time.Second,
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
			CaseID: w.st.CaseID, Remedy: *r, IdempotencyKey: RemedyKey(w.st.CaseID, r.ID, "execute"),
		}).Get(ctx, nil)
		if err != nil {
			r.State = "failed"
			failure = err
			break
		}
		r.State = "done"
		done = append(done, i)
		w.count(ctx, "complaints_remedies_executed", map[string]string{"type": r.Type, "currency": r.Currency})
		if r.Amount > 0 {
			workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"type": r.Type, "currency": r.Currency}).Counter("complaints_remedy_amount_minor").Inc(r.Amount)
		}
	}
	now := workflow.Now(ctx)
	if failure != nil {
		slices.Reverse(done)
		for _, i := range done {
			r := &p.Remedies[i]
			if err := workflow.ExecuteActivity(actx, ActivityReverseRemedy, RemedyInput{
				CaseID: w.st.CaseID, Remedy: *r, IdempotencyKey: RemedyKey(w.st.CaseID, r.ID, "reverse"),
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
	// A resolution sent within the profile's summary-resolution window
	// (FCA DISP 1.5: by the end of the 3rd business day) is a summary
	// resolution communication, which names the ombudsman.
	sum := w.deadline(ClockSummaryResolution)
	summary := sum.Clock != "" && !sum.Met && !now.After(sum.DueAt) && p.RefusalReason == ""
	w.markMet(ctx, now, ClockResolve, ClockFirstResponse, ClockSummaryResolution, ClockAppeal)
	w.observe(ctx, "complaints_resolution_time", now.Sub(w.st.ReceivedAt), map[string]string{"profile": w.st.Clocks.Profile, "category": w.st.Category})
	confirmBy := w.due(now, w.st.Clocks.Confirm)
	w.st.ConfirmBy = &confirmBy
	kind := "resolution"
	switch {
	case p.RefusalReason != "":
		kind = "refusal"
	case summary:
		kind = "summary_resolution"
	}
	return w.apply(ctx, Event{Type: "executed", Actor: actorSystem, At: now,
		Payload: map[string]any{"proposal": p.Number, "remedies": p.Remedies, "summary_resolution": summary}},
		Message{Key: fmt.Sprintf("resolution-%d", p.Number), Audience: "customer", Kind: kind,
			Params: map[string]string{"case_number": w.st.CaseNumber, "message": p.Message, "amount": FormatMoney(total, currency),
				"confirm_by": w.localTime(confirmBy), "regulator": w.st.Clocks.Regulator}})
}

// RemedyKey is the idempotency key of one operation (execute, reverse) on
// one remedy of a case.
func RemedyKey(caseID, remedyID, op string) string { return caseID + ":" + remedyID + ":" + op }

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
	deemedAt := workflow.Now(ctx).Add(w.st.Clocks.ConfirmNotice)
	if w.st.ConfirmBy != nil {
		deemedAt = *w.st.ConfirmBy
	}
	first := deemedAt.Add(-w.st.Clocks.ConfirmNotice).Sub(workflow.Now(ctx))
	ok, err := w.awaitFor(ctx, max(first, time.Second), answered)
	if err != nil || ok {
		return err
	}
	if err := w.apply(ctx, Event{Type: "confirmation_notice", Actor: actorSystem, At: workflow.Now(ctx)},
		Message{Key: fmt.Sprintf("confirm-notice-%d", w.st.ProposalCount), Audience: "customer", Kind: "confirmation_notice",
			Params: map[string]string{"case_number": w.st.CaseNumber, "deemed_at": w.localTime(deemedAt)}}); err != nil {
		return err
	}
	ok, err = w.awaitFor(ctx, max(deemedAt.Sub(workflow.Now(ctx)), time.Second), answered)
	if err != nil || ok {
		return err
	}
	return w.close(ctx, "deemed_accepted", actorSystem)
}

// close closes the case and schedules the follow-up survey. Each closing
// ends a handling round (a case reopened by a repeat contact closes
// again): it has its own message and its own survey, reminder and
// recovery task, keyed by the round.
func (w *complaint) close(ctx workflow.Context, outcome, actor string) error {
	now := workflow.Now(ctx)
	w.st.Outcome = outcome
	w.st.ClosedAt = &now
	w.st.SurveyStatus = SurveyScheduled
	w.st.SurveyRound++
	w.setStatus(ctx, StatusClosed)
	w.count(ctx, "complaints_closed", map[string]string{"outcome": outcome, "category": w.st.Category})
	return w.apply(ctx, Event{Type: "closed", Actor: actor, At: now, Payload: map[string]any{"outcome": outcome, "round": w.st.SurveyRound}},
		Message{Key: w.roundKey("closed"), Audience: "customer", Kind: "closed", Params: map[string]string{"case_number": w.st.CaseNumber}})
}

// roundKey is a message key of the current round (see RoundKey).
func (w *complaint) roundKey(key string) string { return RoundKey(key, w.st.SurveyRound) }

// RoundKey is the outbox key of a message of a closing's round: the first
// round's is the key itself, as before rounds (so a retried activity of a
// case started before them finds its message), and later rounds' carry
// the round.
func RoundKey(key string, round int) string {
	if round <= 1 {
		return key
	}
	return fmt.Sprintf("%s-%d", key, round)
}

// survey runs the follow-up survey: after the delay it is sent, reminded
// once, and expires. It reports true when the workflow may complete, false
// when the case was reopened meanwhile.
func (w *complaint) survey(ctx workflow.Context) (bool, error) {
	reopened := func() bool { return w.st.Status != StatusClosed }
	if w.st.SurveyStatus == SurveyScheduled {
		ok, err := w.awaitFor(ctx, w.st.Clocks.SurveyDelay, reopened)
		if err != nil || ok {
			return false, err
		}
		w.surveyOpening = true
		err = w.storeGet(ctx, "survey_sent", ActivityOpenSurvey, SurveyInput{CaseID: w.st.CaseID, Language: w.st.Language, Round: w.st.SurveyRound}, nil)
		w.surveyOpening = false
		if err != nil {
			return false, fmt.Errorf("open survey: %w", err)
		}
		w.st.SurveyStatus = SurveySent
		if err := w.apply(ctx, Event{Type: "survey_sent", Actor: actorSystem, At: workflow.Now(ctx)}); err != nil {
			return false, err
		}
	}
	// An answer ends the case: its pending reminder timer need not be
	// cancelled.
	answered := func() bool { return w.st.SurveyStatus == SurveyAnswered }
	answeredOrReopened := func() bool { return answered() || reopened() }
	if w.st.SurveyStatus == SurveySent {
		ok, err := w.awaitFor(ctx, w.st.Clocks.SurveyReminder, answeredOrReopened, answered)
		if err != nil {
			return false, err
		}
		if !ok {
			if err := w.apply(ctx, Event{Type: "survey_reminder", Actor: actorSystem, At: workflow.Now(ctx)},
				Message{Key: w.roundKey("survey-reminder"), Audience: "customer", Kind: "survey_reminder",
					Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
				return false, err
			}
			ok, err = w.awaitFor(ctx, max(w.st.Clocks.SurveyExpiry-w.st.Clocks.SurveyReminder, time.Second), answeredOrReopened, answered)
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
