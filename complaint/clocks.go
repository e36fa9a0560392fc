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

// StartDeadlines opens the clocks of a case received at receivedAt.
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
