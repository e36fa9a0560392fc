package clock

import (
	"fmt"
	"slices"
	"time"
)

// Deadline is one running clock of a case. Its budget is measured in its
// unit, so a pause and a resume keep the time that was left, and warning
// points fall on counted time (80% of 5 business days lands on a business
// day, not on the weekend).
type Deadline struct {
	Clock    string    `json:"clock"`
	Unit     Unit      `json:"unit"`
	Rule     Rule      `json:"rule"`
	StartAt  time.Time `json:"start_at"`
	DueAt    time.Time `json:"due_at"`
	Advisory bool      `json:"advisory,omitempty"`
	// WarnAt is the next warning point not yet raised; WarnPoints are the
	// fractions of the budget that raise one; Warnings counts those raised.
	WarnAt     time.Time `json:"warn_at,omitzero"`
	WarnPoints []float64 `json:"warn_points,omitempty"`
	Warnings   int       `json:"warnings"`
	Warned     bool      `json:"warned"`
	// Budget is the clock's whole counted time; Consumed what was used
	// before RunningSince.
	Budget       Duration  `json:"budget"`
	Consumed     Duration  `json:"consumed"`
	RunningSince time.Time `json:"running_since"`
	// Pauses says whether the clock stops while the case waits for the
	// customer; Paused and PausedAt whether and since when it is stopped;
	// PausedFor the wall time it has been stopped in all.
	Pauses    bool       `json:"pauses,omitempty"`
	Paused    bool       `json:"paused"`
	PausedAt  *time.Time `json:"paused_at,omitempty"`
	PausedFor Duration   `json:"paused_for"`
	// Remaining is the counted time left, set while paused.
	Remaining Duration `json:"remaining,omitempty"`
	// Steps are the extensions the profile allows, in order; Extensions
	// the ones granted; Pending a request awaiting a decision.
	Steps      []Extension        `json:"steps,omitempty"`
	Extensions []GrantedExtension `json:"extensions,omitempty"`
	Pending    *ExtensionRequest  `json:"pending_extension,omitempty"`
	// OnBreach is what a breach does.
	OnBreach    Breach     `json:"on_breach"`
	Met         bool       `json:"met"`
	MetAt       *time.Time `json:"met_at,omitempty"`
	Breached    bool       `json:"breached"`
	BreachedAt  *time.Time `json:"breached_at,omitempty"`
	EscalatedTo string     `json:"escalated_to,omitempty"`
	// Provisional is set when the due date lies beyond the dates whose
	// holidays the calendar lists.
	Provisional bool `json:"provisional,omitempty"`
}

// Extension is one step a clock may be extended by.
type Extension struct {
	// To is the clock's rule once extended, counted from its start.
	To Rule `json:"to"`
	// Approver is the least role that may grant it.
	Approver string `json:"approver"`
	Label    string `json:"label,omitempty"`
}

