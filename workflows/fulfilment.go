package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/complaint"
)

// remedies says the case runs VersionRemedies' code path or later.
func (w *caseWorkflow) remedies() bool { return w.version >= VersionRemedies }

// fulfilmentWarn is the share of the fulfilment clock after which the
// handler is warned.
const fulfilmentWarn = 0.8

// fulfilmentsPending says whether some fulfilment is not yet done.
func (w *caseWorkflow) fulfilmentsPending() bool {
	if w.st.Proposal == nil {
		return false
	}
	return slices.ContainsFunc(w.st.Proposal.Remedies, func(r complaint.Remedy) bool {
		return r.State == complaint.FulfilmentOrdered || r.State == complaint.FulfilmentShipped
	})
}

func (w *caseWorkflow) validateFulfilment(ctx workflow.Context, r complaint.FulfilmentRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if !slices.Contains([]string{complaint.FulfilmentShipped, complaint.FulfilmentDone, complaint.FulfilmentFailed}, r.State) {
		return complaint.Invalid("state", complaint.OneOf(complaint.FulfilmentShipped, complaint.FulfilmentDone, complaint.FulfilmentFailed))
	}
	if err := complaint.OptionalText("note", r.Note, 1000); err != nil {
		return err
	}
	if r.State == complaint.FulfilmentFailed && r.Note == "" {
		return complaint.Invalid("note", complaint.ReasonRequired("say why the fulfilment failed"))
	}
	if w.st.Status != complaint.StatusFulfilling || w.st.Proposal == nil {
		return complaint.WrongState("the case is %s, not waiting for a fulfilment", w.st.Status)
	}
	if r.Actor.ID != w.st.Assignee && complaint.RoleLevel(r.Actor.Role) < complaint.RoleLevel(complaint.RoleSupervisor) {
		return fmt.Errorf("%w: only the handler or a supervisor may move a fulfilment", complaint.ErrAuthority)
	}
	i := slices.IndexFunc(w.st.Proposal.Remedies, func(x complaint.Remedy) bool { return x.ID == r.RemedyID })
	if i < 0 || !complaint.IsFulfilment(w.st.Proposal.Remedies[i].Type) {
		return complaint.Invalid("remedy_id", complaint.NewProblem(complaint.CodeUnknownRemedy, "names no replacement or repair of this case's resolution"))
	}
	if from := w.st.Proposal.Remedies[i].State; !complaint.FulfilmentNext(from, r.State) {
		return complaint.WrongState("the %s is %s; it cannot become %s", w.st.Proposal.Remedies[i].Type, from, r.State)
	}
	return nil
}

// fulfilment records a fulfilment's new state, in the case's audit trail
// and its fulfilments row together. A failed one returns the case to its
// handler for a new plan; the last one done lets awaitFulfilment resolve.
func (w *caseWorkflow) fulfilment(ctx workflow.Context, r complaint.FulfilmentRequest) (complaint.State, error) {
	p := w.st.Proposal
	i := slices.IndexFunc(p.Remedies, func(x complaint.Remedy) bool { return x.ID == r.RemedyID })
	rem := &p.Remedies[i]
	rem.State, rem.FulfilmentNote = r.State, r.Note
	now := workflow.Now(ctx)
	ev := complaint.Event{Type: "fulfilment_" + r.State, Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"proposal": p.Number, "remedy": rem.ID, "type": rem.Type, "state": r.State, "note": r.Note}}
	var msgs []complaint.Message
	if r.State == complaint.FulfilmentFailed {
		w.st.FulfilmentSince = nil
		w.setStatus(ctx, complaint.StatusInvestigating)
		msgs = append(msgs,
			complaint.Message{Key: fmt.Sprintf("fulfilment-failed-%d-%s", p.Number, rem.ID), Audience: "customer", Kind: "fulfilment_failed",
				Params: map[string]string{"case_number": w.st.CaseNumber}},
			complaint.Message{Key: fmt.Sprintf("fulfilment-failed-staff-%d-%s", p.Number, rem.ID), Audience: "staff", Recipient: w.st.Assignee,
				Kind: "fulfilment_failed", Params: map[string]string{"case_number": w.st.CaseNumber, "remedy": rem.Type, "note": r.Note}})
	} else {
		w.changed++
	}
	ch := &complaint.FulfilmentChange{Key: complaint.RemedyKey(w.st.CaseID, rem.ID, "execute"), State: r.State, Note: r.Note, By: r.Actor.ID}
	return w.st, w.applyFulfilment(ctx, ev, ch, msgs...)
}

// applyFulfilment is apply with a fulfilment row's change in the same
// transaction.
func (w *caseWorkflow) applyFulfilment(ctx workflow.Context, ev complaint.Event, f *complaint.FulfilmentChange, msgs ...complaint.Message) error {
	w.st.EventSeq++
	w.changed++
	for _, m := range msgs {
		if m.Audience == "customer" {
			w.st.LastCustomerUpdate = ev.At
		}
	}
	ch := complaint.Change{CaseID: w.st.CaseID, Seq: w.st.EventSeq, Event: ev, Row: w.row(), Messages: msgs, Language: w.st.Language, Fulfilment: f}
	if err := w.store(ctx, ActivityApply, ch).Get(ctx, nil); err != nil {
		return fmt.Errorf("apply %s: %w", ev.Type, err)
	}
	return nil
}

// awaitFulfilment waits for staff to deliver the fulfilments: when all are
// done the customer is asked to confirm the resolution. The fulfilment
// clock warns the handler at 80% and tells the team's supervisor when it
// runs out; a failed fulfilment has already returned the case to its
// handler.
func (w *caseWorkflow) awaitFulfilment(ctx workflow.Context) error {
	since := workflow.Now(ctx)
	if w.st.FulfilmentSince != nil {
		since = *w.st.FulfilmentSince
	}
	rule := complaint.DefaultFulfilment()
	if w.st.Clocks.Fulfilment != nil {
		rule = *w.st.Clocks.Fulfilment
	}
	due := w.due(since, rule)
	warnAt := since.Add(time.Duration(float64(due.Sub(since)) * fulfilmentWarn))
	settled := func() bool { return w.st.Status != complaint.StatusFulfilling || !w.fulfilmentsPending() }
	for _, step := range []struct {
		at   time.Time
		kind string
	}{{warnAt, "fulfilment_warning"}, {due, "fulfilment_breached"}} {
		if !workflow.Now(ctx).Before(step.at) {
			continue
		}
		ok, err := w.awaitFor(ctx, step.at.Sub(workflow.Now(ctx)), settled)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		m := complaint.Message{Key: fmt.Sprintf("%s-%d", step.kind, w.st.Proposal.Number), Audience: "staff", Recipient: w.st.Assignee, Kind: step.kind,
			Params: map[string]string{"case_number": w.st.CaseNumber, "due": w.localTime(due)}}
		name := "complaints_clock_warnings"
		if step.kind == "fulfilment_breached" {
			m.Recipient, m.RecipientRole, m.Team = "", complaint.RoleSupervisor, w.st.Team
			name = "complaints_clock_breaches"
		}
		w.count(ctx, name, map[string]string{"clock": "fulfilment", "profile": w.st.Clocks.Profile, "category": w.st.Category})
		if err := w.apply(ctx, complaint.Event{Type: step.kind, Actor: actorSystem, At: workflow.Now(ctx), Payload: map[string]any{"due_at": due}}, m); err != nil {
			return err
		}
	}
	if err := workflow.Await(ctx, settled); err != nil {
		return err
	}
	if w.st.Status != complaint.StatusFulfilling {
		return nil
	}
	return w.resolve(ctx)
}
