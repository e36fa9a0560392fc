package workflows

import (
	"fmt"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/complaint-handling/complaints/complaint"
)

// tracksParties says the case runs VersionParties's code path: parties,
// logged calls and callbacks, merging and splitting.
func (w *caseWorkflow) tracksParties() bool { return w.version >= VersionParties }

// requireParties refuses VersionParties's decisions on a case started
// before them, whose recorded shape has no room for them.
func (w *caseWorkflow) requireParties(what string) error {
	if !w.tracksParties() {
		return complaint.WrongState("this case was opened before %s existed; it cannot take it", what)
	}
	return nil
}

// requireMergeAuthority refuses an agent: merging and splitting cases is a
// supervisor's decision.
func requireMergeAuthority(a complaint.Actor, what string) error {
	if complaint.RoleLevel(a.Role) < complaint.RoleLevel(complaint.RoleSupervisor) && a.Role != complaint.RoleAdmin {
		return fmt.Errorf("%w: %s is a supervisor's decision", complaint.ErrAuthority, what)
	}
	return nil
}

// --- parties ---

func (w *caseWorkflow) validateParty(ctx workflow.Context, r complaint.PartyDecision) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := w.requireParties("parties"); err != nil {
		return err
	}
	switch r.Op {
	case complaint.PartyAdd:
		if err := r.Party.Validate(); err != nil {
			return err
		}
	case complaint.PartyUpdate, complaint.PartyRemove:
		if w.partyIndex(r.No) < 0 {
			return complaint.Invalid("no", complaint.NewProblem(complaint.CodeInvalid, fmt.Sprintf("the case has no party %d", r.No)))
		}
		if r.Op == complaint.PartyUpdate {
			if err := r.Party.Validate(); err != nil {
				return err
			}
		}
	default:
		return complaint.Invalid("op", complaint.OneOf(complaint.PartyAdd, complaint.PartyUpdate, complaint.PartyRemove))
	}
	if !w.st.Registered {
		return complaint.WrongState("the case is still being registered")
	}
	if w.st.Status == complaint.StatusMerged {
		return complaint.WrongState("the case was merged into %s; record its parties there", w.st.MergedIntoNumber)
	}
	return nil
}

// partyEvents are the audit events of the party changes.
var partyEvents = map[string]string{complaint.PartyAdd: "party_added", complaint.PartyUpdate: "party_updated", complaint.PartyRemove: "party_removed"}

// partyIndex is the index in State.Parties of party no, or -1.
func (w *caseWorkflow) partyIndex(no int) int {
	return slices.IndexFunc(w.st.Parties, func(p complaint.PartyRef) bool { return p.No == no })
}

// party adds, updates or removes a party: the party's row and the audit
// event (without the party's personal data) are written together.
func (w *caseWorkflow) party(ctx workflow.Context, r complaint.PartyDecision) (complaint.State, error) {
	now := workflow.Now(ctx)
	no := r.No
	ref := complaint.PartyRef{No: no, Kind: r.Party.Kind, StaffID: r.Party.StaffID}
	switch r.Op {
	case complaint.PartyAdd:
		w.st.PartyCount++
		no = w.st.PartyCount
		ref.No = no
		w.st.Parties = append(w.st.Parties, ref)
	case complaint.PartyUpdate:
		w.st.Parties[w.partyIndex(no)] = ref
	case complaint.PartyRemove:
		i := w.partyIndex(no)
		ref = w.st.Parties[i]
		w.st.Parties = slices.Delete(slices.Clone(w.st.Parties), i, i+1)
	}
	w.changed++
	payload := map[string]any{"op": r.Op, "party": no, "kind": ref.Kind}
	if ref.StaffID != "" {
		payload["staff_id"] = ref.StaffID
	}
	if r.Op != complaint.PartyRemove && !complaint.InsideParty(ref.Kind) {
		payload["authorised"] = r.Party.Authorised
		payload["relation"] = r.Party.Relation
	}
	ch := &complaint.PartyChange{Op: r.Op, No: no, Party: r.Party, By: r.Actor.ID, At: now}
	return w.st, w.applyWith(ctx, func(c *complaint.Change) { c.Party = ch },
		complaint.Event{Type: partyEvents[r.Op], Actor: r.Actor.ID, At: now, Payload: payload})
}