// ExtensionRequest is an extension asked for and not yet decided.
type ExtensionRequest struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// GrantedExtension records an extension: who asked, who approved, and the
// due time before and after.
type GrantedExtension struct {
	Label      string    `json:"label,omitempty"`
	By         string    `json:"by"`
	ApprovedBy string    `json:"approved_by"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
	From       time.Time `json:"from"`
	// To is zero while the clock is paused (its due time is not known).
	To time.Time `json:"to,omitzero"`
}

// Breach is what a clock's breach does besides marking the case.
type Breach struct {
	// Escalate tells the next level up.
	Escalate bool `json:"escalate,omitempty"`
	// HoldingResponse tells the customer the case is still open and where
	// they may take it now (FCA DISP's 8-week letter, with the route to
	// the Financial Ombudsman Service).
	HoldingResponse bool `json:"holding_response,omitempty"`
}

// Start opens the clock of spec for a case received at start.
func (c *Cal) Start(spec Spec, start time.Time, severity string) Deadline {
	r := spec.Rule
	if spec.Critical != nil && severity == "critical" {
		r = *spec.Critical
	}
	due := c.Due(start, r)
	d := Deadline{
		Clock: spec.Clock, Unit: r.Unit, Rule: r, StartAt: start, DueAt: due, Advisory: spec.Advisory,
		WarnPoints: slices.Clone(spec.Warn), Budget: Duration(c.Between(start, due, r.Unit)),
		RunningSince: start, Pauses: spec.Pauses, Steps: slices.Clone(spec.Extensions), OnBreach: spec.Breach,
	}
	c.refresh(&d)
	return d
}

// Running reports whether the clock counts and can still warn or breach.
func (d *Deadline) Running() bool { return !d.Met && !d.Breached && !d.Paused && !d.Advisory }

// AtRisk reports whether the clock is past a warning point or breached
// and not yet met: the case's at_risk flag. Meeting the clock, or an
// extension that moves it back before its warning points, clears it.
func (d *Deadline) AtRisk() bool {
	return !d.Advisory && !d.Met && (d.Breached || d.Warnings > 0)
}

// Next is the next instant the clock needs attention (a warning point or
// its due time), or zero when it needs none.
func (d *Deadline) Next() time.Time {
	switch {
	case d.Met || d.Paused || d.Advisory:
		return time.Time{}
	case d.Breached:
		return time.Time{}
	case !d.WarnAt.IsZero() && d.WarnAt.Before(d.DueAt):
		return d.WarnAt
	}
	return d.DueAt
}

// refresh recomputes the due time and the next warning point from the
// budget left.
func (c *Cal) refresh(d *Deadline) {
	d.Provisional = !c.Covers(d.DueAt)
	d.WarnAt = time.Time{}
	if d.Met || d.Breached || d.Paused || d.Advisory {
		return
	}
	d.DueAt = c.Add(d.RunningSince, d.Unit, (d.Budget - d.Consumed).Std())
	d.Provisional = !c.Covers(d.DueAt)
	for i := d.Warnings; i < len(d.WarnPoints); i++ {
		at := Duration(float64(d.Budget) * d.WarnPoints[i])
		d.WarnAt = c.Add(d.RunningSince, d.Unit, (at - d.Consumed).Std())
		break
	}
}

// Elapsed is the counted time used by at.
func (c *Cal) Elapsed(d Deadline, at time.Time) time.Duration {
	if d.Paused || d.Met || d.Breached {
		return d.Consumed.Std()
	}
	return (d.Consumed + Duration(c.Between(d.RunningSince, at, d.Unit))).Std()
}

// Warn records that the next warning point was reached.
func (c *Cal) Warn(d *Deadline) {
	d.Warnings++
	d.Warned = true
	c.refresh(d)
}

// Breach records the breach at at.
func (c *Cal) Breach(d *Deadline, at time.Time) {
	d.Breached, d.BreachedAt = true, &at
	c.refresh(d)
}

// MarkMet stops the clock as met at at. A running clock met after its due
// time is also breached (at its due time): the watcher may not have seen
// the breach (a case filed with a receipt time long past is acknowledged
// before any watcher starts), and met late is not on time. It reports
// whether it breached the clock, so the caller counts that breach once.
func (c *Cal) MarkMet(d *Deadline, at time.Time) (late bool) {
	if d.Met {
		return false
	}
	if !d.Paused && !d.Advisory && !d.Breached && at.After(d.DueAt) {
		due := d.DueAt
		d.Breached, d.BreachedAt, late = true, &due, true
	}
	d.Met, d.MetAt = true, &at
	if d.Paused {
		c.Resume(d, at)
		d.Met = true
	}
	c.refresh(d)
	return late
}

// Pause stops a clock that pauses while the case waits for the customer.
// It reports whether the clock was stopped.
func (c *Cal) Pause(d *Deadline, at time.Time) bool {
	if !d.Pauses || !d.Running() {
		return false
	}
	d.Consumed += Duration(c.Between(d.RunningSince, at, d.Unit))
	d.Paused, d.PausedAt = true, &at
	d.Remaining = max(d.Budget-d.Consumed, 0)
	c.refresh(d)
	return true
}

// Resume restarts a paused clock at at with the counted time it had left.
// Day clocks stay due at the end of a day, never earlier than the time
// left.
func (c *Cal) Resume(d *Deadline, at time.Time) bool {
	if !d.Paused {
		return false
	}
	if d.PausedAt != nil && at.After(*d.PausedAt) {
		d.PausedFor += Duration(at.Sub(*d.PausedAt))
	}
	d.Paused, d.PausedAt, d.Remaining = false, nil, 0
	d.RunningSince = at
	c.refresh(d)
	if d.Rule.Days > 0 && !d.Met && !d.Breached {
		end := c.EndOfDay(d.DueAt)
		d.Budget = d.Consumed + Duration(c.Between(at, end, d.Unit))
		c.refresh(d)
	}
	return true
}

// NextStep is the extension a request would ask for, if any is left.
func (d *Deadline) NextStep() (Extension, bool) {
	if len(d.Extensions) >= len(d.Steps) {
		return Extension{}, false
	}
	return d.Steps[len(d.Extensions)], true
}

// CanExtend says why the clock cannot be extended now, or nil.
func (d *Deadline) CanExtend() error {
	switch {
	case d.Advisory:
		return fmt.Errorf("the %s clock is advisory and cannot be extended", d.Clock)
	case d.Met:
		return fmt.Errorf("the %s clock was already met", d.Clock)
	case d.Breached:
		return fmt.Errorf("the %s clock has already been breached", d.Clock)
	case len(d.Steps) == 0:
		return fmt.Errorf("the profile allows no extension of the %s clock", d.Clock)
	case len(d.Extensions) >= len(d.Steps):
		return fmt.Errorf("the %s clock has had every extension the profile allows (%d)", d.Clock, len(d.Steps))
	}
	return nil
}

// Extend grants the next extension step: the budget grows by the
// difference between the step's rule and the rule the clock ran under,
// both counted from the clock's start.
func (c *Cal) Extend(d *Deadline, g GrantedExtension) error {
	if err := d.CanExtend(); err != nil {
		return err
	}
	step, _ := d.NextStep()
	if step.To.Unit != d.Unit {
		return fmt.Errorf("extension of the %s clock counts %s, the clock counts %s", d.Clock, step.To.Unit, d.Unit)
	}
	grow := c.Between(d.StartAt, c.Due(d.StartAt, step.To), d.Unit) - c.Between(d.StartAt, c.Due(d.StartAt, d.Rule), d.Unit)
	if grow <= 0 {
		return fmt.Errorf("extension of the %s clock would not add time", d.Clock)
	}
	g.Label, g.From = step.Label, d.DueAt
	elapsed := Duration(c.Elapsed(*d, g.At))
	d.Budget += Duration(grow)
	d.Rule = step.To
	d.Pending = nil
	// Warning points are recounted over the larger budget: those still
	// ahead will be raised again.
	d.Warnings = 0
	for _, p := range d.WarnPoints {
		if Duration(float64(d.Budget)*p) <= elapsed {
			d.Warnings++
		}
	}
	c.refresh(d)
	g.To = d.DueAt
	if d.Paused {
		g.To = time.Time{}
	}
	d.Extensions = append(d.Extensions, g)
	return nil
}
