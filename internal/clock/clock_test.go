package clock

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func cal(t *testing.T, id string) *Cal {
	t.Helper()
	cals, err := BuiltinCalendars()
	if err != nil {
		t.Fatal(err)
	}
	c, ok := cals[id]
	if !ok {
		t.Fatalf("no calendar %s", id)
	}
	return c.MustCompile()
}

// at is a local wall time in the calendar's zone.
func at(c *Cal, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, c.Location())
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02 15:04", s, c.Location())
	}
	if err != nil {
		panic(err)
	}
	return t
}

func local(c *Cal, t time.Time) string { return t.In(c.Location()).Format("2006-01-02 15:04:05 MST") }

func TestDayKinds(t *testing.T) {
	cn, gb, us := cal(t, "cn-mainland"), cal(t, "gb-eaw"), cal(t, "us-federal")
	tests := []struct {
		c                 *Cal
		day               string
		working, business bool
	}{
		{cn, "2026-10-01 12:00", false, false}, // 国庆节, a Thursday
		{cn, "2026-10-08 12:00", true, true},   // first day back
		{cn, "2026-10-10 12:00", true, false},  // Saturday made a working day (调休)
		{cn, "2026-09-20 12:00", true, false},  // Sunday made a working day
		{cn, "2026-02-14 12:00", true, false},
		{cn, "2026-02-16 12:00", false, false}, // 春节 on a Monday
		{cn, "2026-11-21 12:00", false, false}, // ordinary Saturday
		{gb, "2026-12-28 12:00", false, false}, // Boxing Day substitute
		{gb, "2026-12-29 12:00", true, true},
		{us, "2026-07-03 12:00", false, false}, // Independence Day observed
		{us, "2026-11-26 12:00", false, false}, // Thanksgiving
		{us, "2026-11-27 12:00", true, true},
	}
	for _, tt := range tests {
		x := at(tt.c, tt.day)
		if got := tt.c.IsWorkingDay(x); got != tt.working {
			t.Errorf("%s %s working = %v, want %v", tt.c.Source().ID, tt.day, got, tt.working)
		}
		if got := tt.c.IsBusinessDay(x); got != tt.business {
			t.Errorf("%s %s business = %v, want %v", tt.c.Source().ID, tt.day, got, tt.business)
		}
	}
}

func TestAddBusinessHours(t *testing.T) {
	cn, gb, us := cal(t, "cn-mainland"), cal(t, "gb-eaw"), cal(t, "us-federal")
	tests := []struct {
		name  string
		c     *Cal
		from  string
		hours time.Duration
		want  string
	}{
		{"same morning", cn, "2026-11-23 09:30", time.Hour, "2026-11-23 10:30:00 CST"},
		{"across the lunch break", cn, "2026-11-23 11:30", time.Hour, "2026-11-23 13:30:00 CST"},
		{"started during lunch", cn, "2026-11-23 12:15", 30 * time.Minute, "2026-11-23 13:30:00 CST"},
		{"over the weekend", cn, "2026-11-20 17:00", 2 * time.Hour, "2026-11-23 10:00:00 CST"},
		{"received at night", cn, "2026-11-23 22:00", time.Hour, "2026-11-24 10:00:00 CST"},
		{"over National Day", cn, "2026-09-30 17:00", 2 * time.Hour, "2026-10-08 10:00:00 CST"},
		{"into a make-up Saturday", cn, "2026-10-09 17:30", time.Hour, "2026-10-10 09:30:00 CST"},
		{"over Spring Festival", cn, "2026-02-13 17:00", 3 * time.Hour, "2026-02-14 11:00:00 CST"},
		{"ends exactly at close", cn, "2026-11-23 17:00", time.Hour, "2026-11-23 18:00:00 CST"},
		{"one whole week", cn, "2026-11-23 09:00", 40 * time.Hour, "2026-11-27 18:00:00 CST"},
		{"London spring forward", gb, "2026-03-27 17:00", time.Hour, "2026-03-30 09:30:00 BST"},
		{"London autumn back", gb, "2026-10-23 17:00", time.Hour, "2026-10-26 09:30:00 GMT"},
		{"London over Christmas", gb, "2026-12-24 17:00", time.Hour, "2026-12-29 09:30:00 GMT"},
		{"New York spring forward", us, "2026-03-06 16:30", time.Hour, "2026-03-09 09:30:00 EDT"},
		{"New York fall back", us, "2026-10-30 16:30", time.Hour, "2026-11-02 09:30:00 EST"},
		{"New York Thanksgiving", us, "2026-11-25 16:00", 2 * time.Hour, "2026-11-27 10:00:00 EST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := at(tt.c, tt.from)
			got := tt.c.Add(from, BusinessHours, tt.hours)
			if local(tt.c, got) != tt.want {
				t.Fatalf("Add(%s, %v) = %s, want %s", tt.from, tt.hours, local(tt.c, got), tt.want)
			}
			if back := tt.c.Between(from, got, BusinessHours); back != tt.hours {
				t.Fatalf("Between = %v, want %v", back, tt.hours)
			}
		})
	}
}

