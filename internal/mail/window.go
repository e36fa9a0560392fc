package mail

import (
	"context"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/store"
)

// Window is the daytime within which timed follow-ups are sent, in
// minutes after local midnight; End before Start is a window across
// midnight. The zero Window is always open.
type Window struct{ Start, End int }

// ParseWindow reads "09:00-21:00"; "" is always open.
func ParseWindow(s string) (Window, error) {
	if s == "" {
		return Window{}, nil
	}
	start, end, err := config.ParseWindow(s)
	return Window{Start: start, End: end}, err
}

// Next is the first instant at or after t within the window, in loc (the
// case calendar's zone): t itself when it is in the window, else the
// window's next opening (later today, or tomorrow).
func (w Window) Next(t time.Time, loc *time.Location) time.Time {
	if w == (Window{}) {
		return t
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	open := m >= w.Start && m < w.End
	if w.End < w.Start {
		open = m >= w.Start || m < w.End
	}
	if open {
		return t
	}
	day := lt
	if m >= w.Start {
		day = lt.AddDate(0, 0, 1)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), w.Start/60, w.Start%60, 0, 0, loc)
}

// TimedKinds are the customer messages a timer sends rather than a
// person's action: they wait for the send window. Everything else (an
// acknowledgement, a proposal, a staff alert) goes at once.
var TimedKinds = map[string]bool{"survey": true, "survey_reminder": true, "progress_update": true, "info_reminder": true}

// CaseZone is the time zone of a case's calendar (its profile's stored
// calendar), where its send window is; UTC when it cannot be read.
func CaseZone(ctx context.Context, st *store.Store, profiles map[string]complaint.Clocks, profile string) *time.Location {
	p, ok := profiles[profile]
	if !ok {
		return time.UTC
	}
	cal, err := st.Calendar(ctx, p.CalendarID)
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(cal.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
