package workflows

import (
	"fmt"
	"slices"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/workflow"
)

// isOpen says whether the case is still being handled.
func (w *caseWorkflow) isOpen() bool { return complaint.IsOpen(w.st.Status) }

// registerHandlers sets the query and every update with its validator. A
// validator rejects a decision that is invalid in content, state or
// authority; a rejected update leaves no trace in the history.
func (w *caseWorkflow) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (complaint.State, error) { return w.st, nil }); err != nil {
		return err
	}
	type handler struct {
		name      string
		fn        any
		validator any
	}
	// Every handler but the survey answer's holds the main loop while it
	// runs (see rejections.go); the survey answer waits for the main
	// loop to open the survey, and the loop waits in survey() meanwhile.
	hs := []handler{
		{UpdateIntake, guarded(w, true, w.intake), validator(w, w.validateIntake)},
		{UpdateAssign, guarded(w, true, w.assign), validator(w, w.validateAssign)},
		{UpdateTransfer, guarded(w, true, w.transfer), validator(w, w.validateTransfer)},
		{UpdateNote, guarded(w, true, w.note), validator(w, w.validateNote)},
		{UpdateRequestInfo, guarded(w, true, w.requestInfo), validator(w, w.validateRequestInfo)},
		{UpdateEscalate, guarded(w, true, w.escalate), validator(w, w.validateEscalate)},
		{UpdateClassification, guarded(w, true, w.classification), validator(w, w.validateClassification)},
		{UpdateFindings, guarded(w, true, w.findings), validator(w, w.validateFindings)},
		{UpdateProposal, guarded(w, true, w.proposal), validator(w, w.validateProposal)},
		{UpdateApproval, guarded(w, true, w.approval), validator(w, w.validateApproval)},
		{UpdateRequestExtension, guarded(w, true, w.requestExtension), validator(w, w.validateRequestExtension)},
		{UpdateDecideExtension, guarded(w, true, w.decideExtension), validator(w, w.validateDecideExtension)},
		{UpdateCustomerResponse, guarded(w, true, w.customerResponse), validator(w, w.validateCustomerResponse)},
		{UpdateCustomerInfo, guarded(w, true, w.customerInfo), validator(w, w.validateCustomerInfo)},
		{UpdateWithdraw, guarded(w, true, w.withdraw), validator(w, w.validateWithdraw)},
		{UpdateSurvey, guarded(w, false, w.surveyAnswerHandler), validator(w, w.validateSurvey)},
		{UpdateFulfilment, guarded(w, true, w.fulfilment), validator(w, w.validateFulfilment)},
		{UpdateAbuse, guarded(w, true, w.abuse), validator(w, w.validateAbuse)},
		{UpdateRestriction, guarded(w, true, w.restrict), validator(w, w.validateRestriction)},
		{UpdateCustomerScript, guarded(w, true, w.customerScript), validator(w, w.validateCustomerScript)},
		{UpdateCloseUnreasonable, guarded(w, true, w.closeUnreasonable), validator(w, w.validateCloseUnreasonable)},
		{UpdateAttachments, guarded(w, true, w.attachments), validator(w, w.validateAttachments)},
		{UpdateParty, guarded(w, true, w.party), validator(w, w.validateParty)},
		{UpdateLogCall, guarded(w, true, w.logCall), validator(w, w.validateLogCall)},
		{UpdateMerge, guarded(w, true, w.merge), validator(w, w.validateMerge)},
		{UpdateAbsorb, guarded(w, true, w.absorb), validator(w, w.validateAbsorb)},
		{UpdateSplit, guarded(w, true, w.split), validator(w, w.validateSplit)},
	}
	for _, h := range hs {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.fn, workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return fmt.Errorf("set update handler %s: %w", h.name, err)
		}
	}
	return nil
}

// --- intake and repeat contacts ---

func (w *caseWorkflow) validateIntake(ctx workflow.Context, c complaint.Complaint) error {
	if c.CaseID == "" {
		return complaint.Invalid("case_id", complaint.Required())
	}
	if err := complaint.ValidateComplaintText(c); err != nil {
		return err
	}
	if c.CaseID != w.st.CaseID && !slices.Contains(w.st.IdempotencyKeys, c.IdempotencyKey) && w.st.Status == complaint.StatusWithdrawn {
		return complaint.WrongState("the earlier case on this matter was withdrawn and is ending; try again shortly")
	}
	if c.CaseID != w.st.CaseID && w.st.Status == complaint.StatusMerged {
		return complaint.WrongState("the earlier case on this matter was merged into %s and is ending; try again shortly", w.st.MergedIntoNumber)
	}
	return nil
}