func TestDSTWallTime(t *testing.T) {
	gb, us := cal(t, "gb-eaw"), cal(t, "us-federal")
	// The night the clocks go forward has 23 hours; counting calendar
	// time is counting real elapsed time.
	if got := gb.Between(at(gb, "2026-03-28 12:00"), at(gb, "2026-03-29 12:00"), CalendarTime); got != 23*time.Hour {
		t.Errorf("London spring-forward day = %v, want 23h", got)
	}
	if got := us.Between(at(us, "2026-10-31 12:00"), at(us, "2026-11-01 12:00"), CalendarTime); got != 25*time.Hour {
		t.Errorf("New York fall-back day = %v, want 25h", got)
	}
	// A calendar-day deadline ends at local midnight whatever the offset.
	due := us.Due(at(us, "2026-10-31 10:00"), Rule{Unit: CalendarTime, Days: 1})
	if local(us, due) != "2026-11-01 23:59:59 EST" {
		t.Errorf("1 calendar day over fall-back = %s", local(us, due))
	}
}

func TestDue(t *testing.T) {
	cn, gb, us, au := cal(t, "cn-mainland"), cal(t, "gb-eaw"), cal(t, "us-federal"), cal(t, "au-nsw")
	tests := []struct {
		name string
		c    *Cal
		from string
		rule Rule
		want string
	}{
		{"FCA summary: 3rd business day after receipt over Christmas", gb, "2026-12-24 10:00",
			Rule{Unit: BusinessDays, Days: 3}, "2026-12-31 23:59:59 GMT"},
		{"FCA final response: 8 weeks", gb, "2026-11-23 10:00", Rule{Unit: CalendarTime, Days: 56}, "2027-01-18 23:59:59 GMT"},
		{"12315: 7 working days, a make-up Sunday counts", cn, "2026-09-18 15:00",
			Rule{Unit: WorkingDays, Days: 7}, "2026-09-29 23:59:59 CST"},
		{"7 business days: the make-up Sunday does not", cn, "2026-09-18 15:00",
			Rule{Unit: BusinessDays, Days: 7}, "2026-09-30 23:59:59 CST"},
		{"5 working days over National Day", cn, "2026-09-29 10:00",
			Rule{Unit: WorkingDays, Days: 5}, "2026-10-12 23:59:59 CST"},
		{"received on a holiday", cn, "2026-05-02 10:00", Rule{Unit: WorkingDays, Days: 1}, "2026-05-06 23:59:59 CST"},
		{"CFPB 15 calendar days", us, "2026-11-20 16:00", Rule{Unit: CalendarTime, Days: 15}, "2026-12-05 23:59:59 EST"},
		{"business hours", us, "2026-11-25 16:00", Rule{Unit: BusinessHours, Amount: D(8 * time.Hour)}, "2026-11-27 16:00:00 EST"},
		{"ASIC: 24 hours on a weekday", au, "2026-11-23 10:00",
			Rule{Unit: CalendarTime, Amount: D(24 * time.Hour), OrNextBusinessDay: true}, "2026-11-24 23:59:59 AEDT"},
		{"ASIC: next business day after Easter", au, "2026-04-02 16:00",
			Rule{Unit: CalendarTime, Amount: D(24 * time.Hour), OrNextBusinessDay: true}, "2026-04-07 23:59:59 AEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.rule.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tt.c.Due(at(tt.c, tt.from), tt.rule); local(tt.c, got) != tt.want {
				t.Fatalf("Due(%s, %s) = %s, want %s", tt.from, tt.rule, local(tt.c, got), tt.want)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	for _, r := range []Rule{
		{Unit: "fortnights", Days: 1},
		{Unit: BusinessDays},
		{Unit: BusinessHours, Days: 2},
		{Unit: WorkingDays, Amount: D(time.Hour)},
		{Unit: CalendarTime, Days: 1, Amount: D(time.Hour)},
		{Unit: CalendarTime, Days: -1},
	} {
		if r.Validate() == nil {
			t.Errorf("rule %+v accepted", r)
		}
	}
}

func TestCalendarValidation(t *testing.T) {
	good := Calendar{ID: "x", TimeZone: "UTC", Hours: Week{Mon: []Span{{"09:00", "17:00"}}}, ValidFrom: "2026-01-01", ValidTo: "2026-12-31"}
	if _, err := good.Compile(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Calendar)
		want string
	}{
		{"zone", func(c *Calendar) { c.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"no hours", func(c *Calendar) { c.Hours = Week{} }, "no weekday has working hours"},
		{"backwards", func(c *Calendar) { c.Hours.Tue = []Span{{"17:00", "09:00"}} }, "hours.tue"},
		{"overlap", func(c *Calendar) { c.Hours.Wed = []Span{{"09:00", "13:00"}, {"12:00", "17:00"}} }, "overlaps"},
		{"time", func(c *Calendar) { c.Hours.Thu = []Span{{"9am", "17:00"}} }, "HH:MM"},
		{"date", func(c *Calendar) { c.Holidays = []Day{{Date: "2026-13-01"}} }, "holidays[0]"},
		{"both", func(c *Calendar) {
			c.Holidays = []Day{{Date: "2026-05-09"}}
			c.WorkingDays = []Day{{Date: "2026-05-09"}}
		}, "also a holiday"},
	}
	for _, tt := range tests {
		c := good
		c.Hours = Week{Mon: []Span{{"09:00", "17:00"}}}
		tt.edit(&c)
		if _, err := c.Compile(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := ParseCalendar([]byte(`{"id":"x","time_zone":"UTC","hours":{"mon":[{"from":"09:00","to":"17:00"}]},"valid_from":"2026-01-01","valid_to":"2026-12-31","colour":"red"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := ParseCalendar([]byte(`{"id":"x","time_zone":"UTC","hours":{"monday":[{"from":"09:00","to":"17:00"}]},"valid_from":"2026-01-01","valid_to":"2026-12-31"}`)); err == nil || !strings.Contains(err.Error(), "monday") {
		t.Errorf("unknown weekday: %v", err)
	}
}

// TestRoundTrip is the property test: adding counted time then measuring
// it gives it back, for random instants and durations, every calendar and
// every unit; and measuring then adding never goes past the end.
func TestRoundTrip(t *testing.T) {
	cals, err := BuiltinCalendars()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	year := int64(2 * 365 * 24 * time.Hour)
	for id, src := range cals {
		c := src.MustCompile()
		for _, u := range []Unit{CalendarTime, BusinessHours, BusinessDays, WorkingDays} {
			for i := 0; i < 400; i++ {
				a := base.Add(time.Duration(rng.Int64N(year))).Truncate(time.Second)
				d := time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))).Truncate(time.Second)
				end := c.Add(a, u, d)
				if got := c.Between(a, end, u); got != d {
					t.Fatalf("%s %s: Between(%s, Add(+%v)) = %v", id, u, a, d, got)
				}
				b := a.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
				m := c.Between(a, b, u)
				back := c.Add(a, u, m)
				if back.After(b) || c.Between(a, back, u) != m {
					t.Fatalf("%s %s: Add(%s, Between(.., %s)=%v) = %s", id, u, a, b, m, back)
				}
			}
		}
	}
}

func profile(t *testing.T, name string) (Profile, *Cal) {
	t.Helper()
	p, ok := Profiles()[name]
	if !ok {
		t.Fatalf("no profile %s", name)
	}
	return p, cal(t, p.CalendarID)
}

func TestProfilesValid(t *testing.T) {
	cals, _ := BuiltinCalendars()
	roles := []string{"agent", "supervisor", "manager", "director"}
	for name, p := range Profiles() {
		if err := p.Validate(roles); err != nil {
			t.Error(err)
		}
		if _, ok := cals[p.CalendarID]; !ok {
			t.Errorf("%s: calendar %s not shipped", name, p.CalendarID)
		}
	}
	p := Profiles()["default"]
	p.Clocks[1].Extensions = append(p.Clocks[1].Extensions, Extension{To: Rule{Unit: CalendarTime, Days: 3}, Approver: "boss"})
	err := p.Validate(roles)
	if err == nil || !strings.Contains(err.Error(), "must count working_days") || !strings.Contains(err.Error(), `"boss" is not a role`) {
		t.Errorf("bad extension: %v", err)
	}
}

func TestStartWarnAndSeverity(t *testing.T) {
	p, c := profile(t, "default")
	spec, _ := p.Spec(Resolve)
	start := at(c, "2026-11-23 10:00") // Monday
	d := c.Start(spec, start, "normal")
	if local(c, d.DueAt) != "2026-11-30 23:59:59 CST" {
		t.Fatalf("due %s", local(c, d.DueAt))
	}
	// Budget: 14h of Monday, four whole days, and Monday 30th.
	if want := 14*time.Hour + 5*24*time.Hour - time.Second; d.Budget.Std() != want {
		t.Fatalf("budget %v, want %v", d.Budget, want)
	}
	// 50% of 134h is 67h counted: Monday 14h, Tuesday 24h, Wednesday 24h,
	// then 5h of Thursday.
	if local(c, d.WarnAt) != "2026-11-26 04:59:59 CST" {
		t.Fatalf("first warning at %s", local(c, d.WarnAt))
	}
	c.Warn(&d)
	if d.Warnings != 1 || local(c, d.WarnAt) != "2026-11-27 21:11:59 CST" {
		t.Fatalf("second warning at %s (%d)", local(c, d.WarnAt), d.Warnings)
	}
	c.Warn(&d)
	if !d.WarnAt.IsZero() || d.Next() != d.DueAt {
		t.Fatalf("after both warnings: warn %v next %v", d.WarnAt, d.Next())
	}
	crit := c.Start(spec, start, "critical")
	if local(c, crit.DueAt) != "2026-11-25 23:59:59 CST" {
		t.Fatalf("critical due %s", local(c, crit.DueAt))
	}
}

func TestPauseResume(t *testing.T) {
	p, c := profile(t, "default")
	spec, _ := p.Spec(Resolve)
	d := c.Start(spec, at(c, "2026-11-23 10:00"), "normal")
	if !c.Pause(&d, at(c, "2026-11-25 10:00")) {
		t.Fatal("did not pause")
	}
	if !d.Paused || !d.Next().IsZero() || d.Remaining.Std() != 86*time.Hour-time.Second {
		t.Fatalf("paused: %+v", d)
	}
	if c.Pause(&d, at(c, "2026-11-25 11:00")) {
		t.Fatal("paused twice")
	}
	// Resumed on Monday: the 86h left run Monday 14h, Tuesday, Wednesday,
	// Thursday to the end of the day.
	c.Resume(&d, at(c, "2026-11-30 10:00"))
	if local(c, d.DueAt) != "2026-12-03 23:59:59 CST" || d.PausedFor.Std() != 5*24*time.Hour {
		t.Fatalf("resumed: due %s paused for %v", local(c, d.DueAt), d.PausedFor)
	}
	// A pause over the National Day week costs the rest of Wednesday only:
	// 102h were left, counted from Thursday 8th at 09:00 they end on
	// Tuesday 13th.
	d2 := c.Start(spec, at(c, "2026-09-29 10:00"), "normal")
	before := d2.DueAt
	c.Pause(&d2, at(c, "2026-09-30 18:00"))
	c.Resume(&d2, at(c, "2026-10-08 09:00"))
	if local(c, before) != "2026-10-12 23:59:59 CST" || local(c, d2.DueAt) != "2026-10-13 23:59:59 CST" {
		t.Fatalf("over the holiday: before %s after %s", local(c, before), local(c, d2.DueAt))
	}
	// Calendar clocks that do not pause (FCA) ignore the pause.
	fp, fc := profile(t, "uk-fca-disp")
	fs, _ := fp.Spec(Resolve)
	f := fc.Start(fs, at(fc, "2026-11-23 10:00"), "normal")
	if fc.Pause(&f, at(fc, "2026-11-24 10:00")) {
		t.Fatal("an FCA clock paused")
	}
	// A met clock does not pause, and a paused clock met is met.
	c.MarkMet(&d2, at(c, "2026-10-09 10:00"))
	if c.Pause(&d2, at(c, "2026-10-09 11:00")) || !d2.Met {
		t.Fatal("met clock paused")
	}
	d3 := c.Start(spec, at(c, "2026-11-23 10:00"), "normal")
	c.Pause(&d3, at(c, "2026-11-24 10:00"))
	c.MarkMet(&d3, at(c, "2026-11-24 12:00"))
	if !d3.Met || d3.Paused || d3.MetAt == nil {
		t.Fatalf("paused clock met: %+v", d3)
	}
}

func TestExtensions(t *testing.T) {
	p, c := profile(t, "cn-banking-insurance")
	spec, _ := p.Spec(Resolve)
	start := at(c, "2026-11-02 10:00")
	d := c.Start(spec, start, "normal")
	if local(c, d.DueAt) != "2026-11-17 23:59:59 CST" {
		t.Fatalf("due %s", local(c, d.DueAt))
	}
	step, _ := d.NextStep()
	if step.Approver != "supervisor" {
		t.Fatalf("first step %+v", step)
	}
	if err := c.Extend(&d, GrantedExtension{By: "a", ApprovedBy: "s", Reason: "complex", At: at(c, "2026-11-10 10:00")}); err != nil {
		t.Fatal(err)
	}
	if local(c, d.DueAt) != "2026-12-02 23:59:59 CST" || d.Extensions[0].Label != "complex" {
		t.Fatalf("after first extension: %s", local(c, d.DueAt))
	}
	step, _ = d.NextStep()
	if step.Approver != "manager" {
		t.Fatalf("second step %+v", step)
	}
	// Paused for two days in between: the extension keeps the pause.
	c.Pause(&d, at(c, "2026-11-20 10:00"))
	c.Resume(&d, at(c, "2026-11-22 10:00"))
	if err := c.Extend(&d, GrantedExtension{By: "a", ApprovedBy: "m", Reason: "expert report", At: at(c, "2026-11-25 10:00")}); err != nil {
		t.Fatal(err)
	}
	if local(c, d.DueAt) != "2027-01-03 23:59:59 CST" {
		t.Fatalf("after second extension: %s", local(c, d.DueAt))
	}
	if d.Warnings != 0 {
		t.Fatalf("warnings not recounted: %d", d.Warnings)
	}
	err := c.Extend(&d, GrantedExtension{At: at(c, "2026-11-26 10:00")})
	if err == nil || !strings.Contains(err.Error(), "every extension the profile allows (2)") {
		t.Fatalf("third extension: %v", err)
	}
	// Not after a breach, not on a profile without extensions.
	b := c.Start(spec, start, "normal")
	c.Breach(&b, b.DueAt)
	if err := b.CanExtend(); err == nil {
		t.Fatal("breached clock extendable")
	}
	up, uc := profile(t, "us-cfpb")
	us, _ := up.Spec(Resolve)
	u := uc.Start(us, start, "normal")
	if err := u.CanExtend(); err == nil || !strings.Contains(err.Error(), "allows no extension") {
		t.Fatalf("us-cfpb extension: %v", err)
	}
}

func TestProvisional(t *testing.T) {
	p, c := profile(t, "cn-banking-insurance")
	spec, _ := p.Spec(Resolve)
	if d := c.Start(spec, at(c, "2026-11-02 10:00"), "normal"); d.Provisional {
		t.Fatal("November case provisional")
	}
	if d := c.Start(spec, at(c, "2026-12-28 10:00"), "normal"); !d.Provisional {
		t.Fatal("a case due in 2027 on a 2026 calendar is not marked provisional")
	}
}

func TestProgressCadence(t *testing.T) {
	_, c := profile(t, "default")
	r := Rule{Unit: WorkingDays, Days: 3}
	// Thursday morning + 3 working days: Friday, Monday, Tuesday morning.
	if got := c.After(at(c, "2026-11-19 10:00"), r); local(c, got) != "2026-11-24 10:00:00 CST" {
		t.Errorf("cadence from Thursday = %s", local(c, got))
	}
	// From a Saturday: Monday to Wednesday whole, due at Thursday's opening.
	if got := c.After(at(c, "2026-11-21 15:00"), r); local(c, got) != "2026-11-26 09:00:00 CST" {
		t.Errorf("cadence from Saturday = %s", local(c, got))
	}
}

func TestDurationJSON(t *testing.T) {
	for s, want := range map[string]time.Duration{"15d": 15 * 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute} {
		d, err := ParseDuration(s)
		if err != nil || d.Std() != want {
			t.Errorf("%s: %v %v", s, d, err)
		}
	}
	if _, err := ParseDuration("two weeks"); err == nil {
		t.Error("bad duration accepted")
	}
	var d Duration
	if err := d.UnmarshalJSON([]byte(`"2d"`)); err != nil || d.String() != "2d" {
		t.Errorf("json: %v %v", d, err)
	}
}
