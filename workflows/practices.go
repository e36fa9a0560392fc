package workflows

import (
	"fmt"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/workflow"
)

// The staff-protection practices of seed 002 (VersionScripts): abusive
// contacts recorded with the approved warning sent to the customer, a
// supervisor's contact restriction, the case's script for this customer,
// and the closing of an unreasonable persistent complaint.

// scripts says whether the case runs the staff-protection practices.
func (w *caseWorkflow) scripts() bool { return w.version >= VersionScripts }

// restricted says whether a contact restriction is on the customer.
func (w *caseWorkflow) restricted() bool { return w.scripts() && w.st.Restriction != nil }

// closedUnreasonable says whether the case is closed as an unreasonable
// persistent complaint: a repeat contact does not reopen it (only an
// appeal does).
func (w *caseWorkflow) closedUnreasonable() bool {
	return w.scripts() && w.st.Status == complaint.StatusClosed && w.st.Outcome == complaint.OutcomeUnreasonable
}

func (w *caseWorkflow) requireScripts() error {
	if !w.scripts() {
		return complaint.WrongState("this case was opened before the staff-protection practices; they apply to newer cases")
	}
	return nil
}

func requireSupervisor(a complaint.Actor, what string) error {
	if !complaint.IsSupervisorOrAbove(a.Role) {
		return fmt.Errorf("%w: %s needs a supervisor or above", complaint.ErrAuthority, what)
	}
	return nil
}

// writtenChannels are the channels a written-only restriction allows.
var writtenChannels = []string{complaint.ChannelEmail, complaint.ChannelWeb, complaint.ChannelPost, complaint.ChannelRegulator}

// restrictedRepeat adjusts a repeat contact from a restricted customer:
// the priority was left alone (the caller), the named handler is told
// instead of the assignee, the payload says what the restriction made of
// the contact, and past the daily limit nobody is told again (the contact
// is still recorded: nothing is lost).
func (w *caseWorkflow) restrictedRepeat(now time.Time, channel string, payload map[string]any, msgs []complaint.Message) []complaint.Message {
	r := w.st.Restriction
	payload["restricted"] = true
	if r.Handler != "" {
		msgs[0].Recipient = r.Handler
		payload["routed_to"] = r.Handler
	}
	if r.WrittenOnly {
		written := false
		for _, c := range writtenChannels {
			written = written || c == channel
		}
		payload["written_channel"] = written
	}
	if r.MaxContactsPerDay > 0 {
		today := 0
		for _, rc := range w.st.RepeatContacts {
			if now.Sub(rc.At) < 24*time.Hour {
				today++
			}
		}
		payload["contacts_last_24h"] = today
		if today > r.MaxContactsPerDay {
			payload["over_daily_limit"] = true
			return nil
		}
	}
	return msgs
}

func (w *caseWorkflow) validateAbuse(ctx workflow.Context, r complaint.AbuseRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := w.requireScripts(); err != nil {
		return err
	}
	if err := complaint.ValidateAbuse(r, workflow.Now(ctx)); err != nil {
		return err
	}
	if !w.st.Registered {
		return complaint.WrongState("the case is still being registered")
	}
	return nil
}

// abuse records an abusive contact and sends the customer the approved
// warning (through the outbox, as every message), and tells the team's
// supervisor, who may restrict contact and support the staff member.
func (w *caseWorkflow) abuse(ctx workflow.Context, r complaint.AbuseRequest) (complaint.State, error) {
	w.st.AbuseCount++
	n := w.st.AbuseCount
	w.count(ctx, "complaints_abusive_contacts", map[string]string{"kind": r.Kind})
	return w.st, w.apply(ctx, complaint.Event{Type: "abusive_contact", Actor: r.Actor.ID, At: workflow.Now(ctx),
		Payload: map[string]any{"kind": r.Kind, "evidence": r.Evidence, "contact_at": r.At, "received_by": r.ReceivedBy,
			"team": w.st.Team, "warning": r.Warning, "script": r.Script}},
		complaint.Message{Key: fmt.Sprintf("abuse-warning-%d", n), Audience: "customer", Kind: "abuse_warning",
			Params: map[string]string{"case_number": w.st.CaseNumber, "message": r.Warning}},
		complaint.Message{Key: fmt.Sprintf("abuse-recorded-%d", n), Audience: "staff", RecipientRole: complaint.RoleSupervisor, Team: w.st.Team,
			Kind: "abuse_recorded", Params: map[string]string{"case_number": w.st.CaseNumber, "kind": r.Kind}})
}

