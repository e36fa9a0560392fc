package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
)

func (w *caseWorkflow) extendable(name string) (*complaint.Deadline, error) {
	if name == "" {
		return nil, complaint.Invalid("clock", complaint.Required())
	}
	d := w.deadlineRef(name)
	if d == nil {
		return nil, complaint.Invalid("clock", complaint.NewProblem(complaint.CodeNoSuchClock, fmt.Sprintf("the case has no %q clock", name), "clock", name))
	}
	return d, nil
}

func (w *caseWorkflow) validateRequestExtension(ctx workflow.Context, r complaint.ExtensionRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	var errs complaint.Fields
	errs.Required("reason", r.Reason, 1000, complaint.FreeText)
	d, err := w.extendable(r.Clock)
	errs.Merge(err)
	if err := errs.Err(); err != nil {
		return err
	}
	if err := w.requireOpen(); err != nil {
		return err
	}
	if err := d.CanExtend(); err != nil {
		return complaint.WrongState("%s", err.Error())
	}
	if d.Pending != nil {
		return complaint.WrongState("an extension of the %s clock is already awaiting a decision", d.Clock)
	}
	return nil
}

// requestExtension records the request and asks the role that may grant
// the profile's next step.
func (w *caseWorkflow) requestExtension(ctx workflow.Context, r complaint.ExtensionRequest) (complaint.State, error) {
	d := w.deadlineRef(r.Clock)
	now := workflow.Now(ctx)
	step, _ := d.NextStep()
	d.Pending = &clock.ExtensionRequest{By: r.Actor.ID, Reason: r.Reason, At: now}
	w.clockRev++
	return w.st, w.apply(ctx, complaint.Event{Type: "extension_requested", Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"clock": d.Clock, "reason": r.Reason, "step": step.Label, "approver": step.Approver, "to": step.To.String()}},
		complaint.Message{Key: fmt.Sprintf("extension-requested-%s-%d", d.Clock, len(d.Extensions)+1), Audience: "staff", RecipientRole: step.Approver, Team: w.st.Team,
			Kind: "extension_requested", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": d.Clock, "reason": r.Reason}})
}

func (w *caseWorkflow) validateDecideExtension(ctx workflow.Context, r complaint.ExtensionDecision) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	var errs complaint.Fields
	errs.Merge(validDecision(r.Decision, r.Comment))
	d, err := w.extendable(r.Clock)
	errs.Merge(err)
	if err := errs.Err(); err != nil {
		return err
	}
	if d.Pending == nil {
		return complaint.WrongState("no extension of the %s clock is awaiting a decision", d.Clock)
	}
	if err := w.requireOpen(); err != nil {
		return err
	}
	if err := d.CanExtend(); err != nil {
		return complaint.WrongState("%s", err.Error())
	}
	step, _ := d.NextStep()
	if complaint.RoleLevel(r.Actor.Role) < complaint.RoleLevel(step.Approver) {
		return fmt.Errorf("%w: extending the %s clock (%s) needs a %s or above", complaint.ErrAuthority, d.Clock, step.Label, step.Approver)
	}
	if r.Actor.ID == d.Pending.By {
		return fmt.Errorf("%w: the extension was requested by %s", complaint.ErrSelfApproval, r.Actor.ID)
	}
	return nil
}

// decideExtension grants the extension (the clock's due time moves, the
// customer is told the new date and why) or refuses it.
func (w *caseWorkflow) decideExtension(ctx workflow.Context, r complaint.ExtensionDecision) (complaint.State, error) {
	d := w.deadlineRef(r.Clock)
	now := workflow.Now(ctx)
	req := *d.Pending
	n := len(d.Extensions) + 1
	if r.Decision == "reject" {
		d.Pending = nil
		w.clockRev++
		return w.st, w.apply(ctx, complaint.Event{Type: "extension_refused", Actor: r.Actor.ID, At: now,
			Payload: map[string]any{"clock": d.Clock, "comment": r.Comment, "requested_by": req.By}},
			complaint.Message{Key: fmt.Sprintf("extension-refused-%s-%d-%d", d.Clock, n, w.st.EventSeq+1), Audience: "staff", Recipient: req.By,
				Kind: "extension_refused", Params: map[string]string{"case_number": w.st.CaseNumber, "clock": d.Clock, "comment": r.Comment}})
	}
	if err := w.calendar().Extend(d, clock.GrantedExtension{By: req.By, ApprovedBy: r.Actor.ID, Reason: req.Reason, At: now}); err != nil {
		// The validator checked the same conditions; nothing changed.
		return w.st, complaint.WrongState("%s", err.Error())
	}
	// A clock moved back before its warning points is no longer at risk.
	w.clocksChanged()
	g := d.Extensions[len(d.Extensions)-1]
	w.count(ctx, "complaints_clock_extensions", map[string]string{"clock": d.Clock, "profile": w.st.Clocks.Profile})
	return w.st, w.apply(ctx, complaint.Event{Type: "clock_extended", Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"clock": d.Clock, "step": g.Label, "reason": req.Reason, "requested_by": req.By, "comment": r.Comment, "from": g.From, "to": d.DueAt}},
		complaint.Message{Key: fmt.Sprintf("deadline-extended-%s-%d", d.Clock, n), Audience: "customer", Kind: "deadline_extended",
			Params: map[string]string{"case_number": w.st.CaseNumber, "due": w.localTime(d.DueAt), "reason": req.Reason, "regulator": w.st.Clocks.Regulator}})
}

// anyWarned reports whether a clock of the case is at risk: past a
// warning point or breached, and not met.
func (w *caseWorkflow) anyWarned() bool {
	for i := range w.st.Deadlines {
		if w.st.Deadlines[i].AtRisk() {
			return true
		}
	}
	return false
}

// reportProgress sends the customer a stage progress report (阶段性报告)
// at the profile's cadence while the case is open, unless something was
// sent to them within the period.
func (w *caseWorkflow) reportProgress(ctx workflow.Context) {
	r := w.st.Clocks.Progress
	if r == nil {
		return
	}
	t := &wakeTimer{stable: w.localStore()}
	defer t.stop()
	for !w.isFinal() {
		sent := w.st.LastCustomerUpdate
		last := sent
		if last.IsZero() {
			last = w.st.ReceivedAt
		}
		next := w.calendar().After(last, *r)
		status := w.st.Status
		moved := func() bool { return !w.st.LastCustomerUpdate.Equal(sent) || w.isFinal() || w.st.Status != status }
		if w.localStore() {
			// The next report depends only on the last message sent; the
			// status is looked at when it is due.
			moved = func() bool { return !w.st.LastCustomerUpdate.Equal(sent) || w.isFinal() }
		}
		fired, err := t.wait(ctx, next, moved)
		if err != nil {
			return
		}
		if !fired {
			continue
		}
		if !complaint.GetsProgressReports(w.st.Status) {
			back := moved
			if w.localStore() {
				back = func() bool { return moved() || complaint.GetsProgressReports(w.st.Status) }
			}
			if workflow.Await(ctx, back) != nil {
				return
			}
			continue
		}
		n := w.st.EventSeq + 1
		w.count(ctx, "complaints_progress_reports", map[string]string{"profile": w.st.Clocks.Profile})
		_ = w.apply(ctx, complaint.Event{Type: "progress_report", Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"status": w.st.Status}},
			complaint.Message{Key: fmt.Sprintf("progress-%d", n), Audience: "customer", Kind: "progress_update",
				Params: map[string]string{"case_number": w.st.CaseNumber, "status": w.st.Status, "due": w.localTime(w.answerDue())}})
	}
}
