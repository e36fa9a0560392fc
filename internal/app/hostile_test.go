package app_test

import (
	"context"
	"encoding/json"
	"github.com/complaint-handling/complaints/complaint"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
)

// TestHostilePass replays, against the real stack with the team rule on,
// the attacks a hostile-user pass made on issue #18's fixes; each subtest
// fails without its fix.
func TestHostilePass(t *testing.T) {
	s := startStack(t, "TEAM_ISOLATION", "on")
	ann := s.token("agent-ann", "agent", "billing")
	sue := s.token("sup-sue", "supervisor", "billing")
	dora := s.token("agent-dora", "agent", "delivery")
	del := s.token("sup-del", "supervisor", "delivery")
	aud := s.token("aud-al", "auditor", "")
	for _, tk := range []string{ann, sue, dora, del, aud} {
		s.must(200, "GET", "/v1/me", tk, nil, nil)
	}

	// Anyone could file first as someone else: a customer id in an
	// anonymous body was trusted, and the victim's own filing became a
	// repeat contact on the squatter's case, its link sent to the squatter.
	t.Run("squatting a customer id", func(t *testing.T) {
		body := func(id, name, email string) map[string]any {
			return map[string]any{"customer": map[string]any{"id": id, "name": name, "email": email}, "channel": "web",
				"subject": "Wrong item delivered", "description": "I ordered a blue kettle and got a toaster.", "order_ref": "ORD-SQ-1", "language": "en"}
		}
		var squat, own struct {
			ID            string `json:"id"`
			TrackingToken string `json:"tracking_token"`
		}
		s.must(201, "POST", "/v1/complaints", "", body("email:victim@example.com", "Mallory", "mallory@evil.test"), &squat)
		if code := s.call("POST", "/v1/complaints", "", body("email:victim@example.com", "Chen Jing", "victim@example.com"), &own); code != 201 ||
			own.TrackingToken == "" || own.ID == squat.ID {
			t.Errorf("the victim's own filing: %d, case %s (squatter's %s), token given %v; want a new case of her own with its token",
				code, own.ID, squat.ID, own.TrackingToken != "")
		}
		cs, err := s.app.Store.GetCase(t.Context(), squat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cs.CustomerID != "email:mallory@evil.test" {
			t.Errorf("the squatter's case is filed under %q, want the id of the contact given", cs.CustomerID)
		}
	})

	// Any staff token got an existing case's tracking token by filing for
	// its customer and order.
	victim := s.file("email:zhang.wei@example.com", "ORD-V-1", map[string]any{
		"product": "kettle bought with card 5500 0000 0000 0004", "branch": "SH-01 desk, call 13912345678"})
	t.Run("staff filing for another team's customer", func(t *testing.T) {
		body := map[string]any{}
		for k, v := range complaintBody {
			body[k] = v
		}
		body["customer"] = map[string]any{"id": "email:zhang.wei@example.com", "name": "X", "email": "x@example.com"}
		body["order_ref"], body["subject"], body["channel"] = "ord-v-1 ", "Following up", "phone"
		for _, tc := range []struct {
			who, tok  string
			wantToken bool
		}{{"agent of another team", dora, false}, {"auditor", aud, false}, {"agent of the case's team", ann, true}} {
			var raw json.RawMessage
			s.must(200, "POST", "/v1/complaints", tc.tok, body, &raw)
			var got CreatedAnswer
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if !got.RepeatContact || got.CaseNumber == "" {
				t.Errorf("%s: %s; want a repeat contact on the case", tc.who, raw)
			}
			if (got.TrackingToken != "") != tc.wantToken || (got.ID == victim) != tc.wantToken {
				t.Errorf("%s: answer %s; token and id given %v, want %v", tc.who, raw, got.TrackingToken != "", tc.wantToken)
			}
		}
	})

	// Masked roles saw free text unmasked in report keys.
	s.must(200, "POST", "/v1/complaints/"+victim+"/findings", ann, map[string]any{"cause": "refund.delayed",
		"cause_detail": "refund.delayed.card 4111 1111 1111 1111 of li.na@example.org", "responsibility": "company",
		"responsible_unit": "returns desk", "summary": "late"}, nil)
	t.Run("report keys for masked roles", func(t *testing.T) {
		for _, by := range []string{"cause_detail,channel", "product,channel", "cause_detail"} {
			var raw json.RawMessage
			s.must(200, "GET", "/v1/reports/breakdown?by="+by, aud, nil, &raw)
			for _, secret := range []string{"4111 1111 1111", "li.na@example", "5500 0000 0000"} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("auditor's breakdown by %s shows %q: %.400s", by, secret, raw)
				}
			}
		}
		var raw json.RawMessage
		s.must(200, "GET", "/v1/reports/monthly?level=branch&month="+time.Now().UTC().Format("2006-01"), aud, nil, &raw)
		if strings.Contains(string(raw), "139123456") || !strings.Contains(string(raw), "SH-01 desk") {
			t.Errorf("auditor's monthly report by branch: %.400s; want the branch with its phone number masked", raw)
		}
	})

	// Supervisors saw every team's reports.
	delivery := s.file("email:zhang.wei@example.com", "ORD-D-1", map[string]any{"subject": "Late delivery",
		"description": "My parcel is two weeks late and the courier never came.", "desired_remedy": "deliver it",
		"product": "smart meter"})
	t.Run("reports of another team", func(t *testing.T) {
		var bd struct {
			Groups []struct{ Key map[string]string }
		}
		s.must(200, "GET", "/v1/reports/breakdown?by=team,handler", sue, nil, &bd)
		var mo struct{ Rows []struct{ Unit string } }
		s.must(200, "GET", "/v1/reports/monthly?level=team&month="+time.Now().UTC().Format("2006-01"), sue, nil, &mo)
		var teams []string
		for _, g := range bd.Groups {
			teams = append(teams, g.Key["team"])
		}
		for _, r := range mo.Rows {
			teams = append(teams, r.Unit)
		}
		if len(bd.Groups) == 0 || len(mo.Rows) == 0 {
			t.Errorf("the billing supervisor's reports are empty (%d groups, %d rows)", len(bd.Groups), len(mo.Rows))
		}
		for _, team := range teams {
			if team != "billing" {
				t.Errorf("the billing supervisor sees team %q in the reports (teams %v)", team, teams)
			}
		}
		var all struct {
			Groups []struct{ Key map[string]string }
		}
		s.must(200, "GET", "/v1/reports/breakdown?by=team", aud, nil, &all)
		if len(all.Groups) < 2 {
			t.Errorf("the auditor sees %d teams, want every team", len(all.Groups))
		}
	})

	// Incidents listed linked cases' subjects unmasked and unscoped.
	t.Run("incident's linked cases", func(t *testing.T) {
		s.file("email:zhang.wei@example.com", "ORD-I-1", map[string]any{"product": "smart meter",
			"subject": "Meter wrong, I am li9@example.org, card 4111 1111 1111 1111"})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		now := time.Now().UTC()
		inc, _, err := s.app.Store.OpenIncident(ctx, complaint.Spike{Dimension: "product", Value: "smart meter", Recent: 2, Expected: 0.1},
			now, now.Add(-time.Hour), func(i store.Incident) store.Notification {
				return store.Notification{Key: "incident-opened:" + i.ID, Audience: "staff", Kind: "incident_opened", Recipient: "role:supervisor",
					Language: "en", Subject: "Incident " + i.Number, Body: "An incident was opened."}
			})
		if err != nil {
			t.Fatal(err)
		}
		var iv struct {
			Cases []struct{ ID, Subject string }
		}
		var raw json.RawMessage
		s.must(200, "GET", "/v1/incidents/"+inc.ID, aud, nil, &raw)
		if err := json.Unmarshal(raw, &iv); err != nil {
			t.Fatal(err)
		}
		if len(iv.Cases) != 2 {
			t.Errorf("the auditor sees %d linked cases, want both", len(iv.Cases))
		}
		for _, secret := range []string{"4111 1111 1111", "li9@example"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("the auditor's incident shows %q: %.400s", secret, raw)
			}
		}
		s.must(200, "GET", "/v1/incidents/"+inc.ID, dora, nil, &iv)
		if len(iv.Cases) != 1 || iv.Cases[0].ID != delivery {
			t.Errorf("the delivery agent sees linked cases %+v, want only the delivery case %s", iv.Cases, delivery)
		}
	})
}

// CreatedAnswer is POST /v1/complaints's answer.
type CreatedAnswer struct {
	ID            string `json:"id"`
	CaseNumber    string `json:"case_number"`
	TrackingToken string `json:"tracking_token"`
	RepeatContact bool   `json:"repeat_contact"`
}
