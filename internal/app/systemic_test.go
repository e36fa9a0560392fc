package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSystemicSpikeOpensAnIncident injects a spike of complaints about one
// product against the real stack and checks the detector: one incident
// opened with the spike's complaints linked (not older ones), the
// supervisors told once, an update sent to every linked customer once
// (a retried post sends nothing twice), a later matching complaint linked
// and sent the update; one resolution, proposed and approved by two people,
// applied to every case through its own workflow (each paid once); and
// nothing linked after the incident is closed.
func TestSystemicSpikeOpensAnIncident(t *testing.T) {
	s := startStack(t, "SYSTEMIC_INTERVAL", "1s", "SYSTEMIC_MIN_COUNT", "5", "SYSTEMIC_FACTOR", "3",
		"SYSTEMIC_WINDOW", "1h", "SYSTEMIC_BASELINE", "168h", "SYSTEMIC_DIMENSIONS", "product")
	sup := s.token("sup-ivy", "supervisor", "billing")
	agent := s.token("agent-ed", "agent", "billing")
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	file := func(n int, product string, token string, receivedAt *time.Time) string {
		body := map[string]any{
			"customer": map[string]any{"id": fmt.Sprintf("c-%s-%s-%d", run, product, n), "name": "Customer", "email": fmt.Sprintf("c%d@example.com", n)},
			"channel":  "web", "subject": "The " + product + " reads wrong", "description": "Since the upgrade the " + product + " shows twice the usage.",
			"product": product, "language": "en",
		}
		if receivedAt != nil {
			body["received_at"] = receivedAt.Format(time.RFC3339)
		}
		var out struct {
			TrackingToken string `json:"tracking_token"`
		}
		s.must(201, "POST", "/v1/complaints", token, body, &out)
		return out.TrackingToken
	}
	// The usual rate: two complaints about the meter two days ago; and a
	// few about a kettle now, below the minimum.
	old := time.Now().Add(-48 * time.Hour)
	file(100, "smart meter", agent, &old)
	file(101, "smart meter", agent, &old)
	for i := 0; i < 3; i++ {
		file(200+i, "kettle", "", nil)
	}
	// The spike: six customers about the meter now.
	var tracks []string
	for i := 0; i < 6; i++ {
		tracks = append(tracks, file(i, "smart meter", "", nil))
	}

	type incident struct {
		ID        string  `json:"id"`
		Number    string  `json:"number"`
		Dimension string  `json:"dimension"`
		Value     string  `json:"value"`
		Status    string  `json:"status"`
		Recent    int     `json:"recent_count"`
		Expected  float64 `json:"expected"`
		Linked    int     `json:"linked"`
	}
	var list struct {
		Incidents []incident `json:"incidents"`
	}
	eventually(t, "an incident", func() bool {
		s.must(200, "GET", "/v1/incidents?status=open", agent, nil, &list)
		return len(list.Incidents) > 0
	})
	time.Sleep(3 * time.Second) // three more ticks: nothing opens twice
	s.must(200, "GET", "/v1/incidents", agent, nil, &list)
	if len(list.Incidents) != 1 {
		t.Fatalf("incidents = %+v, want one", list.Incidents)
	}
	inc := list.Incidents[0]
	// The detector ticks every second: it may open the incident once the
	// fifth complaint (the minimum) is in, before the sixth; every one of
	// the six is linked either way.
	if inc.Dimension != "product" || inc.Value != "smart meter" || inc.Recent < 5 || inc.Recent > 6 || inc.Linked != 6 || inc.Expected <= 0 || inc.Expected > 0.1 {
		t.Errorf("incident = %+v; want the meter, 5 or 6 recent, 6 linked, a usual rate of 2 a week", inc)
	}
	notices := func(kind string) int {
		var n int
		if err := s.app.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM notifications WHERE kind = $1 AND status = 'sent'`, kind).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := notices("incident_opened"); n != 1 {
		t.Errorf("supervisors told %d times, want once", n)
	}

	// Staff post one update: every linked customer gets it once.
	msg := "We know the smart meter upgrade doubled some readings. Bills will be corrected automatically; you need do nothing."
	msg2 := "The corrected bills go out on Friday."
	s.must(403, "POST", "/v1/incidents/"+inc.ID+"/updates", agent, map[string]any{"message": msg}, nil)
	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	s.must(422, "POST", "/v1/incidents/"+inc.ID+"/updates", sup, map[string]any{"message": " "}, &bad)
	if len(bad.Errors) != 1 || bad.Errors[0].Field != "message" {
		t.Errorf("empty message: %+v", bad)
	}
	// The supervisor sends it from the console.
	b := newBrowser(t, s.base)
	tab := b.tab("supervisor", 1280, 900)
	b.signIn(tab, sup)
	b.run(tab, chromedp.Navigate(b.base+"/console/incidents"), visible(`tr[data-incident="`+inc.Number+`"]`))
	b.shot(tab, "incidents")
	b.run(tab, click(`tr[data-incident="`+inc.Number+`"] a.incident-link`), visible(`#send-update`),
		keys(`[data-incident-action=updates] textarea[name=message]`, msg), click(`#send-update`),
		poll(`document.querySelectorAll('#updates .messages li').length === 1`))
	b.shot(tab, "incident-update-sent")
	if got := b.text(tab, `#updates .messages .body`); got != msg {
		t.Errorf("the incident page shows the update %q", got)
	}
	updatesSeen := func(track, text string) int {
		var tr struct {
			Messages []struct{ Kind, Body string } `json:"messages"`
		}
		s.must(200, "GET", "/v1/track/"+track, "", nil, &tr)
		n := 0
		for _, m := range tr.Messages {
			if m.Kind == "incident_update" && m.Body == text {
				n++
			}
		}
		return n
	}
	eventually(t, "every linked customer told", func() bool {
		for _, tr := range tracks {
			if updatesSeen(tr, msg) != 1 {
				return false
			}
		}
		return true
	})
	// A second update through the API, retried with the same key: sent
	// once to each.
	var posted struct {
		Notified int `json:"notified"`
	}
	s.must(201, "POST", "/v1/incidents/"+inc.ID+"/updates", sup, map[string]any{"message": msg2}, &posted, "Idempotency-Key", "upd-1")
	s.must(201, "POST", "/v1/incidents/"+inc.ID+"/updates", sup, map[string]any{"message": msg2}, &posted, "Idempotency-Key", "upd-1")
	if posted.Notified != 6 {
		t.Errorf("update sent to %d customers, want 6", posted.Notified)
	}
	for i, tr := range tracks {
		if a, b := updatesSeen(tr, msg), updatesSeen(tr, msg2); a != 1 || b != 1 {
			t.Errorf("customer %d sees the updates %d and %d times, want once each", i, a, b)
		}
	}

	// A customer who complains now is linked and told too.
	late := file(6, "smart meter", "", nil)
	eventually(t, "the late complaint told the latest update", func() bool { return updatesSeen(late, msg2) == 1 })
	if n := updatesSeen(late, msg); n != 0 {
		t.Errorf("the late complaint got the superseded update %d times", n)
	}
	var view struct {
		Incident incident `json:"incident"`
		Cases    []struct {
			CaseNumber string `json:"case_number"`
		} `json:"cases"`
		Updates []struct{ Message string } `json:"updates"`
	}
	s.must(200, "GET", "/v1/incidents/"+inc.ID, agent, nil, &view)
	if view.Incident.Linked != 7 || len(view.Cases) != 7 || len(view.Updates) != 2 {
		t.Errorf("incident view: %d linked, %d cases, %d updates; want 7, 7, 2", view.Incident.Linked, len(view.Cases), len(view.Updates))
	}
	if n := notices("incident_update"); n != 13 {
		t.Errorf("%d update messages sent, want 13 (6 + 6 + the late one's 1)", n)
	}

	// One resolution for every linked case: proposed by the supervisor,
	// approved by someone else with the authority (a manager), applied to
	// each case through its own workflow; the incident then closes.
	mgr := s.token("mgr-lu", "manager", "billing")
	s.must(200, "GET", "/v1/me", mgr, nil, nil)
	s.must(422, "POST", "/v1/incidents/"+inc.ID+"/close", sup, map[string]any{}, nil)
	resolution := map[string]any{"cause": "meter.firmware", "cause_detail": "meter.firmware.double_count", "responsibility": "company",
		"responsible_unit": "metering", "summary": "The upgrade counted every reading twice.",
		"remedies": []map[string]any{{"type": "refund", "amount": 5000, "currency": "CNY"}, {"type": "apology"}},
		"message":  "We are refunding 50.00 CNY for the wrong readings, and we apologise."}
	s.must(422, "POST", "/v1/incidents/"+inc.ID+"/resolution", sup, map[string]any{"cause": "meter.firmware",
		"cause_detail": "meter.firmware.x", "responsibility": "customer", "summary": "s", "message": "m"}, &bad)
	if len(bad.Errors) != 1 || bad.Errors[0].Field != "remedies" {
		t.Errorf("a resolution without remedies: %+v", bad)
	}
	s.must(403, "POST", "/v1/incidents/"+inc.ID+"/resolution", agent, resolution, nil)
	s.must(200, "POST", "/v1/incidents/"+inc.ID+"/resolution", sup, resolution, nil)
	s.must(409, "POST", "/v1/incidents/"+inc.ID+"/resolution", sup, resolution, nil)
	s.must(403, "POST", "/v1/incidents/"+inc.ID+"/resolution/decision", sup, map[string]any{"decision": "approve"}, nil) // four eyes
	s.must(422, "POST", "/v1/incidents/"+inc.ID+"/resolution/decision", mgr, map[string]any{"decision": "reject"}, nil)
	var decided struct {
		Resolving int `json:"resolving"`
	}
	s.must(202, "POST", "/v1/incidents/"+inc.ID+"/resolution/decision", mgr, map[string]any{"decision": "approve", "comment": "Go."}, &decided)
	if decided.Resolving != 7 {
		t.Errorf("resolving %d cases, want 7", decided.Resolving)
	}
	var resolved struct {
		Incident struct {
			Status string `json:"status"`
			Result []struct {
				CaseNumber string `json:"case_number"`
				Outcome    string `json:"outcome"`
				Reason     string `json:"reason"`
			} `json:"resolution_result"`
		} `json:"incident"`
	}
	eventually(t, "the incident resolved", func() bool {
		s.must(200, "GET", "/v1/incidents/"+inc.ID, agent, nil, &resolved)
		return resolved.Incident.Status == "closed"
	})
	if len(resolved.Incident.Result) != 7 {
		t.Fatalf("result for %d cases, want 7", len(resolved.Incident.Result))
	}
	for _, r := range resolved.Incident.Result {
		if r.Outcome != "resolved" {
			t.Errorf("case %s: %s (%s)", r.CaseNumber, r.Outcome, r.Reason)
		}
	}
	// Each case goes on by itself: paid once, and its customer is asked.
	var awaiting, payouts int
	var paid int64
	eventually(t, "every case awaiting its customer", func() bool {
		_ = s.app.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM cases WHERE status = 'awaiting_customer'`).Scan(&awaiting)
		return awaiting == 7
	})
	if err := s.app.Store.Pool.QueryRow(t.Context(), `SELECT count(*), COALESCE(sum(amount_minor), 0) FROM ledger`).Scan(&payouts, &paid); err != nil {
		t.Fatal(err)
	}
	if payouts != 7 || paid != 7*5000 {
		t.Errorf("ledger: %d payouts of %d in all, want 7 of 5000", payouts, paid)
	}
	s.must(200, "POST", "/v1/track/"+tracks[0]+"/response", "", map[string]any{"decision": "accept"}, nil)

	// Closed, it links nothing more and takes no updates.
	s.must(409, "POST", "/v1/incidents/"+inc.ID+"/close", sup, map[string]any{"note": "again"}, nil)
	s.must(409, "POST", "/v1/incidents/"+inc.ID+"/updates", sup, map[string]any{"message": "more"}, nil)
	s.must(409, "POST", "/v1/incidents/"+inc.ID+"/resolution", sup, resolution, nil)
	after := file(7, "smart meter", "", nil)
	time.Sleep(3 * time.Second)
	s.must(200, "GET", "/v1/incidents/"+inc.ID, agent, nil, &view)
	if view.Incident.Status != "closed" || view.Incident.Linked != 7 || updatesSeen(after, msg2) != 0 {
		t.Errorf("after closing: %+v", view.Incident)
	}
	s.must(404, "GET", "/v1/incidents/00000000-0000-4000-8000-000000000000", agent, nil, nil)
	b.run(tab, chromedp.Navigate(b.base+"/console/incidents/"+inc.ID), visible(`#resolution-result`))
	b.shot(tab, "incident-resolved")

	// Above the four-eyes threshold one approval of the incident is not
	// enough: each case waits for a second approver in its own inbox.
	for i := 0; i < 5; i++ {
		file(300+i, "water heater", "", nil)
	}
	var heater incident
	eventually(t, "a second incident", func() bool {
		s.must(200, "GET", "/v1/incidents?status=open", agent, nil, &list)
		for _, i := range list.Incidents {
			if i.Value == "water heater" {
				heater = i
			}
		}
		return heater.ID != ""
	})
	director := s.token("dir-wu", "director", "billing")
	s.must(200, "GET", "/v1/me", director, nil, nil)
	big := map[string]any{"cause": "heater.thermostat", "cause_detail": "heater.thermostat.recall", "responsibility": "company",
		"responsible_unit": "product safety", "summary": "A faulty thermostat batch.",
		"remedies": []map[string]any{{"type": "refund", "amount": 6_000_000, "currency": "CNY"}}, "message": "A full refund of 60,000.00 CNY."}
	s.must(200, "POST", "/v1/incidents/"+heater.ID+"/resolution", mgr, big, nil)
	s.must(403, "POST", "/v1/incidents/"+heater.ID+"/resolution/decision", sup, map[string]any{"decision": "approve"}, nil) // beyond a supervisor
	s.must(202, "POST", "/v1/incidents/"+heater.ID+"/resolution/decision", director, map[string]any{"decision": "approve"}, nil)
	eventually(t, "the second incident resolved", func() bool {
		s.must(200, "GET", "/v1/incidents/"+heater.ID, agent, nil, &resolved)
		return resolved.Incident.Status == "closed"
	})
	for _, r := range resolved.Incident.Result {
		if r.Outcome != "awaiting_approval" {
			t.Errorf("case %s: %s (%s), want awaiting_approval", r.CaseNumber, r.Outcome, r.Reason)
		}
	}
	if len(resolved.Incident.Result) != 5 {
		t.Errorf("second incident: %d results, want 5", len(resolved.Incident.Result))
	}
	if err := s.app.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM ledger`).Scan(&payouts); err != nil || payouts != 7 {
		t.Errorf("ledger: %d payouts (%v), want still 7: nothing is paid before the second approval", payouts, err)
	}
}
