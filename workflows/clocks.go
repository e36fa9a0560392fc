package workflows

import (
	"fmt"
	"time"
)

// Clock names.
const (
	ClockAcknowledge = "acknowledge"
	ClockResolve     = "resolve"
)

// Clocks is the snapshot of a clock profile a case runs under, taken when
// the case is registered so the workflow replays deterministically. This is
// the one seam the business-calendar work plugs into.
type Clocks struct {
	Profile string `json:"profile"`
	// TimeZone is an IANA zone; business days are counted there.
	TimeZone string `json:"time_zone"`
	// Acknowledge is a calendar duration.
	Acknowledge time.Duration `json:"acknowledge"`
	// ResolveBusinessDays, when set, gives the resolution deadline as the
	// end of the Nth business day after the day of receipt; otherwise
	// ResolveCalendar is a calendar duration.
	ResolveBusinessDays int           `json:"resolve_business_days,omitempty"`
	ResolveCalendar     time.Duration `json:"resolve_calendar,omitempty"`
	// WarnFraction of a clock elapsed raises an early warning (预警).
	WarnFraction float64 `json:"warn_fraction"`

	Approval       time.Duration `json:"approval"`
	InfoReminder   time.Duration `json:"info_reminder"`
	InfoTimeout    time.Duration `json:"info_timeout"`
	ConfirmWindow  time.Duration `json:"confirm_window"`
	ConfirmNotice  time.Duration `json:"confirm_notice"`
	SurveyDelay    time.Duration `json:"survey_delay"`
	SurveyReminder time.Duration `json:"survey_reminder"`
	SurveyExpiry   time.Duration `json:"survey_expiry"`
	// MaxAppeals is how many internal appeal levels a customer has before
	// the final response with the route to the regulator or ombudsman.
	MaxAppeals int `json:"max_appeals"`
	// Regulator names the body the final response refers the customer to.
	Regulator string `json:"regulator"`
}

const day = 24 * time.Hour

// Profiles returns the built-in clock profiles (DOMAIN.md's table). The
// business-calendar issue replaces the simple weekday calendar used here.
func Profiles() map[string]Clocks {
	base := Clocks{
		TimeZone:       "UTC",
		Acknowledge:    day,
		WarnFraction:   0.8,
		Approval:       day,
		InfoReminder:   3 * day,
		InfoTimeout:    7 * day,
		ConfirmWindow:  10 * day,
		ConfirmNotice:  3 * day,
		SurveyDelay:    3 * day,
		SurveyReminder: 4 * day,
		SurveyExpiry:   14 * day,
		MaxAppeals:     2,
		Regulator:      "the relevant regulator or ombudsman",
	}
	with := func(name, tz string, f func(*Clocks)) Clocks {
		c := base
		c.Profile, c.TimeZone = name, tz
		f(&c)
		return c
	}
	return map[string]Clocks{
		"default": with("default", "UTC", func(c *Clocks) { c.ResolveBusinessDays = 5 }),
		"cn-banking-insurance": with("cn-banking-insurance", "Asia/Shanghai", func(c *Clocks) {
			c.ResolveCalendar = 15 * day
			c.Regulator = "国家金融监督管理总局 (National Financial Regulatory Administration), 12378"
		}),
		"cn-samr-12315": with("cn-samr-12315", "Asia/Shanghai", func(c *Clocks) {
			c.ResolveBusinessDays = 7
			c.Regulator = "市场监督管理部门 12315"
		}),
		"uk-fca-disp": with("uk-fca-disp", "Europe/London", func(c *Clocks) {
			c.ResolveCalendar = 8 * 7 * day
			c.Regulator = "the Financial Ombudsman Service"
		}),
		"us-cfpb": with("us-cfpb", "America/New_York", func(c *Clocks) {
			c.ResolveCalendar = 15 * day
			c.Regulator = "the Consumer Financial Protection Bureau"
		}),
		"au-asic-rg271": with("au-asic-rg271", "Australia/Sydney", func(c *Clocks) {
			c.ResolveCalendar = 30 * day
			c.Regulator = "the Australian Financial Complaints Authority (AFCA)"
		}),
	}
}

// ComputeDeadlines gives the acknowledgement and resolution deadlines of a
// case received at receivedAt. Critical cases get half the resolution time.
func ComputeDeadlines(c Clocks, receivedAt time.Time, severity string) ([]Deadline, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("clock profile %s: time zone %q: %w", c.Profile, c.TimeZone, err)
	}
	ack := deadline(ClockAcknowledge, receivedAt, receivedAt.Add(c.Acknowledge), c.WarnFraction)
	var due time.Time
	if c.ResolveBusinessDays > 0 {
		days := c.ResolveBusinessDays
		if severity == SeverityCritical && days > 1 {
			days = (days + 1) / 2
		}
		due = EndOfBusinessDay(receivedAt.In(loc), days)
	} else {
		d := c.ResolveCalendar
		if severity == SeverityCritical {
			d /= 2
		}
		due = receivedAt.Add(d)
	}
	res := deadline(ClockResolve, receivedAt, due.UTC(), c.WarnFraction)
	return []Deadline{ack, res}, nil
}

func deadline(clock string, start, due time.Time, warn float64) Deadline {
	d := Deadline{Clock: clock, DueAt: due}
	if warn > 0 && warn < 1 {
		d.WarnAt = start.Add(time.Duration(float64(due.Sub(start)) * warn))
	}
	return d
}

// EndOfBusinessDay is the end of the nth business day (Monday to Friday)
// after the day of t, in t's location: "by the end of the 3rd business day
// after the day of receipt".
func EndOfBusinessDay(t time.Time, n int) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d.AddDate(0, 0, 1).Add(-time.Second)
}
