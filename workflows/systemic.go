package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

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

// SpikeDimensions returns the case attributes a spike may be about.
func SpikeDimensions() []string { return []string{"category", "cause", "product", "region"} }

// SpikeRule says when a value's recent intake is a spike: at least
// MinCount complaints in the last Window, and at least Factor times the
// value's usual rate, which is its count over the Baseline period before
// the window, scaled to one window. A value never seen before has a usual
// rate of zero, so MinCount alone decides.
type SpikeRule struct {
	Window     time.Duration `json:"window"`
	Baseline   time.Duration `json:"baseline"`
	MinCount   int           `json:"min_count"`
	Factor     float64       `json:"factor"`
	Dimensions []string      `json:"dimensions"`
	// Interval is how often the detector looks.
	Interval time.Duration `json:"interval"`
}

// DefaultSpikeRule: ten complaints in an hour about one value, three
// times its usual hourly rate over the week before; checked every minute.
func DefaultSpikeRule() SpikeRule {
	return SpikeRule{Window: time.Hour, Baseline: 7 * 24 * time.Hour, MinCount: 10, Factor: 3,
		Dimensions: SpikeDimensions(), Interval: time.Minute}
}

// Validate checks a configured rule; an error starts with the field's
// name ("min_count: ...").
func (r SpikeRule) Validate() error {
	switch {
	case r.Window <= 0:
		return fmt.Errorf("window: must be positive")
	case r.Baseline < r.Window:
		return fmt.Errorf("baseline: must be at least the window")
	case r.MinCount < 2:
		return fmt.Errorf("min_count: must be at least 2")
	case r.Factor < 1:
		return fmt.Errorf("factor: must be at least 1")
	case r.Interval <= 0:
		return fmt.Errorf("interval: must be positive")
	case len(r.Dimensions) == 0:
		return fmt.Errorf("dimensions: name at least one of %s", strings.Join(SpikeDimensions(), ", "))
	}
	for _, d := range r.Dimensions {
		if !slices.Contains(SpikeDimensions(), d) {
			return fmt.Errorf("dimensions: %q is not one of %s", d, strings.Join(SpikeDimensions(), ", "))
		}
	}
	return nil
}

// KeyCount is one dimension value's intake: in the window, and in the
// baseline period before it.
type KeyCount struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Recent    int    `json:"recent"`
	Baseline  int    `json:"baseline"`
}

// Spike is a value whose recent intake breaks the rule.
type Spike struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Recent    int    `json:"recent"`
	// Expected is the usual count in one window.
	Expected float64 `json:"expected"`
}

// Spikes applies rule to counts, in a stable order (most recent first).
func Spikes(counts []KeyCount, rule SpikeRule) []Spike {
	scale := float64(rule.Window) / float64(rule.Baseline)
	var out []Spike
	for _, c := range counts {
		if c.Value == "" || !slices.Contains(rule.Dimensions, c.Dimension) {
			continue
		}
		expected := float64(c.Baseline) * scale
		if c.Recent >= rule.MinCount && float64(c.Recent) >= rule.Factor*expected {
			out = append(out, Spike{Dimension: c.Dimension, Value: c.Value, Recent: c.Recent, Expected: expected})
		}
	}
	slices.SortStableFunc(out, func(a, b Spike) int {
		if a.Recent != b.Recent {
			return b.Recent - a.Recent
		}
		return strings.Compare(a.Dimension+"\x00"+a.Value, b.Dimension+"\x00"+b.Value)
	})
	return out
}

// IntakeCounts is what CountIntake answers: the counts as of At, and the
// rule in force (read from the worker's configuration at each tick, so a
// changed rule applies without restarting the detector).
type IntakeCounts struct {
	Rule   SpikeRule  `json:"rule"`
	Counts []KeyCount `json:"counts"`
}

// OpenIncidentInput opens (or finds) the open incident of a spike.
type OpenIncidentInput struct {
	Spike Spike     `json:"spike"`
	At    time.Time `json:"at"`
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
		for _, sp := range Spikes(ic.Counts, ic.Rule) {
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

// IncidentResolution is one resolution for every case of an incident: the
// root cause found and the remedies each customer is offered.
type IncidentResolution struct {
	Findings   Findings  `json:"findings"`
	Remedies   []Remedy  `json:"remedies"`
	Message    string    `json:"message"`
	ProposedBy Actor     `json:"proposed_by"`
	ProposedAt time.Time `json:"proposed_at"`
}

// ResolveIncidentInput applies an approved resolution to the cases.
type ResolveIncidentInput struct {
	IncidentID string             `json:"incident_id"`
	Number     string             `json:"number"`
	Resolution IncidentResolution `json:"resolution"`
	Approver   Actor              `json:"approver"`
	CaseIDs    []string           `json:"case_ids"`
}

// ResolveCaseInput applies it to one case.
type ResolveCaseInput struct {
	Number     string             `json:"number"`
	CaseID     string             `json:"case_id"`
	Resolution IncidentResolution `json:"resolution"`
	Approver   Actor              `json:"approver"`
}

// CaseResolution is how the resolution went for one case: resolved (its
// remedies approved; the case then runs its own execution, confirmation
// and survey), awaiting_approval (above the four-eyes threshold it waits
// for a second approver), or skipped, with the case workflow's reason.
type CaseResolution struct {
	CaseID     string `json:"case_id"`
	CaseNumber string `json:"case_number"`
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
}

// FinishIncidentInput records the results and closes the incident.
type FinishIncidentInput struct {
	IncidentID string           `json:"incident_id"`
	Approver   Actor            `json:"approver"`
	Results    []CaseResolution `json:"results"`
}

// IncidentResolutionWorkflow sends each linked case the findings, the
// proposal (by the proposer) and the approval (by the approver) as the
// case's own updates, so each case's validators still decide (state,
// authority, four eyes); then it closes the incident with the results.
func IncidentResolutionWorkflow(ctx workflow.Context, in ResolveIncidentInput) ([]CaseResolution, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	futures := make([]workflow.Future, len(in.CaseIDs))
	for i, id := range in.CaseIDs {
		futures[i] = workflow.ExecuteActivity(ctx, ActivityResolveCase,
			ResolveCaseInput{Number: in.Number, CaseID: id, Resolution: in.Resolution, Approver: in.Approver})
	}
	results := make([]CaseResolution, len(futures))
	for i, f := range futures {
		if err := f.Get(ctx, &results[i]); err != nil {
			return nil, err
		}
	}
	err := workflow.ExecuteActivity(ctx, ActivityFinishIncident,
		FinishIncidentInput{IncidentID: in.IncidentID, Approver: in.Approver, Results: results}).Get(ctx, nil)
	return results, err
}
