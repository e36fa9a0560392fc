package app_test

import (
	"strings"
	"testing"
	"time"
)

type deadlineView struct {
	Clock      string    `json:"clock"`
	DueAt      time.Time `json:"due_at"`
	Paused     bool      `json:"paused"`
	Remaining  string    `json:"remaining"`
	Extensions []struct {
		By         string    `json:"by"`
		ApprovedBy string    `json:"approved_by"`
		To         time.Time `json:"to"`
	} `json:"extensions"`
	Pending *struct{ By string } `json:"pending_extension"`
}

type caseClocks struct {
	Status       string         `json:"status"`
	ResolveDueAt *time.Time     `json:"resolve_due_at"`
	Deadlines    []deadlineView `json:"deadlines"`
}

func (c caseClocks) clock(t *testing.T, name string) deadlineView {
	t.Helper()
	for _, d := range c.Deadlines {
		if d.Clock == name {
			return d
		}
	}
	t.Fatalf("no %s clock in %+v", name, c.Deadlines)
	return deadlineView{}
}

// TestClocksThroughTheAPI: the profiles and calendars are readable, an
// admin loads a calendar version (and a bad one is refused field by
// field), and a case's resolution clock pauses for an information request
// and is extended by request and approval, all visible on the case.
func TestClocksThroughTheAPI(t *testing.T) {
	s := startStack(t)
	admin := s.token("admin-ada", "admin", "")
	agent := s.token("agent-ann", "agent", "billing")
	bob := s.token("agent-bob", "agent", "billing")
	sup := s.token("sup-sue", "supervisor", "billing")
	for _, tok := range []string{agent, bob, sup} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}

	var profiles struct {
		Profiles []struct {
			Profile    string `json:"profile"`
			CalendarID string `json:"calendar_id"`
			Calendar   struct {
				TimeZone string `json:"time_zone"`
			} `json:"calendar"`
			Clocks []struct{ Clock string } `json:"clocks"`
		} `json:"profiles"`
	}
	s.must(200, "GET", "/v1/profiles", agent, nil, &profiles)
	names := []string{}
	for _, p := range profiles.Profiles {
		names = append(names, p.Profile)
		if p.Profile == "uk-fca-disp" && (p.CalendarID != "gb-eaw" || p.Calendar.TimeZone != "Europe/London" || len(p.Clocks) != 4 || p.Clocks[3].Clock != "first_contact") {
			t.Errorf("uk-fca-disp = %+v", p)
		}
	}
	if strings.Join(names, ",") != "au-asic-rg271,cn-banking-insurance,cn-samr-12315,default,uk-fca-disp,uk-fca-disp-payments,us-cfpb" {
		t.Errorf("profiles %v", names)
	}

	// A bad calendar is refused with every bad field named.
	var prob struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	bad := map[string]any{"id": "cn-mainland", "time_zone": "Asia/Shanghai", "valid_from": "2027-01-01", "valid_to": "2027-12-31",
		"hours":    map[string]any{"mon": []map[string]string{{"from": "09:00", "to": "12:00"}, {"from": "11:00", "to": "18:00"}}},
		"holidays": []map[string]string{{"date": "2027-02-30", "name": "no such day"}}}
	s.must(422, "PUT", "/v1/calendars/cn-mainland", admin, bad, &prob)
	fields := []string{}
	for _, e := range prob.Errors {
		fields = append(fields, e.Field)
	}
	if strings.Join(fields, ",") != "hours.mon,holidays[0]" {
		t.Errorf("fields %v in %+v", fields, prob)
	}
	s.must(422, "PUT", "/v1/calendars/gb-eaw", admin, map[string]any{"id": "cn-mainland"}, nil)
	s.must(403, "PUT", "/v1/calendars/cn-mainland", sup, bad, nil)
	// A good one becomes version 2.
	var cal map[string]any
	s.must(200, "GET", "/v1/calendars/cn-mainland", agent, nil, &cal)
	cal["name"] = "China mainland 2026, reloaded"
	var stored struct {
		Version int `json:"version"`
	}
	s.must(200, "PUT", "/v1/calendars/cn-mainland", admin, cal, &stored)
	if stored.Version != 2 {
		t.Errorf("stored version %d", stored.Version)
	}
	var list struct {
		Calendars []struct {
			ID       string `json:"id"`
			Version  int    `json:"version"`
			LoadedBy string `json:"loaded_by"`
		} `json:"calendars"`
	}
	s.must(200, "GET", "/v1/calendars", agent, nil, &list)
	if len(list.Calendars) != 4 || list.Calendars[1].ID != "cn-mainland" || list.Calendars[1].Version != 2 || list.Calendars[1].LoadedBy != "admin-ada" {
		t.Errorf("calendars %+v", list.Calendars)
	}

	// A case under the Chinese banking rules.
	body := map[string]any{}
	for k, v := range complaintBody {
		body[k] = v
	}
	body["profile"] = "cn-banking-insurance"
	var created struct{ ID, TrackingToken string }
	created.TrackingToken = ""
	var cr map[string]any
	s.must(201, "POST", "/v1/complaints", agent, body, &cr)
	created.ID, created.TrackingToken = cr["id"].(string), cr["tracking_token"].(string)
	path := "/v1/complaints/" + created.ID
	var cs caseClocks
	eventually(t, "acknowledged", func() bool {
		s.must(200, "GET", path, agent, nil, &cs)
		return cs.Status == "acknowledged"
	})
	due := cs.clock(t, "resolve").DueAt

	// Waiting for the customer pauses the clock; the answer resumes it.
	s.must(200, "POST", path+"/request-info", agent, map[string]any{"question": "Which account was debited?"}, &cs)
	if r := cs.clock(t, "resolve"); !r.Paused || r.Remaining == "" {
		t.Errorf("resolve clock while waiting: %+v", r)
	}
	s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/info", "", map[string]any{"answer": "The current account."}, nil)
	cs = caseClocks{}
	s.must(200, "GET", path, agent, nil, &cs)
	if r := cs.clock(t, "resolve"); r.Paused || r.DueAt.Before(due) {
		t.Errorf("resolve clock after the answer: %+v (was due %s)", r, due)
	}
	due = cs.clock(t, "resolve").DueAt

	// Extension: asked by one, refused to an agent, granted by a supervisor.
	s.must(422, "POST", path+"/extensions", agent, map[string]any{"clock": "resolve"}, nil)
	s.must(422, "POST", path+"/extensions", agent, map[string]any{"clock": "respond", "reason": "x"}, nil)
	s.must(200, "POST", path+"/extensions", agent, map[string]any{"clock": "resolve", "reason": "we are waiting for the insurer's assessment"}, &cs)
	if p := cs.clock(t, "resolve").Pending; p == nil || p.By != "agent-ann" {
		t.Errorf("pending %+v", p)
	}
	s.must(409, "POST", path+"/extensions", agent, map[string]any{"clock": "resolve", "reason": "again"}, nil)
	s.must(403, "POST", path+"/extensions/decision", bob, map[string]any{"clock": "resolve", "decision": "approve"}, nil)
	cs = caseClocks{}
	s.must(200, "POST", path+"/extensions/decision", sup, map[string]any{"clock": "resolve", "decision": "approve", "comment": "complex"}, &cs)
	r := cs.clock(t, "resolve")
	if len(r.Extensions) != 1 || r.Extensions[0].ApprovedBy != "sup-sue" || r.DueAt.Sub(due) != 15*24*time.Hour || r.Pending != nil {
		t.Errorf("after the extension: %+v (was due %s)", r, due)
	}
	if cs.ResolveDueAt == nil || !cs.ResolveDueAt.Equal(r.DueAt) {
		t.Errorf("case row resolve_due_at %v, clock %s", cs.ResolveDueAt, r.DueAt)
	}
	var tr struct {
		Messages []struct{ Kind, Body string } `json:"messages"`
	}
	eventually(t, "the customer is told the new date", func() bool {
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
		for _, m := range tr.Messages {
			if m.Kind == "deadline_extended" && strings.Contains(m.Body, "insurer's assessment") {
				return true
			}
		}
		return false
	})
}
