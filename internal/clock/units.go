package clock

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is what a clock counts.
type Unit string

const (
	// CalendarTime counts all time.
	CalendarTime Unit = "calendar"
	// BusinessHours counts the calendar's working hours only.
	BusinessHours Unit = "business_hours"
	// BusinessDays counts whole business days: weekdays with working hours
	// that are not public holidays.
	BusinessDays Unit = "business_days"
	// WorkingDays counts whole working days (工作日): business days plus
	// the weekend days declared working days, minus holidays.
	WorkingDays Unit = "working_days"
)

// Valid reports whether u is a known unit.
func (u Unit) Valid() bool {
	switch u {
	case CalendarTime, BusinessHours, BusinessDays, WorkingDays:
		return true
	}
	return false
}

// maxDays bounds every walk over the calendar (100 years): a calendar
// always has working days, so this is a guard, not a limit met in use.
const maxDays = 36600

// Between measures the time from a to b that unit u counts.
func (c *Cal) Between(a, b time.Time, u Unit) time.Duration {
	if !b.After(a) {
		return 0
	}
	if u == CalendarTime {
		return b.Sub(a)
	}
	var sum time.Duration
	buf := make([]interval, 0, 4)
	end := dateOf(b.In(c.loc))
	for d, i := dateOf(a.In(c.loc)), 0; !end.before(d) && i < maxDays; d, i = d.next(), i+1 {
		buf = c.counted(buf[:0], d, u)
		for _, iv := range buf {
			s, e := later(iv.start, a), earlier(iv.end, b)
			if e.After(s) {
				sum += e.Sub(s)
			}
		}
	}
	return sum
}

// Add gives the earliest instant at which unit u has counted d from t.
func (c *Cal) Add(t time.Time, u Unit, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	if u == CalendarTime {
		return t.Add(d)
	}
	buf := make([]interval, 0, 4)
	for day, i := dateOf(t.In(c.loc)), 0; i < maxDays; day, i = day.next(), i+1 {
		buf = c.counted(buf[:0], day, u)
		for _, iv := range buf {
			if !iv.end.After(t) {
				continue
			}
			s := later(iv.start, t)
			if avail := iv.end.Sub(s); d <= avail {
				return s.Add(d)
			} else {
				d -= avail
			}
		}
	}
	return t.Add(d) // unreachable for a compiled calendar
}

// EndOfDays is the end (the last second) of the nth day that unit u counts
// after the day of t: "by the end of the 3rd business day after the day of
// receipt". For Calendar every day counts; n = 0 is the end of t's day.
func (c *Cal) EndOfDays(t time.Time, n int, u Unit) time.Time {
	d := dateOf(t.In(c.loc))
	for i := 0; n > 0 && i < maxDays; i++ {
		d = d.next()
		switch u {
		case BusinessDays, BusinessHours:
			if c.business(d) {
				n--
			}
		case WorkingDays:
			if c.working(d) {
				n--
			}
		default:
			n--
		}
	}
	return d.next().start(c.loc).Add(-time.Second)
}

// EndOfDay is the last second of t's day in the calendar's zone.
func (c *Cal) EndOfDay(t time.Time) time.Time {
	return dateOf(t.In(c.loc)).next().start(c.loc).Add(-time.Second)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Duration is a time.Duration written as text in JSON ("24h", "15d",
// "90m").
type Duration time.Duration

// D is a shorthand for Duration(d).
func D(d time.Duration) Duration { return Duration(d) }

// Std is the duration as time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

// ParseDuration reads Go durations plus whole days ("15d").
func ParseDuration(s string) (Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want a number of days like 15d or a Go duration like 36h", s)
		}
		return Duration(time.Duration(days) * 24 * time.Hour), nil
	}
	td, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a number of days like 15d or a Go duration like 36h", s)
	}
	return Duration(td), nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string like \"24h\" or \"15d\"")
		}
		*d = Duration(n)
		return nil
	}
	v, err := ParseDuration(s)
	*d = v
	return err
}

// Rule says when a clock started at some instant is due.
type Rule struct {
	Unit Unit `json:"unit"`
	// Days, for day units (and Calendar), makes the clock due by the end
	// of the Days-th counted day after the day it started.
	Days int `json:"days,omitempty"`
	// Amount, for Calendar and BusinessHours, is a span of counted time.
	Amount Duration `json:"amount,omitempty"`
	// OrNextBusinessDay makes an Amount rule due no earlier than the end
	// of the next business day (ASIC RG 271: within 24 hours or, if later,
	// by the end of the next business day).
	OrNextBusinessDay bool `json:"or_next_business_day,omitempty"`
}

// Within is a rule of a calendar duration.
func Within(d time.Duration) Rule { return Rule{Unit: CalendarTime, Amount: Duration(d)} }

// Validate checks a rule's fields.
func (r Rule) Validate() error {
	switch {
	case !r.Unit.Valid():
		return fmt.Errorf("unit: %q is not one of calendar, business_hours, business_days, working_days", r.Unit)
	case r.Days < 0 || r.Amount < 0:
		return fmt.Errorf("days and amount must not be negative")
	case r.Days > 0 && r.Amount > 0:
		return fmt.Errorf("give days or amount, not both")
	case r.Days == 0 && r.Amount == 0:
		return fmt.Errorf("days or amount is required")
	case r.Days > 0 && r.Unit == BusinessHours:
		return fmt.Errorf("business_hours rules take an amount, not days")
	case r.Amount > 0 && (r.Unit == BusinessDays || r.Unit == WorkingDays):
		return fmt.Errorf("%s rules take days, not an amount", r.Unit)
	}
	return nil
}

func (r Rule) String() string {
	var s string
	if r.Days > 0 {
		s = fmt.Sprintf("end of %d %s", r.Days, strings.ReplaceAll(string(r.Unit), "_", " "))
		if r.Unit == CalendarTime {
			s = fmt.Sprintf("end of %d calendar days", r.Days)
		}
	} else {
		s = r.Amount.String()
		if r.Unit == BusinessHours {
			s += " of business hours"
		}
	}
	if r.OrNextBusinessDay {
		s += " or next business day"
	}
	return s
}

// Due is when a clock under r started at start runs out.
func (c *Cal) Due(start time.Time, r Rule) time.Time {
	var due time.Time
	if r.Days > 0 {
		due = c.EndOfDays(start, r.Days, r.Unit)
	} else {
		due = c.Add(start, r.Unit, r.Amount.Std())
	}
	if r.OrNextBusinessDay {
		if nb := c.EndOfDays(start, 1, BusinessDays); nb.After(due) {
			due = nb
		}
	}
	return due
}

// After is an instant a cadence r after t, at the same time of day for
// day rules (progress reports every 3 business days).
func (c *Cal) After(t time.Time, r Rule) time.Time {
	if r.Days > 0 {
		if r.Unit == CalendarTime {
			return t.AddDate(0, 0, r.Days)
		}
		return c.NextOpen(c.Add(t, r.Unit, time.Duration(r.Days)*24*time.Hour))
	}
	return c.Add(t, r.Unit, r.Amount.Std())
}

// NextOpen is t if t falls within working hours, else the start of the
// next working hours.
func (c *Cal) NextOpen(t time.Time) time.Time {
	buf := make([]interval, 0, 4)
	for day, i := dateOf(t.In(c.loc)), 0; i < maxDays; day, i = day.next(), i+1 {
		buf = c.counted(buf[:0], day, BusinessHours)
		for _, iv := range buf {
			if iv.end.After(t) {
				return later(iv.start, t)
			}
		}
	}
	return t
}
