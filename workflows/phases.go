package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// awaitInfo waits for the customer's answer to a request for information,
// with one reminder and a time-out that returns the case to investigation.
func (w *caseWorkflow) awaitInfo(ctx workflow.Context) error {
	n := w.st.InfoRequests
	leftInfo := func() bool { return w.st.Status != complaint.StatusAwaitingInfo || w.st.InfoRequests != n }
	ok, err := w.awaitFor(ctx, w.st.Clocks.InfoReminder, leftInfo)
	if err != nil || ok {
		return err
	}
	if err := w.apply(ctx, complaint.Event{Type: "info_reminder", Actor: actorSystem, At: workflow.Now(ctx)},
		complaint.Message{Key: fmt.Sprintf("info-reminder-%d", w.st.EventSeq), Audience: "customer", Kind: "info_reminder",
			Params: map[string]string{"case_number": w.st.CaseNumber, "question": w.st.PendingQuestion}}); err != nil {
		return err
	}
	rest := w.st.Clocks.InfoTimeout - w.st.Clocks.InfoReminder
	ok, err = w.awaitFor(ctx, max(rest, time.Second), leftInfo)
	if err != nil || ok {
		return err
	}
	w.st.PendingQuestion = ""
	w.setStatus(ctx, complaint.StatusInvestigating)
	return w.apply(ctx, complaint.Event{Type: "info_timeout", Actor: actorSystem, At: workflow.Now(ctx)},
		complaint.Message{Key: fmt.Sprintf("info-timeout-%d", w.st.EventSeq), Audience: "staff", Recipient: w.st.Assignee, Kind: "info_timeout",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
}

// awaitApproval waits for the approvals a proposal needs; when its clock
// runs out the approvers are reminded, and next time it escalates.
func (w *caseWorkflow) awaitApproval(ctx workflow.Context) error {
	p := w.st.Proposal
	number := p.Number
	decided := func() bool {
		return w.st.Status != complaint.StatusAwaitingApproval || w.st.Proposal == nil || w.st.Proposal.Number != number
	}
	ok, err := w.awaitFor(ctx, max(p.DueAt.Sub(workflow.Now(ctx)), time.Second), decided)
	if err != nil || ok {
		return err
	}
	if err := w.apply(ctx, complaint.Event{Type: "approval_reminder", Actor: actorSystem, At: workflow.Now(ctx),
		Payload: map[string]any{"proposal": number, "role": p.Required.MinRole}},
		complaint.Message{Key: fmt.Sprintf("approval-reminder-%d", number), Audience: "staff", RecipientRole: p.Required.MinRole, Team: w.st.Team,
			Kind: "approval_reminder", Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
		return err
	}
	for level := p.Required.MinRole; ; {
		now := workflow.Now(ctx)
		ok, err = w.awaitFor(ctx, max(w.due(now, w.st.Clocks.Approval).Sub(now), time.Second), decided)
		if err != nil || ok {
			return err
		}
		next := complaint.NextRole(level)
		if next == level {
			// Nobody above: keep reminding the top level.
			continue
		}
		level = next
		w.st.Proposal.EscalatedTo = level
		w.count(ctx, "complaints_escalations", map[string]string{"reason": "approval_timeout"})
		if err := w.apply(ctx, complaint.Event{Type: "approval_escalated", Actor: actorSystem, At: workflow.Now(ctx),
			Payload: map[string]any{"proposal": number, "to": level}},
			complaint.Message{Key: fmt.Sprintf("approval-escalated-%d-%s", number, level), Audience: "staff", RecipientRole: level, Team: w.st.Team,
				Kind: "approval_escalated", Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return err
		}
	}
}

// execute carries out the approved remedies, each exactly once. If one
// fails for good, the ones done are reversed (saga), the case returns to
// its handler and the customer is told. From VersionRemedies on, a
// reversal that fails for good does not fail the workflow: the remedy is
// flagged reversal_failed on the case and in its audit trail, a person is
// asked to undo it by hand, and the case goes on; and fulfilments
// (replacement, repair) are ordered, and the case waits for staff to
// mark them done before it asks the customer to confirm.
func (w *caseWorkflow) execute(ctx workflow.Context) error {
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
		if r.State == "done" || r.State == complaint.FulfilmentOrdered || r.State == complaint.FulfilmentShipped {
			done = append(done, i)
			continue
		}
		track := w.remedies() && complaint.IsFulfilment(r.Type)
		err := workflow.ExecuteActivity(actx, ActivityExecuteRemedy, RemedyInput{
			CaseID: w.st.CaseID, Remedy: *r, IdempotencyKey: complaint.RemedyKey(w.st.CaseID, r.ID, "execute"), Track: track,
		}).Get(ctx, nil)
		if err != nil {
			r.State = "failed"
			failure = err
			break
		}
		r.State = "done"
		if track {
			r.State = complaint.FulfilmentOrdered
		}
		done = append(done, i)
		w.count(ctx, "complaints_remedies_executed", map[string]string{"type": r.Type, "currency": r.Currency})
		if r.Amount > 0 && (complaint.IsMoney(r.Type) || !w.remedies()) {
			workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"type": r.Type, "currency": r.Currency}).Counter("complaints_remedy_amount_minor").Inc(r.Amount)
		}
	}
	if failure != nil {
		return w.rollBack(ctx, actx, done, failure)
	}
	if w.remedies() && w.fulfilmentsPending() {
		now := workflow.Now(ctx)
		w.st.FulfilmentSince = &now
		w.setStatus(ctx, complaint.StatusFulfilling)
		// The customer is told the decision now: the regulators' clocks
		// (decide and tell the customer) are met; delivery runs under
		// the fulfilment clock.
		w.markMet(ctx, now, complaint.ClockResolve, complaint.ClockFirstResponse, complaint.ClockSummaryResolution, complaint.ClockAppeal,
			complaint.ClockFirstContact) // a message staff wrote to the customer (VersionParties)
		return w.apply(ctx, complaint.Event{Type: "fulfilment_ordered", Actor: actorSystem, At: now,
			Payload: map[string]any{"proposal": p.Number, "remedies": p.Remedies}},
			complaint.Message{Key: fmt.Sprintf("fulfilment-ordered-%d", p.Number), Audience: "customer", Kind: "fulfilment_ordered",
				Params: map[string]string{"case_number": w.st.CaseNumber, "message": p.Message}},
			complaint.Message{Key: fmt.Sprintf("fulfilment-ordered-staff-%d", p.Number), Audience: "staff", Recipient: w.st.Assignee, Kind: "fulfilment_ordered",
				Params: map[string]string{"case_number": w.st.CaseNumber}})
	}
	return w.resolve(ctx)
}

// rollBack reverses the remedies done (latest first) after one failed for
// good, and returns the case to its handler.
func (w *caseWorkflow) rollBack(ctx, actx workflow.Context, done []int, failure error) error {
	p := w.st.Proposal
	now := workflow.Now(ctx)
	slices.Reverse(done)
	var stuck, stuckTypes []string
	for _, i := range done {
		r := &p.Remedies[i]
		if err := workflow.ExecuteActivity(actx, ActivityReverseRemedy, RemedyInput{
			CaseID: w.st.CaseID, Remedy: *r, IdempotencyKey: complaint.RemedyKey(w.st.CaseID, r.ID, "reverse"),
		}).Get(ctx, nil); err != nil {
			if !w.remedies() {
				return fmt.Errorf("reverse remedy %s: %w", r.ID, err)
			}
			// The reversal failed for good (its retries are spent or
			// the provider refused it): a person must undo it.
			r.State = complaint.RemedyReversalFailed
			stuck = append(stuck, r.ID)
			stuckTypes = append(stuckTypes, r.Type)
			w.st.ReversalFailed = append(w.st.ReversalFailed, r.ID)
			w.count(ctx, "complaints_reversal_failures", map[string]string{"type": r.Type})
			continue
		}
		r.State = "undone"
	}
	w.st.FulfilmentSince = nil
	w.setStatus(ctx, complaint.StatusInvestigating)
	payload := map[string]any{"proposal": p.Number, "error": rootMessage(failure), "remedies": p.Remedies}
	msgs := []complaint.Message{
		{Key: fmt.Sprintf("exec-failed-%d", p.Number), Audience: "customer", Kind: "execution_failed",
			Params: map[string]string{"case_number": w.st.CaseNumber}},
		{Key: fmt.Sprintf("exec-failed-staff-%d", p.Number), Audience: "staff", Recipient: w.st.Assignee, Kind: "execution_failed_staff",
			Params: map[string]string{"case_number": w.st.CaseNumber}},
	}
	if len(stuck) > 0 {
		payload["reversal_failed"] = stuck
		msgs = append(msgs, complaint.Message{Key: fmt.Sprintf("reversal-failed-%d", p.Number), Audience: "staff", RecipientRole: complaint.RoleSupervisor, Team: w.st.Team,
			Kind: "reversal_failed", Params: map[string]string{"case_number": w.st.CaseNumber, "remedies": strings.Join(stuckTypes, ",")}})
		msgs[0].Kind = "execution_failed_pending"
	}
	return w.apply(ctx, complaint.Event{Type: "execution_failed", Actor: actorSystem, At: now, Payload: payload}, msgs...)
}

// resolve tells the customer the resolution carried out and starts the
// confirmation window.
func (w *caseWorkflow) resolve(ctx workflow.Context) error {
	p := w.st.Proposal
	now := workflow.Now(ctx)
	total, currency, _ := complaint.Total(p.Remedies)
	if w.remedies() {
		// Only money paid is compensation; a replacement's value
		// counted towards the approval, but is not paid.
		total, currency = paidTotal(p.Remedies)
	}
	w.st.Compensation += total
	w.st.ResolvedAt = &now
	w.st.FulfilmentSince = nil
	w.setStatus(ctx, complaint.StatusAwaitingCustomer)
	// A resolution sent within the profile's summary-resolution window
	// (FCA DISP 1.5: by the end of the 3rd business day) is a summary
	// resolution communication, which names the ombudsman.
	sum := w.deadline(complaint.ClockSummaryResolution)
	summary := sum.Clock != "" && !sum.Met && !now.After(sum.DueAt) && p.RefusalReason == ""
	w.markMet(ctx, now, complaint.ClockResolve, complaint.ClockFirstResponse, complaint.ClockSummaryResolution, complaint.ClockAppeal,
		complaint.ClockFirstContact) // a message staff wrote to the customer (VersionParties)
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
	return w.apply(ctx, complaint.Event{Type: "executed", Actor: actorSystem, At: now,
		Payload: map[string]any{"proposal": p.Number, "remedies": p.Remedies, "summary_resolution": summary}},
		complaint.Message{Key: fmt.Sprintf("resolution-%d", p.Number), Audience: "customer", Kind: kind,
			Params: map[string]string{"case_number": w.st.CaseNumber, "message": p.Message, "amount": complaint.FormatMoney(total, currency),
				"confirm_by": w.localTime(confirmBy), "regulator": w.st.Clocks.Regulator}})
}

// paidTotal adds the amounts of the remedies that move money.
func paidTotal(rs []complaint.Remedy) (int64, string) {
	var total int64
	currency := ""
	for _, r := range rs {
		if complaint.IsMoney(r.Type) && r.Amount > 0 {
			total += r.Amount
			currency = r.Currency
		}
	}
	return total, currency
}

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
func (w *caseWorkflow) awaitCustomer(ctx workflow.Context) error {
	answered := func() bool { return w.st.Status != complaint.StatusAwaitingCustomer }
	deemedAt := workflow.Now(ctx).Add(w.st.Clocks.ConfirmNotice)
	if w.st.ConfirmBy != nil {
		deemedAt = *w.st.ConfirmBy
	}
	first := deemedAt.Add(-w.st.Clocks.ConfirmNotice).Sub(workflow.Now(ctx))
	ok, err := w.awaitFor(ctx, max(first, time.Second), answered)
	if err != nil || ok {
		return err
	}
	if err := w.apply(ctx, complaint.Event{Type: "confirmation_notice", Actor: actorSystem, At: workflow.Now(ctx)},
		complaint.Message{Key: fmt.Sprintf("confirm-notice-%d", w.st.ProposalCount), Audience: "customer", Kind: "confirmation_notice",
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
func (w *caseWorkflow) close(ctx workflow.Context, outcome, actor string) error {
	now := workflow.Now(ctx)
	w.st.Outcome = outcome
	w.st.ClosedAt = &now
	w.st.SurveyStatus = complaint.SurveyScheduled
	w.st.SurveyRound++
	w.setStatus(ctx, complaint.StatusClosed)
	w.count(ctx, "complaints_closed", map[string]string{"outcome": outcome, "category": w.st.Category})
	return w.apply(ctx, complaint.Event{Type: "closed", Actor: actor, At: now, Payload: map[string]any{"outcome": outcome, "round": w.st.SurveyRound}},
		complaint.Message{Key: w.roundKey("closed"), Audience: "customer", Kind: "closed", Params: map[string]string{"case_number": w.st.CaseNumber}})
}

// roundKey is a message key of the current round (see RoundKey).
func (w *caseWorkflow) roundKey(key string) string { return complaint.RoundKey(key, w.st.SurveyRound) }

// survey runs the follow-up survey: after the delay it is sent, reminded
// once, and expires. It reports true when the workflow may complete, false
// when the case was reopened meanwhile.
func (w *caseWorkflow) survey(ctx workflow.Context) (bool, error) {
	reopened := func() bool { return w.st.Status != complaint.StatusClosed }
	if w.st.SurveyStatus == complaint.SurveyScheduled {
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
		w.st.SurveyStatus = complaint.SurveySent
		if err := w.apply(ctx, complaint.Event{Type: "survey_sent", Actor: actorSystem, At: workflow.Now(ctx)}); err != nil {
			return false, err
		}
	}
	// An answer ends the case: its pending reminder timer need not be
	// cancelled.
	answered := func() bool { return w.st.SurveyStatus == complaint.SurveyAnswered }
	answeredOrReopened := func() bool { return answered() || reopened() }
	if w.st.SurveyStatus == complaint.SurveySent {
		ok, err := w.awaitFor(ctx, w.st.Clocks.SurveyReminder, answeredOrReopened, answered)
		if err != nil {
			return false, err
		}
		if !ok {
			if err := w.apply(ctx, complaint.Event{Type: "survey_reminder", Actor: actorSystem, At: workflow.Now(ctx)},
				complaint.Message{Key: w.roundKey("survey-reminder"), Audience: "customer", Kind: "survey_reminder",
					Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
				return false, err
			}
			ok, err = w.awaitFor(ctx, max(w.st.Clocks.SurveyExpiry-w.st.Clocks.SurveyReminder, time.Second), answeredOrReopened, answered)
			if err != nil {
				return false, err
			}
			if !ok {
				w.st.SurveyStatus = complaint.SurveyExpired
				return true, w.apply(ctx, complaint.Event{Type: "survey_expired", Actor: actorSystem, At: workflow.Now(ctx)})
			}
		}
	}
	if reopened() {
		return false, nil
	}
	// Answered: the handler has recorded it; wait for it to finish.
	return true, nil
}
