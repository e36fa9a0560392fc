package clock

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMarkMetLateIsBreached: a clock met after its due time is breached
// at its due time (it was recorded as met, on time); met in time, paused
// or advisory it is not.
func TestMarkMetLateIsBreached(t *testing.T) {
	p, c := profile(t, "default")
	ack, _ := p.Spec(Acknowledge)
	res, _ := p.Spec(Resolve)
	fp, fc := profile(t, "uk-fca-disp")
	sum, _ := fp.Spec(SummaryResolution)
	for _, tc := range []struct {
		name     string
		d        func() (Deadline, *Cal)
		met      string
		breached bool
	}{
		{"acknowledged within 24 hours", func() (Deadline, *Cal) { return c.Start(ack, at(c, "2026-11-23 10:00"), "normal"), c }, "2026-11-24 09:59", false},
		{"acknowledged three days late", func() (Deadline, *Cal) { return c.Start(ack, at(c, "2026-11-23 10:00"), "normal"), c }, "2026-11-26 10:00", true},
		{"met while paused past the old due time", func() (Deadline, *Cal) {
			d := c.Start(res, at(c, "2026-11-23 10:00"), "normal")
			c.Pause(&d, at(c, "2026-11-24 10:00"))
			return d, c
		}, "2026-12-10 10:00", false},
		{"advisory clock met late", func() (Deadline, *Cal) { return fc.Start(sum, at(fc, "2026-11-23 10:00"), "normal"), fc }, "2026-12-10 10:00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, cal := tc.d()
			due := d.DueAt
			late := cal.MarkMet(&d, at(cal, tc.met))
			if late != tc.breached || d.Breached != tc.breached || !d.Met {
				t.Fatalf("late=%v met=%v breached=%v, want breached %v", late, d.Met, d.Breached, tc.breached)
			}
			if tc.breached && (d.BreachedAt == nil || !d.BreachedAt.Equal(due)) {
				t.Errorf("breached at %v, want the due time %v", d.BreachedAt, due)
			}
			if d.AtRisk() {
				t.Error("a met clock is at risk")
			}
			if cal.MarkMet(&d, at(cal, tc.met)) {
				t.Error("met twice counted the breach twice")
			}
		})
	}
}

// TestAtRisk: at risk from the first warning or a breach until met.
func TestAtRisk(t *testing.T) {
	p, c := profile(t, "default")
	res, _ := p.Spec(Resolve)
	d := c.Start(res, at(c, "2026-11-23 10:00"), "normal")
	if d.AtRisk() {
		t.Fatal("at risk at start")
	}
	c.Warn(&d)
	if !d.AtRisk() {
		t.Fatal("not at risk after a warning")
	}
	c.Pause(&d, at(c, "2026-11-26 10:00"))
	if !d.AtRisk() {
		t.Fatal("a warned clock paused is no longer at risk")
	}
	c.Resume(&d, at(c, "2026-11-26 11:00"))
	c.MarkMet(&d, at(c, "2026-11-26 12:00"))
	if d.AtRisk() {
		t.Fatal("at risk once met")
	}
}

// TestAppealRule: every built-in profile has an appeal clock that warns
// and breaches; a profile that puts it among the clocks started at
// registration, or makes it advisory, is refused.
func TestAppealRule(t *testing.T) {
	roles := []string{"agent", "supervisor", "manager", "director"}
	for name, p := range Profiles() {
		if p.Appeal == nil || p.Appeal.Clock != Appeal || p.Appeal.Advisory || len(p.Appeal.Warn) == 0 || !p.Appeal.Breach.Escalate {
			t.Errorf("%s: appeal clock %+v", name, p.Appeal)
		}
	}
	p := Profiles()["default"]
	p.Clocks = append(p.Clocks, *p.Appeal)
	adv := *p.Appeal
	adv.Advisory = true
	p.Appeal = &adv
	err := p.Validate(roles)
	if err == nil || !strings.Contains(err.Error(), "belongs in appeal") || !strings.Contains(err.Error(), "appeal.advisory") {
		t.Errorf("bad appeal rule: %v", err)
	}
}

// TestDeadlineJSONOmitsZeroTimes: a met clock has no next warning; it is
// left out rather than shown as 0001-01-01T00:00:00Z.
func TestDeadlineJSONOmitsZeroTimes(t *testing.T) {
	p, c := profile(t, "default")
	ack, _ := p.Spec(Acknowledge)
	d := c.Start(ack, at(c, "2026-11-23 10:00"), "normal")
	c.MarkMet(&d, at(c, "2026-11-23 10:05"))
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "0001-01-01") || strings.Contains(string(b), "warn_at") {
		t.Errorf("met deadline = %s", b)
	}
}