// intake answers the request that started the workflow once the case is
// registered, and attaches a later complaint on the same matter as a
// repeat contact (reopening the case if it was closed, unless the contact
// is anonymous: see Complaint.Anonymous).
func (w *caseWorkflow) intake(ctx workflow.Context, c complaint.Complaint) (IntakeResult, error) {
	same := c.CaseID == w.st.CaseID || (c.IdempotencyKey != "" && slices.Contains(w.st.IdempotencyKeys, c.IdempotencyKey))
	if !same {
		now := workflow.Now(ctx)
		w.noteRepeat(complaint.RepeatContact{At: now, Channel: c.Channel, Subject: truncate(c.Subject, 200)}, c.IdempotencyKey)
		restricted := w.restricted()
		if !restricted {
			w.st.Priority = min(w.st.Priority, complaint.PriorityFor(w.st.Severity, w.repeats()))
		}
		w.count(ctx, "complaints_repeat_contacts", map[string]string{"channel": c.Channel})
		reopen := w.st.Status == complaint.StatusClosed && !c.Anonymous && !w.closedUnreasonable()
		if reopen {
			w.st.SurveyStatus = ""
			w.st.Outcome = ""
			w.st.ClosedAt = nil
			w.setStatus(ctx, complaint.StatusInvestigating)
		}
		if err := workflow.Await(ctx, func() bool { return w.st.Registered }); err != nil {
			return IntakeResult{}, err
		}
		payload := map[string]any{"channel": c.Channel, "subject": truncate(c.Subject, 200), "count": w.repeats(), "reopened": reopen}
		msgs := []complaint.Message{{Key: w.repeatMessageKey(now), Audience: "staff", Recipient: w.st.Assignee, Kind: "repeat_contact",
			Params: map[string]string{"case_number": w.st.CaseNumber}}}
		if restricted {
			msgs = w.restrictedRepeat(now, c.Channel, payload, msgs)
		}
		if err := w.apply(ctx, complaint.Event{Type: "repeat_contact", Actor: actorCustomer, At: now, Payload: payload}, msgs...); err != nil {
			return IntakeResult{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return w.st.Registered }); err != nil {
		return IntakeResult{}, err
	}
	return IntakeResult{CaseID: w.st.CaseID, CaseNumber: w.st.CaseNumber, Status: w.st.Status,
		TrackingToken: w.st.TrackingToken, RepeatContact: !same, Duplicate: same && c.CaseID != w.st.CaseID}, nil
}

// maxRepeatContacts and maxIntakeKeys bound what a case keeps of its
// repeat contacts (VersionBoundedContacts): the latest ones, the rest being
// in the audit trail.
const (
	maxRepeatContacts = 20
	maxIntakeKeys     = 100
)

// boundsContacts says the case runs VersionBoundedContacts's code path.
func (w *caseWorkflow) boundsContacts() bool { return w.version >= VersionBoundedContacts }

// noteRepeat records a repeat contact and the intake key it came with.
// From VersionBoundedContacts on, only the latest maxRepeatContacts and
// maxIntakeKeys are kept (the filing's own key, first, always), and
// RepeatCount counts them all.
func (w *caseWorkflow) noteRepeat(rc complaint.RepeatContact, key string) {
	w.st.RepeatContacts = append(w.st.RepeatContacts, rc)
	if key != "" {
		w.st.IdempotencyKeys = append(w.st.IdempotencyKeys, key)
	}
	if !w.boundsContacts() {
		return
	}
	w.st.RepeatCount++
	if w.tracksParties() {
		// The contact's number, by which staff may split it off.
		w.st.RepeatContacts[len(w.st.RepeatContacts)-1].Seq = w.st.RepeatCount
	}
	if n := len(w.st.RepeatContacts); n > maxRepeatContacts {
		w.st.RepeatContacts = slices.Clone(w.st.RepeatContacts[n-maxRepeatContacts:])
	}
	if n := len(w.st.IdempotencyKeys); n > maxIntakeKeys {
		keys := append([]string{w.st.IdempotencyKeys[0]}, w.st.IdempotencyKeys[n-maxIntakeKeys+1:]...)
		w.st.IdempotencyKeys = keys
	}
}

// repeats is how many repeat contacts the case has had.
func (w *caseWorkflow) repeats() int {
	if w.boundsContacts() {
		return w.st.RepeatCount
	}
	return len(w.st.RepeatContacts)
}

// repeatMessageKey is the outbox key of the handler's repeat-contact
// message: one per contact before VersionBoundedContacts, one per hour
// from it (the outbox drops a key it has), so a flood of filings is one
// message an hour, not one each.
func (w *caseWorkflow) repeatMessageKey(now time.Time) string {
	if w.boundsContacts() {
		return fmt.Sprintf("repeat-h%d", now.Unix()/3600)
	}
	return fmt.Sprintf("repeat-%d", len(w.st.RepeatContacts))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
