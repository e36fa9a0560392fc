package complaint

import (
	"fmt"
	"time"

	"github.com/complaint-handling/complaints/internal/clock"
)

// Clock names.
const (
	ClockAcknowledge       = clock.Acknowledge
	ClockFirstResponse     = clock.FirstResponse
	ClockResolve           = clock.Resolve
	ClockSummaryResolution = clock.SummaryResolution
	ClockAppeal            = clock.Appeal
	ClockFirstContact      = clock.FirstContact
)

// Clocks is the snapshot of the clock profile a case runs under, calendar
// included, taken when the case is registered so the workflow replays
// deterministically; a calendar or profile changed later applies to new
// cases.
type Clocks = clock.Profile

// Deadline is one clock of a case.
type Deadline = clock.Deadline

// Profiles returns the built-in clock profiles (without calendars: those
// are resolved at registration).
func Profiles() map[string]Clocks { return clock.Profiles() }

// StartDeadlines opens the clocks of a case received at receivedAt: the
// one derivation of a case's deadlines from its profile snapshot. The
// register activity calls it for the case row it inserts and the workflow
// for its state, both with the snapshot the activity returns, so the two
// cannot disagree (the activity's result carries the snapshot, not the
// deadlines, and recorded histories keep that shape).
func StartDeadlines(c Clocks, receivedAt time.Time, severity string) ([]Deadline, error) {
	cal, err := c.Calendar.Compile()
	if err != nil {
		return nil, fmt.Errorf("clock profile %s: %w", c.Profile, err)
	}
	out := make([]Deadline, 0, len(c.Clocks))
	for _, s := range c.Clocks {
		out = append(out, cal.Start(s, receivedAt, severity))
	}
	return out, nil
}

// DefaultFulfilment is the fulfilment clock of a profile that names none:
// goods or work are delivered within 10 working days of being ordered.
func DefaultFulfilment() clock.Rule { return clock.Rule{Unit: clock.WorkingDays, Days: 10} }

// RowDues is what the case row carries of a case's deadlines: when the
// acknowledgement and the resolution are due (nil for a profile without
// that clock), and whether any clock has breached. The store's first
// insert and the workflow's row after each change take it from here.
type RowDues struct {
	Ack, Resolve *time.Time
	Breached     bool
}

// DuesOf is the RowDues of deadlines.
func DuesOf(deadlines []Deadline) RowDues {
	var r RowDues
	for _, d := range deadlines {
		r.Breached = r.Breached || d.Breached
		due := d.DueAt
		switch d.Clock {
		case ClockAcknowledge:
			r.Ack = &due
		case ClockResolve:
			r.Resolve = &due
		}
	}
	return r
}

// ClockNames returns the name of every clock a profile may run, in the
// order a case meets them.
func ClockNames() []string {
	return []string{ClockAcknowledge, ClockFirstContact, ClockFirstResponse, ClockSummaryResolution, ClockResolve, ClockAppeal}
}
