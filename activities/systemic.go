package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/workflows"
)

// CountIntake counts recent intake per watched dimension value, and
// answers the rule in force with the counts.
func (a *Activities) CountIntake(ctx context.Context, now time.Time) (workflows.IntakeCounts, error) {
	rule := a.Spike
	counts, err := a.Store.IntakeCounts(ctx, rule.Dimensions, now, rule.Window, rule.Baseline)
	if err != nil {
		return workflows.IntakeCounts{}, err
	}
	return workflows.IntakeCounts{Rule: rule, Counts: counts}, nil
}

// OpenIncident opens the incident of a spike (once per value while it is
// open), links the complaints in its window and tells the supervisors: of
// the category's team for a category spike, otherwise every supervisor.
func (a *Activities) OpenIncident(ctx context.Context, in workflows.OpenIncidentInput) (workflows.IncidentRef, error) {
	team := ""
	if in.Spike.Dimension == "category" {
		t, err := a.Store.TeamForCategory(ctx, in.Spike.Value)
		if err != nil {
			return workflows.IncidentRef{}, err
		}
		team = t
	}
	notice := func(inc store.Incident) store.Notification {
		m := complaint.Message{Audience: "staff", RecipientRole: complaint.RoleSupervisor, Team: team, Kind: "incident_opened",
			Params: map[string]string{"case_number": inc.Number, "dimension": inc.Dimension, "value": inc.Value,
				"recent": fmt.Sprint(inc.RecentCount), "usual": fmt.Sprintf("%.1f", inc.Expected),
				"linked": fmt.Sprint(inc.Linked), "incident_id": inc.ID}}
		n, _ := Render(m, "en")
		n.Key = "incident-opened:" + inc.ID
		return n
	}
	inc, created, err := a.Store.OpenIncident(ctx, in.Spike, in.At, in.At.Add(-in.Window), notice)
	if err != nil {
		return workflows.IncidentRef{}, err
	}
	// Sent while still queued: a retry after a crash between the commit
	// and the send delivers it; a later tick does not send it again.
	n, queued, err := a.Store.QueuedNotification(ctx, "incident-opened:"+inc.ID)
	if err != nil {
		return workflows.IncidentRef{}, err
	}
	if queued {
		if err := a.notify(ctx, n); err != nil {
			return workflows.IncidentRef{}, fmt.Errorf("notify incident_opened: %w", err)
		}
	}
	if created {
		a.logger(ctx).Info("incident opened", "incident", inc.Number, "dimension", inc.Dimension, "recent", inc.RecentCount,
			"usual", inc.Expected, "linked", inc.Linked)
	}
	return workflows.IncidentRef{ID: inc.ID, Number: inc.Number, Created: created, Linked: inc.Linked}, nil
}