func (w *caseWorkflow) validateRestriction(ctx workflow.Context, r complaint.RestrictionRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := w.requireScripts(); err != nil {
		return err
	}
	if err := requireSupervisor(r.Actor, "a contact restriction"); err != nil {
		return err
	}
	if r.Lift {
		if w.st.Restriction == nil {
			return complaint.WrongState("no contact restriction is set")
		}
	} else if err := complaint.ValidateRestriction(r.Restriction, workflow.Now(ctx)); err != nil {
		return err
	}
	return w.requireOpenOrClosed()
}

// requireOpenOrClosed allows a registered case that is still running:
// open, or closed and waiting for its survey.
func (w *caseWorkflow) requireOpenOrClosed() error {
	if !w.st.Registered {
		return complaint.WrongState("the case is still being registered")
	}
	if w.st.Status == complaint.StatusWithdrawn {
		return complaint.WrongState("the case is withdrawn")
	}
	return nil
}

// restrict sets or lifts the contact restriction; a named handler takes
// the case.
func (w *caseWorkflow) restrict(ctx workflow.Context, r complaint.RestrictionRequest) (complaint.State, error) {
	now := workflow.Now(ctx)
	if r.Lift {
		w.st.Restriction = nil
		w.restrictionRev++
		return w.st, w.apply(ctx, complaint.Event{Type: "restriction_lifted", Actor: r.Actor.ID, At: now})
	}
	res := r.Restriction
	res.SetBy, res.SetAt = r.Actor.ID, now
	w.st.Restriction = &res
	w.st.RestrictionReviewed = false
	w.restrictionRev++
	var msgs []complaint.Message
	if res.Handler != "" && res.Handler != w.st.Assignee {
		w.st.Assignee = res.Handler
		msgs = append(msgs, complaint.Message{Key: fmt.Sprintf("restricted-assigned-%d", w.st.EventSeq+1), Audience: "staff", Recipient: res.Handler,
			Kind: "assigned", Params: map[string]string{"case_number": w.st.CaseNumber}})
	}
	return w.st, w.apply(ctx, complaint.Event{Type: "contact_restricted", Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"restriction": res}}, msgs...)
}

// watchRestrictionReview reminds the supervisor who set a restriction on
// its review date (once per restriction set; setting it again starts
// over).
func (w *caseWorkflow) watchRestrictionReview(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return w.st.Restriction != nil && !w.st.RestrictionReviewed }); err != nil {
			return
		}
		rev := w.restrictionRev
		res := *w.st.Restriction
		if d := res.ReviewOn.Sub(workflow.Now(ctx)); d > 0 {
			changed, err := w.awaitFor(ctx, d, func() bool { return w.restrictionRev != rev })
			if err != nil {
				return
			}
			if changed {
				continue
			}
		}
		w.st.RestrictionReviewed = true
		if err := w.apply(ctx, complaint.Event{Type: "restriction_review_due", Actor: actorSystem, At: workflow.Now(ctx),
			Payload: map[string]any{"review_on": res.ReviewOn, "set_by": res.SetBy}},
			complaint.Message{Key: fmt.Sprintf("restriction-review-%d", w.st.EventSeq+1), Audience: "staff", Recipient: res.SetBy,
				Kind: "restriction_review", Params: map[string]string{"case_number": w.st.CaseNumber, "reason": res.Reason}}); err != nil {
			workflow.GetLogger(ctx).Error("restriction review reminder", "error", err)
			return
		}
	}
}

