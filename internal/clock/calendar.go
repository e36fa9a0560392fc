// Package clock is the pure core of complaint clocks: business calendars
// (working hours, public holidays, make-up working days), clock units,
// regulatory clock profiles and the arithmetic of deadlines that pause,
// resume and are extended. It has no Temporal inside: the workflow calls
// it with workflow time, and the same inputs always give the same answer,
// so a case replays deterministically from the calendar snapshot it
// started with.
package clock

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the same zone rules on every machine that runs a worker
)

// Span is a working period of a day, "09:00" to "12:00" in the calendar's
// time zone. "24:00" ends a span at midnight.
type Span struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Day is a dated entry of a calendar: a public holiday, or a weekend day
// declared a working day (China's 调休).
type Day struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// Calendar is a business calendar as data. Calendars are versioned: a
// case keeps the snapshot it started with; a new version applies to new
// cases.
type Calendar struct {
	ID       string `json:"id"`
	Version  int    `json:"version"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	// Hours are the working spans of each weekday; a weekday without
	// spans is not a working day.
	Hours Week `json:"hours"`
	// Holidays are days off whatever their weekday.
	Holidays []Day `json:"holidays"`
	// WorkingDays are days worked whatever their weekday (make-up days);
	// they have WorkingDayHours, or Monday's hours when that is empty.
	WorkingDays     []Day  `json:"working_days,omitempty"`
	WorkingDayHours []Span `json:"working_day_hours,omitempty"`
	// ValidFrom and ValidTo bound the dates whose holidays are listed.
	// Outside them only the weekly pattern applies, and deadlines that
	// fall there are marked provisional.
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
	Source    string `json:"source,omitempty"`
}

var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Week holds working spans per weekday.
type Week struct {
	Mon []Span `json:"mon,omitempty"`
	Tue []Span `json:"tue,omitempty"`
	Wed []Span `json:"wed,omitempty"`
	Thu []Span `json:"thu,omitempty"`
	Fri []Span `json:"fri,omitempty"`
	Sat []Span `json:"sat,omitempty"`
	Sun []Span `json:"sun,omitempty"`
}

// Of returns the spans of a weekday.
func (w Week) Of(d time.Weekday) []Span {
	return [7][]Span{w.Sun, w.Mon, w.Tue, w.Wed, w.Thu, w.Fri, w.Sat}[d]
}

// date is a civil date.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

func (d date) start(loc *time.Location) time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, loc) }

func (d date) next() date { return d.add(1) }

func (d date) add(n int) date {
	return dateOf(time.Date(d.y, d.m, d.d+n, 12, 0, 0, 0, time.UTC))
}

func (d date) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d date) before(o date) bool {
	if d.y != o.y {
		return d.y < o.y
	}
	if d.m != o.m {
		return d.m < o.m
	}
	return d.d < o.d
}

func (d date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d) }

func parseDate(s string) (date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return dateOf(t), nil
}

// minutes is a span as minutes after midnight.
type minutes struct{ from, to int }

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q: want HH:MM between 00:00 and 24:00", s)
	}
	return hh*60 + mm, nil
}

func parseSpans(spans []Span) ([]minutes, error) {
	out := make([]minutes, 0, len(spans))
	for _, s := range spans {
		f, err := parseClock(s.From)
		if err != nil {
			return nil, err
		}
		t, err := parseClock(s.To)
		if err != nil {
			return nil, err
		}
		if t <= f {
			return nil, fmt.Errorf("span %s-%s ends before it starts", s.From, s.To)
		}
		if n := len(out); n > 0 && f < out[n-1].to {
			return nil, fmt.Errorf("span %s-%s overlaps or precedes the one before", s.From, s.To)
		}
		out = append(out, minutes{f, t})
	}
	return out, nil
}

// Cal is a validated calendar ready for arithmetic.
type Cal struct {
	src         Calendar
	loc         *time.Location
	week        [7][]minutes
	holidays    map[date]string
	makeup      map[date]string
	makeupHours []minutes
	from, to    date
}

// Compile validates a calendar and prepares it for arithmetic.
func (c Calendar) Compile() (*Cal, error) {
	verr := &ValidationError{Subject: "calendar " + c.ID}
	bad := func(format string, a ...any) { verr.add(fmt.Sprintf(format, a...)) }
	out := &Cal{src: c, holidays: map[date]string{}, makeup: map[date]string{}}
	if c.ID == "" {
		bad("id: required")
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil || c.TimeZone == "" {
		bad("time_zone: %q is not an IANA time zone", c.TimeZone)
	}
	out.loc = loc
	working := 0
	for i, k := range weekdayKeys {
		spans, err := parseSpans(c.Hours.Of(time.Weekday(i)))
		if err != nil {
			bad("hours.%s: %v", k, err)
		}
		out.week[i] = spans
		if len(spans) > 0 {
			working++
		}
	}
	if working == 0 && len(verr.Problems) == 0 {
		bad("hours: no weekday has working hours")
	}
	if out.makeupHours, err = parseSpans(c.WorkingDayHours); err != nil {
		bad("working_day_hours: %v", err)
	}
	if len(out.makeupHours) == 0 {
		out.makeupHours = out.week[time.Monday]
	}
	for i, h := range c.Holidays {
		d, err := parseDate(h.Date)
		if err != nil {
			bad("holidays[%d]: %v", i, err)
			continue
		}
		out.holidays[d] = h.Name
	}
	for i, h := range c.WorkingDays {
		d, err := parseDate(h.Date)
		if err != nil {
			bad("working_days[%d]: %v", i, err)
			continue
		}
		if _, both := out.holidays[d]; both {
			bad("working_days[%d]: %s is also a holiday", i, h.Date)
		}
		out.makeup[d] = h.Name
	}
	if out.from, err = parseDate(c.ValidFrom); err != nil {
		bad("valid_from: %v", err)
	}
	if out.to, err = parseDate(c.ValidTo); err != nil {
		bad("valid_to: %v", err)
	}
	if out.to.before(out.from) {
		bad("valid_to: before valid_from")
	}
	if len(verr.Problems) > 0 {
		return nil, verr
	}
	return out, nil
}

// MustCompile is Compile for calendars known to be valid.
func (c Calendar) MustCompile() *Cal {
	cal, err := c.Compile()
	if err != nil {
		panic(err)
	}
	return cal
}

// Source is the calendar this was compiled from.
func (c *Cal) Source() Calendar { return c.src }

// Location is the calendar's time zone.
func (c *Cal) Location() *time.Location { return c.loc }

// Covers reports whether t's date has its holidays listed.
func (c *Cal) Covers(t time.Time) bool {
	d := dateOf(t.In(c.loc))
	return !d.before(c.from) && !c.to.before(d)
}

// Holiday names the public holiday on t's date, if any.
func (c *Cal) Holiday(t time.Time) (string, bool) {
	n, ok := c.holidays[dateOf(t.In(c.loc))]
	return n, ok
}

// IsWorkingDay reports whether t's date is worked: a weekday with hours or
// a make-up working day, and not a holiday (工作日).
func (c *Cal) IsWorkingDay(t time.Time) bool { return c.working(dateOf(t.In(c.loc))) }

// IsBusinessDay reports whether t's date is a business day: a weekday with
// hours that is not a holiday. Make-up working days do not count.
func (c *Cal) IsBusinessDay(t time.Time) bool { return c.business(dateOf(t.In(c.loc))) }

func (c *Cal) working(d date) bool {
	if _, h := c.holidays[d]; h {
		return false
	}
	if _, m := c.makeup[d]; m {
		return true
	}
	return len(c.week[d.weekday()]) > 0
}

func (c *Cal) business(d date) bool {
	if _, h := c.holidays[d]; h {
		return false
	}
	return len(c.week[d.weekday()]) > 0
}

func (c *Cal) hours(d date) []minutes {
	if _, h := c.holidays[d]; h {
		return nil
	}
	if _, m := c.makeup[d]; m {
		return c.makeupHours
	}
	return c.week[d.weekday()]
}

// interval is a half-open stretch of time that a unit counts.
type interval struct{ start, end time.Time }

// counted appends the stretches of day d that unit u counts.
func (c *Cal) counted(buf []interval, d date, u Unit) []interval {
	switch u {
	case BusinessHours:
		for _, m := range c.hours(d) {
			buf = append(buf, interval{
				time.Date(d.y, d.m, d.d, m.from/60, m.from%60, 0, 0, c.loc),
				time.Date(d.y, d.m, d.d, m.to/60, m.to%60, 0, 0, c.loc),
			})
		}
	case BusinessDays:
		if c.business(d) {
			buf = append(buf, interval{d.start(c.loc), d.next().start(c.loc)})
		}
	case WorkingDays:
		if c.working(d) {
			buf = append(buf, interval{d.start(c.loc), d.next().start(c.loc)})
		}
	default:
		buf = append(buf, interval{d.start(c.loc), d.next().start(c.loc)})
	}
	return buf
}

// FieldProblem is one invalid field of a calendar or profile.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field found, each named.
type ValidationError struct {
	Subject  string
	Problems []FieldProblem
}

// add records "field: message".
func (e *ValidationError) add(s string) {
	f, m, ok := strings.Cut(s, ": ")
	if !ok {
		f, m = "", s
	}
	e.Problems = append(e.Problems, FieldProblem{Field: f, Message: m})
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return e.Subject + ": " + strings.Join(parts, "; ")
}