// LinkIncidentCases links new matching complaints to the open incidents
// and sends each newly linked customer the incident's latest update, so a
// customer who complains after the notice still hears it (once).
func (a *Activities) LinkIncidentCases(ctx context.Context, now time.Time) (int, error) {
	linked, err := a.Store.LinkNewCases(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for incident, cases := range linked {
		n += len(cases)
		update, err := a.Store.LatestIncidentUpdate(ctx, incident)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		if _, err := a.deliverUpdate(ctx, update, cases); err != nil {
			return n, err
		}
	}
	return n, nil
}

// NotifyIncidentUpdate sends a posted update to every linked customer, in
// their case's language, once per case (keyed by update and case).
func (a *Activities) NotifyIncidentUpdate(ctx context.Context, updateID int64) (int, error) {
	return a.deliverUpdate(ctx, updateID, nil)
}

// deliverUpdate sends update to the linked cases in only (all when nil).
func (a *Activities) deliverUpdate(ctx context.Context, updateID int64, only []string) (int, error) {
	u, recipients, err := a.Store.UpdateRecipients(ctx, updateID)
	if err != nil {
		return 0, err
	}
	want := map[string]bool{}
	for _, id := range only {
		want[id] = true
	}
	var notes []store.Notification
	for _, r := range recipients {
		if only != nil && !want[r.CaseID] {
			continue
		}
		n, err := Render(complaint.Message{Audience: "customer", Kind: "incident_update",
			Params: map[string]string{"case_number": r.CaseNumber, "message": u.Message}}, r.Language)
		if err != nil {
			return 0, err
		}
		n.CaseID = r.CaseID
		n.Key = fmt.Sprintf("incident-update:%d:%s", u.ID, r.CaseID)
		notes = append(notes, n)
	}
	if err := a.Store.QueueNotifications(ctx, notes); err != nil {
		return 0, err
	}
	for _, n := range notes {
		if err := a.notify(ctx, n); err != nil {
			return 0, fmt.Errorf("notify incident_update: %w", err)
		}
	}
	return len(notes), nil
}

// caseUpdater is the part of the Temporal client that sends a case's
// workflow an update.
type caseUpdater interface {
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// ResolveIncidentCase applies an incident's approved resolution to one
// case through the case's own updates: findings and proposal by the
// proposer, approval by the approver. Update ids derive from the incident
// and the case, so a retried activity attaches to the updates already
// sent instead of acting twice. A case whose workflow refuses (not in a
// state to resolve, authority) is skipped with its reason.
func (a *Activities) ResolveIncidentCase(ctx context.Context, in workflows.ResolveCaseInput) (complaint.CaseResolution, error) {
	cs, err := a.Store.GetCase(ctx, in.CaseID)
	if err != nil {
		return complaint.CaseResolution{}, err
	}
	out := complaint.CaseResolution{CaseID: cs.ID, CaseNumber: cs.CaseNumber, Outcome: "resolved"}
	r := in.Resolution
	steps := []struct {
		name  string
		actor complaint.Actor
		arg   any
	}{
		{workflows.UpdateFindings, r.ProposedBy, complaint.FindingsRequest{Actor: r.ProposedBy, Findings: r.Findings}},
		{workflows.UpdateProposal, r.ProposedBy, complaint.ProposalRequest{Actor: r.ProposedBy, Remedies: r.Remedies, Message: r.Message}},
		{workflows.UpdateApproval, in.Approver, complaint.ApprovalRequest{Actor: in.Approver, Decision: "approve",
			Comment: "The resolution of incident " + in.Number}},
	}
	var state complaint.State
	for _, st := range steps {
		// Each update is signed for the staff member the API authenticated
		// when the incident's resolution was proposed and approved.
		uctx := envelope.WithCase(envelope.WithActor(ctx, envelope.Actor(st.actor)), cs.ID)
		h, err := a.Temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
			UpdateID:   fmt.Sprintf("incident-%s-%s-%s", in.Number, st.name, cs.ID),
			WorkflowID: cs.WorkflowID, FirstExecutionRunID: cs.FirstRunID, UpdateName: st.name, Args: []any{st.arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(uctx, &state)
		}
		var refused *temporal.ApplicationError
		var completed *serviceerror.NotFound
		switch {
		case errors.As(err, &refused):
			out.Outcome, out.Reason = "skipped", st.name+": "+refused.Message()
			return out, nil
		case errors.As(err, &completed):
			// The server answers NotFound for an update to a workflow
			// that has completed: the case was closed meanwhile.
			out.Outcome, out.Reason = "skipped", "the case is closed"
			return out, nil
		case err != nil:
			return out, fmt.Errorf("%s update of %s: %w", st.name, cs.CaseNumber, err)
		}
	}
	if state.Status == complaint.StatusAwaitingApproval {
		// Above the four-eyes threshold a case needs a second approver: it
		// waits for one in the approvals inbox.
		out.Outcome, out.Reason = "awaiting_approval", "a second approver is needed"
	}
	return out, nil
}

// FinishIncident records how the resolution went and closes the incident.
func (a *Activities) FinishIncident(ctx context.Context, in workflows.FinishIncidentInput) error {
	resolved := 0
	for _, r := range in.Results {
		if r.Outcome == "resolved" {
			resolved++
		}
	}
	note := fmt.Sprintf("Resolved with one approved resolution: %d of %d linked cases (the others skipped with their reasons).",
		resolved, len(in.Results))
	return a.Store.FinishIncidentResolution(ctx, in.IncidentID, in.Approver.ID, note, in.Results)
}