func (w *caseWorkflow) validateCustomerScript(ctx workflow.Context, r complaint.CustomerScriptRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := w.requireScripts(); err != nil {
		return err
	}
	if err := requireSupervisor(r.Actor, "the script for this customer"); err != nil {
		return err
	}
	if err := complaint.OptionalText("text", r.Text, complaint.MaxText); err != nil {
		return err
	}
	return w.requireOpenOrClosed()
}

// customerScript sets (or, empty, clears) the script everyone who answers
// this customer follows (seed 002).
func (w *caseWorkflow) customerScript(ctx workflow.Context, r complaint.CustomerScriptRequest) (complaint.State, error) {
	now := workflow.Now(ctx)
	if r.Text == "" {
		w.st.CustomerScript = nil
	} else {
		w.st.CustomerScript = &complaint.CustomerScript{Text: r.Text, SetBy: r.Actor.ID, SetAt: now}
	}
	w.changed++
	return w.st, w.apply(ctx, complaint.Event{Type: "customer_script_set", Actor: r.Actor.ID, At: now, Payload: map[string]any{"text": r.Text}})
}

func (w *caseWorkflow) validateCloseUnreasonable(ctx workflow.Context, r complaint.UnreasonableRequest) error {
	if err := w.requireStaff(r.Actor); err != nil {
		return err
	}
	if err := w.requireScripts(); err != nil {
		return err
	}
	if complaint.RoleLevel(r.Actor.Role) < complaint.RoleLevel(complaint.RoleManager) {
		return fmt.Errorf("%w: closing a complaint as unreasonable and persistent needs a manager or above", complaint.ErrAuthority)
	}
	if err := complaint.RequireText("reason", r.Reason, complaint.MaxText); err != nil {
		return err
	}
	if w.st.Status != complaint.StatusAwaitingCustomer {
		return complaint.WrongState("a complaint is closed as unreasonable only after our response is with the customer, not while it is %s", w.st.Status)
	}
	return nil
}

// closeUnreasonable closes the case as an unreasonable persistent
// complaint: the customer is told, with the route to the regulator or
// ombudsman, and may still appeal through the tracking page while the
// case runs (customerResponse reopens it); repeat contacts no longer
// reopen it.
func (w *caseWorkflow) closeUnreasonable(ctx workflow.Context, r complaint.UnreasonableRequest) (complaint.State, error) {
	now := workflow.Now(ctx)
	w.st.Outcome = complaint.OutcomeUnreasonable
	w.st.ClosedAt = &now
	w.st.ConfirmBy = nil
	w.st.SurveyStatus = complaint.SurveyScheduled
	w.st.SurveyRound++
	w.setStatus(ctx, complaint.StatusClosed)
	w.count(ctx, "complaints_closed", map[string]string{"outcome": complaint.OutcomeUnreasonable, "category": w.st.Category})
	return w.st, w.apply(ctx, complaint.Event{Type: "closed", Actor: r.Actor.ID, At: now,
		Payload: map[string]any{"outcome": complaint.OutcomeUnreasonable, "reason": r.Reason, "round": w.st.SurveyRound, "regulator": w.st.Clocks.Regulator}},
		complaint.Message{Key: w.roundKey("closed-unreasonable"), Audience: "customer", Kind: "unreasonable_closure",
			Params: map[string]string{"case_number": w.st.CaseNumber, "regulator": w.st.Clocks.Regulator}})
}

// reopenForAppeal reopens a case closed as unreasonable for the
// customer's appeal (the proper route).
func (w *caseWorkflow) reopenForAppeal(ctx workflow.Context) {
	w.st.SurveyStatus = ""
	w.st.Outcome = ""
	w.st.ClosedAt = nil
	w.setStatus(ctx, complaint.StatusAwaitingCustomer)
}
