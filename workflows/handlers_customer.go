package workflows

import (
	"fmt"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/workflow"
)

func (w *caseWorkflow) validateCustomerResponse(ctx workflow.Context, r complaint.CustomerResponse) error {
	if err := complaint.DecisionErrors(r.Decision, r.Comment, "accept", "please tell us why you reject the resolution"); err != nil {
		return err
	}
	if w.closedUnreasonable() && r.Decision != "accept" {
		// An appeal is the proper route back from an unreasonable
		// persistent closing (VersionScripts).
		return nil
	}
	if w.st.Status != complaint.StatusAwaitingCustomer {
		return complaint.WrongState("no resolution is waiting for your answer")
	}
	return nil
}

func (w *caseWorkflow) customerResponse(ctx workflow.Context, r complaint.CustomerResponse) (complaint.State, error) {
	now := workflow.Now(ctx)
	if w.closedUnreasonable() {
		w.reopenForAppeal(ctx)
	}
	if r.Decision == "accept" {
		return w.st, w.close(ctx, "accepted", actorCustomer)
	}
	w.st.AppealCount++
	w.count(ctx, "complaints_appeals", map[string]string{"level": fmt.Sprint(w.st.AppealCount)})
	if w.st.AppealCount > w.st.Clocks.MaxAppeals {
		// After the last internal level: the final response, with the
		// route to the regulator or ombudsman.
		if err := w.apply(ctx, complaint.Event{Type: "final_response", Actor: actorCustomer, At: now,
			Payload: map[string]any{"comment": r.Comment, "regulator": w.st.Clocks.Regulator}},
			complaint.Message{Key: "final-response", Audience: "customer", Kind: "final_response",
				Params: map[string]string{"case_number": w.st.CaseNumber, "regulator": w.st.Clocks.Regulator}}); err != nil {
			return w.st, err
		}
		return w.st, w.close(ctx, "final_response", actorCustomer)
	}
	w.setStatus(ctx, complaint.StatusInvestigating)
	w.startAppealClock(now)
	if err := w.apply(ctx, complaint.Event{Type: "appealed", Actor: actorCustomer, At: now, Payload: map[string]any{"comment": r.Comment, "appeal": w.st.AppealCount}},
		complaint.Message{Key: fmt.Sprintf("appeal-%d", w.st.AppealCount), Audience: "customer", Kind: "appeal_received",
			Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
		return w.st, err
	}
	return w.st, w.raiseLevel(ctx, actorCustomer, "appeal_assigned", r.Comment)
}

func (w *caseWorkflow) validateCustomerInfo(ctx workflow.Context, r complaint.CustomerInfo) error {
	if err := complaint.JoinFieldErrors(complaint.RequireText("answer", r.Answer, complaint.MaxText),
		complaint.ValidateAttachmentRefs("attachments", r.Attachments, false)); err != nil {
		return err
	}
	if w.st.Status != complaint.StatusAwaitingInfo {
		return complaint.WrongState("no question is waiting for your answer")
	}
	return nil
}

func (w *caseWorkflow) customerInfo(ctx workflow.Context, r complaint.CustomerInfo) (complaint.State, error) {
	q := w.st.PendingQuestion
	w.st.PendingQuestion = ""
	w.setStatus(ctx, complaint.StatusInvestigating)
	payload := map[string]any{"question": q, "answer": r.Answer}
	if len(r.Attachments) > 0 {
		payload["attachments"] = complaint.AttachmentPayload(r.Attachments)
	}
	return w.st, w.apply(ctx, complaint.Event{Type: "info_received", Actor: actorCustomer, At: workflow.Now(ctx),
		Payload: payload},
		complaint.Message{Key: fmt.Sprintf("info-received-%d", w.st.EventSeq+1), Audience: "staff", Recipient: w.st.Assignee, Kind: "info_received",
			Params: map[string]string{"case_number": w.st.CaseNumber}})
}

func (w *caseWorkflow) validateWithdraw(ctx workflow.Context, r complaint.WithdrawRequest) error {
	if err := complaint.OptionalText("reason", r.Reason, complaint.MaxText); err != nil {
		return err
	}
	if w.st.Status == complaint.StatusExecuting {
		return complaint.WrongState("the resolution is being carried out; withdraw after it completes")
	}
	return w.requireOpen()
}

func (w *caseWorkflow) withdraw(ctx workflow.Context, r complaint.WithdrawRequest) (complaint.State, error) {
	now := workflow.Now(ctx)
	w.setStatus(ctx, complaint.StatusWithdrawn)
	w.count(ctx, "complaints_withdrawn", map[string]string{"category": w.st.Category})
	return w.st, w.apply(ctx, complaint.Event{Type: "withdrawn", Actor: actorCustomer, At: now, Payload: map[string]any{"reason": r.Reason}},
		complaint.Message{Key: "withdrawn", Audience: "customer", Kind: "withdrawn", Params: map[string]string{"case_number": w.st.CaseNumber}},
		complaint.Message{Key: "withdrawn-staff", Audience: "staff", Recipient: w.st.Assignee, Kind: "withdrawn_staff", Params: map[string]string{"case_number": w.st.CaseNumber}})
}

func (w *caseWorkflow) validateSurvey(ctx workflow.Context, r complaint.SurveyAnswer) error {
	var errs complaint.Fields
	if r.Score < 1 || r.Score > 5 {
		errs.Add("score", complaint.OutOfRange(1, 5))
	}
	errs.Text("comment", r.Comment, complaint.MaxText, complaint.FreeText)
	if err := errs.Err(); err != nil {
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
	if w.st.Status != complaint.StatusClosed || (w.st.SurveyStatus != complaint.SurveySent && w.st.SurveyStatus != complaint.SurveyScheduled) {
		return complaint.WrongState("the survey is not open")
	}
	return nil
}

func (w *caseWorkflow) surveyAnswerHandler(ctx workflow.Context, r complaint.SurveyAnswer) (complaint.State, error) {
	// Recorded after survey_sent, so the audit trail reads in order.
	if err := workflow.Await(ctx, func() bool {
		return (!w.surveyOpening && w.st.SurveyStatus != complaint.SurveyScheduled) || w.st.Status != complaint.StatusClosed
	}); err != nil {
		return w.st, err
	}
	if w.st.Status != complaint.StatusClosed || w.st.SurveyStatus != complaint.SurveySent {
		return w.st, complaint.WrongState("the survey is not open")
	}
	w.st.SurveyStatus = complaint.SurveyAnswered
	w.st.SurveyScore = r.Score
	w.changed++
	mh := workflow.GetMetricsHandler(ctx)
	mh.WithTags(map[string]string{"score": fmt.Sprint(r.Score), "category": w.st.Category}).Counter("complaints_survey_answers").Inc(1)
	mh.WithTags(map[string]string{"category": w.st.Category}).Counter("complaints_survey_score_points").Inc(int64(r.Score))
	if err := w.apply(ctx, complaint.Event{Type: "survey_answered", Actor: actorCustomer, At: workflow.Now(ctx),
		Payload: map[string]any{"score": r.Score, "comment": r.Comment}}); err != nil {
		return w.st, err
	}
	if r.Score <= 2 {
		if err := w.storeGet(ctx, "recovery_opened", ActivityRecovery, RecoveryInput{CaseID: w.st.CaseID, Team: w.st.Team, Score: r.Score, Round: w.st.SurveyRound}, nil); err != nil {
			return w.st, fmt.Errorf("recovery task: %w", err)
		}
		if err := w.apply(ctx, complaint.Event{Type: "recovery_opened", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"score": r.Score}},
			complaint.Message{Key: w.roundKey("recovery"), Audience: "staff", RecipientRole: complaint.RoleSupervisor, Team: w.st.Team, Kind: "recovery_task",
				Params: map[string]string{"case_number": w.st.CaseNumber}}); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}

// validateAttachments accepts files attached to an open, registered case
// by staff who may act on cases, or by the customer (no actor).
func (w *caseWorkflow) validateAttachments(ctx workflow.Context, r complaint.AttachmentsAdded) error {
	if r.Actor.ID != "" {
		if err := w.requireStaff(r.Actor); err != nil {
			return err
		}
	}
	if err := complaint.ValidateAttachmentRefs("attachments", r.Attachments, true); err != nil {
		return err
	}
	return w.requireOpen()
}

// attachments records files attached outside an answer (attachments_added):
// the event carries their ids and digests only.
func (w *caseWorkflow) attachments(ctx workflow.Context, r complaint.AttachmentsAdded) (complaint.State, error) {
	actor := actorCustomer
	if r.Actor.ID != "" {
		actor = r.Actor.ID
	}
	return w.st, w.apply(ctx, complaint.Event{Type: "attachments_added", Actor: actor, At: workflow.Now(ctx),
		Payload: map[string]any{"attachments": complaint.AttachmentPayload(r.Attachments)}})
}
