package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

func (w *complaint) validateCustomerResponse(ctx workflow.Context, r CustomerResponse) error {
	if err := decisionErrs(r.Decision, r.Comment, "accept", "please tell us why you reject the resolution"); err != nil {
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
	w.startAppealClock(now)
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
	var errs fieldErrs
	if r.Score < 1 || r.Score > 5 {
		errs.add("score", OutOfRange(1, 5))
	}
	errs.text("comment", r.Comment, MaxText, FreeText)
	if err := errs.err(); err != nil {
		return err
	}
	// The link reaches the customer as soon as the survey's local
	// activity has stored its token, before this workflow marks the
	// survey sent: an answer that quick is accepted too and waits for it.
	// The window is longer when the worker dies in that workflow task:
	// the task is redone by another worker after its timeout, and the
	// answer may be validated before the redone task has reopened the
	// survey (found by make chaos). An answer can only come through a
	// stored token, so a survey still "scheduled" here has been opened.
	if w.st.Status != StatusClosed || (w.st.SurveyStatus != SurveySent && w.st.SurveyStatus != SurveyScheduled) {
		return wrongState("the survey is not open")
	}
	return nil
}

func (w *complaint) surveyAnswerHandler(ctx workflow.Context, r SurveyAnswer) (State, error) {
	// Recorded after survey_sent, so the audit trail reads in order.
	if err := workflow.Await(ctx, func() bool {
		return (!w.surveyOpening && w.st.SurveyStatus != SurveyScheduled) || w.st.Status != StatusClosed
	}); err != nil {
		return w.st, err
	}
	if w.st.Status != StatusClosed || w.st.SurveyStatus != SurveySent {
		return w.st, wrongState("the survey is not open")
	}
	w.st.SurveyStatus = SurveyAnswered
	w.st.SurveyScore = r.Score
	w.changed++
	mh := workflow.GetMetricsHandler(ctx)
	mh.WithTags(map[string]string{"score": fmt.Sprint(r.Score), "category": w.st.Category}).Counter("complaints_survey_answers").Inc(1)
	mh.WithTags(map[string]string{"category": w.st.Category}).Counter("complaints_survey_score_points").Inc(int64(r.Score))
	if err := w.apply(ctx, Event{Type: "survey_answered", Actor: actorCustomer, At: workflow.Now(ctx),
		Payload: map[string]any{"score": r.Score, "comment": r.Comment}}); err != nil {
		return w.st, err
	}
	if r.Score <= 2 {
		if err := w.storeGet(ctx, "recovery_opened", ActivityRecovery, RecoveryInput{CaseID: w.st.CaseID, Team: w.st.Team, Score: r.Score, Round: w.st.SurveyRound}, nil); err != nil {
			return w.st, fmt.Errorf("recovery task: %w", err)
		}
		if err := w.apply(ctx, Event{Type: "recovery_opened", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"score": r.Score}},
			Message{Key: w.roundKey("recovery"), Audience: "staff", RecipientRole: RoleSupervisor, Team: w.st.Team, Kind: "recovery_task",
				Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}