// --- calls and callbacks ---

func (w *caseWorkflow) validateLogCall(ctx workflow.Context, r complaint.CallRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := w.requireParties("logging calls"); err != nil {
		return err
	}
	if err := r.Validate(workflow.Now(ctx)); err != nil {
		return err
	}
	return w.requireOpen()
}

// logCall records a call with its outcome. A call that reached the
// customer is a first human contact; a promised callback is reminded to
// the handler at its time (watchCallbacks).
func (w *caseWorkflow) logCall(ctx workflow.Context, r complaint.CallRequest) (complaint.State, error) {
	now := workflow.Now(ctx)
	if r.Outcome == complaint.CallReached {
		w.markMet(ctx, now, complaint.ClockFirstContact)
	}
	if w.st.Status == complaint.StatusAcknowledged {
		w.setStatus(ctx, complaint.StatusInvestigating)
	}
	payload := map[string]any{"outcome": r.Outcome, "note": r.Note}
	if r.CallbackAt != nil {
		at := r.CallbackAt.UTC()
		payload["callback_at"] = at
		w.st.Callbacks = append(w.st.Callbacks, complaint.Callback{Seq: len(w.st.Callbacks) + 1, At: at, By: r.Actor.ID, Note: truncate(r.Note, 200)})
		w.callbackRev++
	}
	w.count(ctx, "complaints_calls_logged", map[string]string{"outcome": r.Outcome})
	return w.st, w.apply(ctx, complaint.Event{Type: "call_logged", Actor: r.Actor.ID, At: now, Payload: payload})
}

// watchCallbacks reminds the handler of each promised callback at its
// time: a durable timer on the earliest callback not yet reminded,
// replaced when an earlier one is promised.
func (w *caseWorkflow) watchCallbacks(ctx workflow.Context) {
	t := &wakeTimer{stable: true}
	defer t.stop()
	for !w.isFinal() {
		next := -1
		for i, cb := range w.st.Callbacks {
			if !cb.Done && (next < 0 || cb.At.Before(w.st.Callbacks[next].At)) {
				next = i
			}
		}
		rev := w.callbackRev
		moved := func() bool { return w.callbackRev != rev || w.isFinal() }
		if next < 0 {
			t.stop()
			if workflow.Await(ctx, moved) != nil {
				return
			}
			continue
		}
		fired, err := t.wait(ctx, w.st.Callbacks[next].At, moved)
		if err != nil {
			return
		}
		if fired && !w.isFinal() {
			w.remindCallback(ctx, next)
		}
	}
}

// remindCallback tells the handler (and whoever promised the call, if
// someone else) that a callback is due.
func (w *caseWorkflow) remindCallback(ctx workflow.Context, i int) {
	cb := &w.st.Callbacks[i]
	cb.Done = true
	cb.Remind = workflow.Now(ctx)
	w.callbackRev++
	params := map[string]string{"case_number": w.st.CaseNumber, "due": w.localTime(cb.At)}
	var msgs []complaint.Message
	for _, to := range []string{w.st.Assignee, cb.By} {
		if to != "" && !slices.ContainsFunc(msgs, func(m complaint.Message) bool { return m.Recipient == to }) {
			msgs = append(msgs, complaint.Message{Key: fmt.Sprintf("callback-%d-%s", cb.Seq, to), Audience: "staff", Recipient: to,
				Kind: "callback_due", Params: params})
		}
	}
	w.count(ctx, "complaints_callbacks_due", nil)
	_ = w.apply(ctx, complaint.Event{Type: "callback_due", Actor: actorSystem, At: cb.Remind,
		Payload: map[string]any{"callback": cb.Seq, "due_at": cb.At, "promised_by": cb.By}}, msgs...)
}

