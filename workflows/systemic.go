package workflows

import (
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Systemic-issue detection (seeds 000 and 003: is this one complaint, or the
// visible part of many? Tell the other affected customers before they
// complain). One long-running detector workflow ticks; each tick counts
// recent intake per dimension value, applies SpikeRule, opens an incident
// for each spike (once per value while it is open) and links the new
// complaints that match an open incident.
const (
	DetectorWorkflowName = "SystemicDetectorWorkflow"
	// DetectorWorkflowID is the one detector of a namespace and task queue.
	DetectorWorkflowID   = "systemic-detector"
	IncidentNoticeName   = "IncidentNoticeWorkflow"
	ActivityCountIntake  = "CountIntake"
	ActivityOpenIncident = "OpenIncident"
	ActivityLinkIncident = "LinkIncidentCases"
	ActivityNotifyUpdate = "NotifyIncidentUpdate"
	// IncidentResolutionName applies an incident's approved resolution to
	// its linked cases.
	IncidentResolutionName = "IncidentResolutionWorkflow"
	ActivityResolveCase    = "ResolveIncidentCase"
	ActivityFinishIncident = "FinishIncident"
	// detectorTicksPerRun bounds a detector run's history; it continues
	// as new after this many ticks.
	detectorTicksPerRun = 200
)

// IntakeCounts is what CountIntake answers: the counts as of At, and the
// rule in force (read from the worker's configuration at each tick, so a
// changed rule applies without restarting the detector).
type IntakeCounts struct {
	Rule   complaint.SpikeRule  `json:"rule"`
	Counts []complaint.KeyCount `json:"counts"`
}

// OpenIncidentInput opens (or finds) the open incident of a spike.
type OpenIncidentInput struct {
	Spike complaint.Spike `json:"spike"`
	At    time.Time       `json:"at"`
	// Window is how far back the incident links complaints.
	Window time.Duration `json:"window"`
}

// IncidentRef names an incident.
type IncidentRef struct {
	ID      string `json:"id"`
	Number  string `json:"number"`
	Created bool   `json:"created"`
	Linked  int    `json:"linked"`
}

// SystemicDetectorWorkflow watches intake for spikes until cancelled.
func SystemicDetectorWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	logger := workflow.GetLogger(ctx)
	for tick := 0; tick < detectorTicksPerRun; tick++ {
		var ic IntakeCounts
		if err := workflow.ExecuteActivity(ctx, ActivityCountIntake, workflow.Now(ctx)).Get(ctx, &ic); err != nil {
			return err
		}
		for _, sp := range complaint.Spikes(ic.Counts, ic.Rule) {
			var ref IncidentRef
			in := OpenIncidentInput{Spike: sp, At: workflow.Now(ctx), Window: ic.Rule.Window}
			if err := workflow.ExecuteActivity(ctx, ActivityOpenIncident, in).Get(ctx, &ref); err != nil {
				return err
			}
			if ref.Created {
				logger.Info("incident opened", "incident", ref.Number, "dimension", sp.Dimension, "recent", sp.Recent)
			}
		}
		if err := workflow.ExecuteActivity(ctx, ActivityLinkIncident, workflow.Now(ctx)).Get(ctx, nil); err != nil {
			return err
		}
		interval := ic.Rule.Interval
		if interval <= 0 {
			interval = time.Minute
		}
		if err := workflow.Sleep(ctx, interval); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, SystemicDetectorWorkflow)
}

// IncidentNoticeWorkflow delivers one posted incident update to every
// linked customer, durably: the activity queues one message per case,
// keyed by update and case, and sends each.
func IncidentNoticeWorkflow(ctx workflow.Context, updateID int64) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	var n int
	err := workflow.ExecuteActivity(ctx, ActivityNotifyUpdate, updateID).Get(ctx, &n)
	return n, err
}

// ResolveIncidentInput applies an approved resolution to the cases.
type ResolveIncidentInput struct {
	IncidentID string                       `json:"incident_id"`
	Number     string                       `json:"number"`
	Resolution complaint.IncidentResolution `json:"resolution"`
	Approver   complaint.Actor              `json:"approver"`
	CaseIDs    []string                     `json:"case_ids"`
}

// ResolveCaseInput applies it to one case.
type ResolveCaseInput struct {
	Number     string                       `json:"number"`
	CaseID     string                       `json:"case_id"`
	Resolution complaint.IncidentResolution `json:"resolution"`
	Approver   complaint.Actor              `json:"approver"`
}

// FinishIncidentInput records the results and closes the incident.
type FinishIncidentInput struct {
	IncidentID string                     `json:"incident_id"`
	Approver   complaint.Actor            `json:"approver"`
	Results    []complaint.CaseResolution `json:"results"`
}

// IncidentResolutionWorkflow sends each linked case the findings, the
// proposal (by the proposer) and the approval (by the approver) as the
// case's own updates, so each case's validators still decide (state,
// authority, four eyes); then it closes the incident with the results.
func IncidentResolutionWorkflow(ctx workflow.Context, in ResolveIncidentInput) ([]complaint.CaseResolution, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	futures := make([]workflow.Future, len(in.CaseIDs))
	for i, id := range in.CaseIDs {
		futures[i] = workflow.ExecuteActivity(ctx, ActivityResolveCase,
			ResolveCaseInput{Number: in.Number, CaseID: id, Resolution: in.Resolution, Approver: in.Approver})
	}
	results := make([]complaint.CaseResolution, len(futures))
	for i, f := range futures {
		if err := f.Get(ctx, &results[i]); err != nil {
			return nil, err
		}
	}
	err := workflow.ExecuteActivity(ctx, ActivityFinishIncident,
		FinishIncidentInput{IncidentID: in.IncidentID, Approver: in.Approver, Results: results}).Get(ctx, nil)
	return results, err
}