// --- merging ---

// mergeable says whether a case in this status may be merged: open, and
// no remedy being carried out.
func mergeable(status string) bool {
	return complaint.IsOpen(status) && status != complaint.StatusExecuting && status != complaint.StatusFulfilling
}

func (w *caseWorkflow) validateMerge(ctx workflow.Context, r complaint.MergeRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := requireMergeAuthority(r.Actor, "merging cases"); err != nil {
		return err
	}
	if err := w.requireParties("merging"); err != nil {
		return err
	}
	if err := r.Validate(w.st.CaseID); err != nil {
		return err
	}
	return w.mergeState()
}

// mergeState refuses a merge the case's state does not allow: closed,
// withdrawn or merged already, remedies under way, or another decision
// still being recorded (the merge would race it).
func (w *caseWorkflow) mergeState() error {
	if err := w.requireOpen(); err != nil {
		return err
	}
	if !mergeable(w.st.Status) {
		return complaint.WrongState("remedies are being carried out (%s); merge after they finish", w.st.Status)
	}
	return nil
}

// merge ends the case as merged into r.Into: the customer is told the
// number that continues, the handler that the case is gone.
func (w *caseWorkflow) merge(ctx workflow.Context, r complaint.MergeRequest) (complaint.State, error) {
	// Another decision accepted in the same workflow task as this one ran
	// first and may be writing still: exactly one of them wins.
	if w.pending > 1 {
		return w.st, complaint.WrongState("another decision on this case is being recorded; try the merge again")
	}
	if err := w.mergeState(); err != nil {
		return w.st, err
	}
	now := workflow.Now(ctx)
	from := w.st.Status
	w.st.MergedInto, w.st.MergedIntoNumber = r.Into, r.IntoNumber
	w.st.ClosedAt = &now
	w.st.Outcome = complaint.StatusMerged
	w.setStatus(ctx, complaint.StatusMerged)
	w.count(ctx, "complaints_merged", nil)
	msgs := []complaint.Message{{Key: "merged", Audience: "customer", Kind: "merged",
		Params: map[string]string{"case_number": w.st.CaseNumber, "continues_as": r.IntoNumber}}}
	if w.st.Assignee != "" {
		msgs = append(msgs, complaint.Message{Key: "merged-staff", Audience: "staff", Recipient: w.st.Assignee, Kind: "merged_staff",
			Params: map[string]string{"case_number": w.st.CaseNumber, "continues_as": r.IntoNumber}})
	}
	return w.st, w.apply(ctx, complaint.Event{Type: "merged", Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"into": r.Into, "into_number": r.IntoNumber, "reason": r.Reason, "from_status": from}}, msgs...)
}

func (w *caseWorkflow) validateAbsorb(ctx workflow.Context, r complaint.AbsorbRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := requireMergeAuthority(r.Actor, "merging cases"); err != nil {
		return err
	}
	if err := w.requireParties("merging"); err != nil {
		return err
	}
	if r.From == "" || r.From == w.st.CaseID {
		return complaint.Invalid("from", complaint.NewProblem(complaint.CodeSameCase, "a case cannot be merged into itself"))
	}
	return w.requireOpen()
}

// absorb records on the continuing case that r.From was merged into it;
// the merged case's records are read with this one's through the case
// row's merged_into.
func (w *caseWorkflow) absorb(ctx workflow.Context, r complaint.AbsorbRequest) (complaint.State, error) {
	msgs := []complaint.Message{}
	if w.st.Assignee != "" {
		msgs = append(msgs, complaint.Message{Key: "merged-from-" + r.From, Audience: "staff", Recipient: w.st.Assignee, Kind: "merged_from",
			Params: map[string]string{"case_number": w.st.CaseNumber, "from": r.FromNumber}})
	}
	return w.st, w.apply(ctx, complaint.Event{Type: "merged_from", Actor: r.Actor.ID, At: workflow.Now(ctx),
		Payload: map[string]any{"from": r.From, "from_number": r.FromNumber, "reason": r.Reason}}, msgs...)
}

// --- splitting ---

func (w *caseWorkflow) validateSplit(ctx workflow.Context, r complaint.SplitRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := requireMergeAuthority(r.Actor, "splitting a contact off"); err != nil {
		return err
	}
	if err := w.requireParties("splitting"); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	i := w.contactIndex(r.ContactSeq)
	if i < 0 {
		return complaint.Invalid("contact_seq", complaint.NewProblem(complaint.CodeInvalid,
			fmt.Sprintf("the case has no repeat contact %d (it keeps its last %d)", r.ContactSeq, maxRepeatContacts)))
	}
	if into := w.st.RepeatContacts[i].SplitInto; into != "" {
		if into == r.NewCaseID {
			return nil // the same split again: answered with what it did
		}
		return complaint.WrongState("repeat contact %d was split off already", r.ContactSeq)
	}
	return w.requireOpen()
}

// contactIndex is the index in RepeatContacts of the contact numbered no.
func (w *caseWorkflow) contactIndex(no int) int {
	return slices.IndexFunc(w.st.RepeatContacts, func(c complaint.RepeatContact) bool { return c.Seq == no })
}

// SplitWorkflowID is the workflow id of a case split off into caseID:
// its own, not its matter's, or its first filing would fold it back.
func SplitWorkflowID(caseID string) string { return "complaint:" + caseID }

// split starts the new case r.NewCaseID with the repeat contact's data
// (the customer of this case, the contact's channel, subject and time)
// as a workflow of its own that outlives this one, then marks the contact
// split off. Asked again for the same new case, it answers with what it
// did.
func (w *caseWorkflow) split(ctx workflow.Context, r complaint.SplitRequest) (complaint.State, error) {
	i := w.contactIndex(r.ContactSeq)
	if i < 0 {
		return w.st, complaint.Invalid("contact_seq", complaint.NewProblem(complaint.CodeInvalid, fmt.Sprintf("no repeat contact %d", r.ContactSeq)))
	}
	if w.st.RepeatContacts[i].SplitInto == r.NewCaseID {
		return w.st, nil
	}
	w.st.RepeatContacts = slices.Clone(w.st.RepeatContacts)
	w.st.RepeatContacts[i].SplitInto = r.NewCaseID
	w.changed++
	c := w.st.RepeatContacts[i]
	desc := r.Description
	if desc == "" {
		desc = c.Subject
	}
	nc := complaint.Complaint{CaseID: r.NewCaseID, Customer: w.in.Customer, Channel: c.Channel, Subject: c.Subject, Description: desc,
		Language: w.in.Language, Profile: w.in.Profile, ReceivedAt: c.At, Region: w.in.Region, Branch: w.in.Branch, Product: w.in.Product}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        SplitWorkflowID(r.NewCaseID),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	})
	if err := workflow.ExecuteChildWorkflow(cctx, WorkflowName, NewInput(nc)).GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		w.st.RepeatContacts[i].SplitInto = ""
		return w.st, fmt.Errorf("start split case %s: %w", r.NewCaseID, err)
	}
	err := w.apply(ctx, complaint.Event{Type: "contact_split", Actor: r.Actor.ID, At: workflow.Now(ctx),
		Payload: map[string]any{"contact": r.ContactSeq, "new_case_id": r.NewCaseID, "reason": r.Reason, "channel": c.Channel}},
		complaint.Message{Key: fmt.Sprintf("split-%d", r.ContactSeq), Audience: "staff", Recipient: w.st.Assignee, RecipientRole: roleIfEmpty(w.st.Assignee, complaint.RoleSupervisor),
			Team: w.st.Team, Kind: "contact_split", Params: map[string]string{"case_number": w.st.CaseNumber}})
	return w.st, err
}
