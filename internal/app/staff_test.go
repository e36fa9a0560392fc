package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/auth"
)

// caseView is the part of a case view these tests read.
type caseView struct {
	ID         string  `json:"id"`
	CaseNumber string  `json:"case_number"`
	CustomerID string  `json:"customer_id"`
	Assignee   *string `json:"assignee"`
	Team       *string `json:"team"`
	Live       bool    `json:"live"`
	Timeline   []struct {
		Type    string          `json:"type"`
		Actor   string          `json:"actor"`
		Payload json.RawMessage `json:"payload"`
	} `json:"timeline"`
}

// file files a complaint (complaintBody with the given customer, order
// and changes) and waits until it is acknowledged, so its handler is
// chosen; it returns the case id.
func (s *stack) file(customer, order string, changes map[string]any) string {
	s.t.Helper()
	body := map[string]any{}
	for k, v := range complaintBody {
		body[k] = v
	}
	body["customer"] = map[string]any{"id": customer, "name": "Zhang Wei", "phone": "+86 139 1234 5678", "email": "zhang.wei@example.com"}
	body["order_ref"] = order
	for k, v := range changes {
		body[k] = v
	}
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created)
	eventually(s.t, "acknowledged", func() bool {
		var tr struct{ Status string }
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
		return tr.Status == complaint.StatusAcknowledged
	})
	return created.ID
}

func deref(s *string) string {
	if s == nil {
		return "(nobody)"
	}
	return *s
}

// signed mints a token with the test secret and any claims.
func signed(t *testing.T, c auth.Claims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestStaffDirectoryTokensAndHandOver runs with JWT_AUDIENCE set and
// without STAFF_AUTO_CONFIRM, as in production: tokens for another
// audience, from the future or with forged claims are refused with 401;
// an admin's change of role and team sticks while the member's old token
// is still valid, and a deactivated member's valid token is refused; a
// member known only from a token is given no case until an admin confirms
// them; deactivating an agent hands both their open cases to the team's
// other agent through the workflows, audited, rows and workflows agreeing.
func TestStaffDirectoryTokensAndHandOver(t *testing.T) {
	s := startStack(t, "JWT_AUDIENCE", "complaints-api", "STAFF_AUTO_CONFIRM", "off", "TEAM_ISOLATION", "on")
	now := time.Now()
	mint := func(sub, role, team string, edit func(*auth.Claims)) string {
		c := auth.Claims{Role: role, Team: team, RegisteredClaims: jwt.RegisteredClaims{Subject: sub, Issuer: auth.Issuer,
			Audience: jwt.ClaimStrings{"complaints-api"}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}
		if edit != nil {
			edit(&c)
		}
		return signed(t, c)
	}
	admin := mint("ada", "admin", "", nil)
	s.must(200, "GET", "/v1/me", admin, nil, nil)

	t.Run("tokens", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			tok  string
		}{
			{"minted without aud", s.token("eve", "manager", "billing")},
			{"another audience", mint("eve", "manager", "billing", func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"payments"} })},
			{"issued in an hour", mint("eve", "manager", "billing", func(c *auth.Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) })},
			{"not before tomorrow", mint("eve", "manager", "billing", func(c *auth.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(24 * time.Hour)) })},
			{"NUL in sub", mint("eve\x00ada", "manager", "billing", nil)},
			{"newline in sub", mint("eve\nlevel=ERROR", "manager", "billing", nil)},
			{"escape in team", mint("eve", "manager", "billing\x1b[2J", nil)},
			{"sub of 4 kB", mint(strings.Repeat("e", 4096), "manager", "billing", nil)},
			{"name of 20 kB", mint("eve", "manager", "billing", func(c *auth.Claims) { c.Name = strings.Repeat("n", 20000) })},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := s.call("GET", "/v1/me", tt.tok, nil, new(map[string]any)); got != http.StatusUnauthorized {
					t.Errorf("GET /v1/me = %d, want 401", got)
				}
			})
		}
		var staff struct{ Staff []struct{ ID string } }
		s.must(200, "GET", "/v1/staff", admin, nil, &staff)
		for _, m := range staff.Staff {
			if strings.HasPrefix(m.ID, "eve") {
				t.Errorf("a refused token registered %q", m.ID)
			}
		}
	})

	t.Run("the directory holds role and team", func(t *testing.T) {
		bo := mint("bo", "agent", "billing", nil)
		var me struct {
			Role, Team string
			Confirmed  bool
		}
		s.must(200, "GET", "/v1/me", bo, nil, &me)
		if me.Role != "agent" || me.Team != "billing" || me.Confirmed {
			t.Fatalf("first sight: %+v, want an unconfirmed billing agent", me)
		}
		s.must(200, "PATCH", "/v1/staff/bo", admin, map[string]any{"role": "supervisor", "team": "quality"}, nil)
		for range 2 {
			s.must(200, "GET", "/v1/me", bo, nil, &me)
			if me.Role != "supervisor" || me.Team != "quality" {
				t.Fatalf("after the admin's change the old token made bo %+v", me)
			}
		}
		// The directory's role, not the token's, opens the staff list.
		s.must(200, "GET", "/v1/staff", bo, nil, nil)
		s.must(200, "PATCH", "/v1/staff/bo", admin, map[string]any{"active": false}, nil)
		s.must(403, "GET", "/v1/me", bo, nil, nil)
		s.must(403, "GET", "/v1/complaints", bo, nil, nil)
	})

	a1 := mint("ho-a1", "agent", "billing", nil)
	a2 := mint("ho-a2", "agent", "billing", nil)
	s.must(200, "GET", "/v1/me", a1, nil, nil)
	view := func(id string) caseView {
		var v caseView
		s.must(200, "GET", "/v1/complaints/"+id, admin, nil, &v)
		return v
	}

	t.Run("unconfirmed members take no case", func(t *testing.T) {
		id := s.file("cust-unconfirmed", "ORD-U-1", nil)
		if v := view(id); v.Assignee != nil {
			t.Fatalf("case given to %q, a member known only from a token", *v.Assignee)
		}
		var st struct{ Confirmed bool }
		s.must(200, "PATCH", "/v1/staff/ho-a1", admin, map[string]any{"confirmed": true}, &st)
		if !st.Confirmed {
			t.Fatal("the admin's confirmation did not stick")
		}
	})

	t.Run("deactivation hands open cases over", func(t *testing.T) {
		ids := []string{s.file("cust-ho-1", "ORD-HO-1", nil), s.file("cust-ho-2", "ORD-HO-2", nil)}
		for _, id := range ids {
			if v := view(id); v.Assignee == nil || *v.Assignee != "ho-a1" {
				t.Fatalf("case %s assigned to %s, want ho-a1", id, deref(v.Assignee))
			}
		}
		s.must(200, "GET", "/v1/me", a2, nil, nil)
		s.must(200, "PATCH", "/v1/staff/ho-a2", admin, map[string]any{"confirmed": true}, nil)
		var res struct {
			Active     bool
			HandedOver []struct {
				CaseID  string `json:"case_id"`
				To      string `json:"to"`
				Problem string `json:"problem"`
			} `json:"handed_over"`
		}
		s.must(200, "PATCH", "/v1/staff/ho-a1", admin, map[string]any{"active": false}, &res)
		if res.Active || len(res.HandedOver) != 2 {
			t.Fatalf("deactivation answered %+v, want two cases handed over", res)
		}
		for _, h := range res.HandedOver {
			if h.To != "ho-a2" || !slices.Contains(ids, h.CaseID) {
				t.Errorf("hand-over %+v, want each case to ho-a2", h)
			}
		}
		for _, id := range ids {
			v := view(id)
			if !v.Live || v.Assignee == nil || *v.Assignee != "ho-a2" {
				t.Errorf("case %s: workflow says assignee %s (live %v), want ho-a2", id, deref(v.Assignee), v.Live)
			}
			var audited bool
			for _, e := range v.Timeline {
				var p struct{ From, To, Reason string }
				_ = json.Unmarshal(e.Payload, &p)
				if e.Type == "transferred" && e.Actor == "ada" && p.From == "ho-a1" && p.To == "ho-a2" && strings.Contains(p.Reason, "ho-a1 was deactivated") {
					audited = true
				}
			}
			if !audited {
				t.Errorf("case %s: no transfer event naming the deactivation: %+v", id, v.Timeline)
			}
		}
		// The rows agree with the workflows.
		var list struct{ Complaints []struct{ ID string } }
		s.must(200, "GET", "/v1/complaints?assignee=ho-a2&open=true", admin, nil, &list)
		if len(list.Complaints) != 2 {
			t.Errorf("rows assigned to ho-a2: %+v, want both cases", list.Complaints)
		}
		s.must(200, "GET", "/v1/complaints?assignee=ho-a1&open=true", admin, nil, &list)
		if len(list.Complaints) != 0 {
			t.Errorf("rows still assigned to the deactivated ho-a1: %+v", list.Complaints)
		}
		s.must(403, "GET", "/v1/me", a1, nil, nil)
	})
}

// TestPersonalDataMasking files a case whose texts carry a bank card, a
// resident id, a phone number and an email, adds a note and findings that
// carry more, and reads the case view and the list as every role: case
// handlers see the case in full, admins, auditors and engineers see none of it, and
// the list shows nobody any of it. An auditor's search for a card number
// finds nothing; a handler's finds the case.
func TestPersonalDataMasking(t *testing.T) {
	s := startStack(t, "TEAM_ISOLATION", "on")
	tokens := map[string]string{}
	for _, role := range auth.Roles() {
		team := "billing"
		if role == "admin" || role == "auditor" || role == "engineer" {
			team = ""
		}
		tokens[role] = s.token("mask-"+role, role, team)
		s.must(200, "GET", "/v1/me", tokens[role], nil, nil)
	}
	id := s.file("email:li.na@example.org", "ORD-M-1", map[string]any{
		"subject":     "Refund to card 4111 1111 1111 1111 missing",
		"description": "Please refund to 4111-1111-1111-1111. My ID is 11010519491231002X, call 13800138000 or write to li.na@example.org.",
	})
	s.must(200, "POST", "/v1/complaints/"+id+"/notes", tokens["agent"], map[string]any{"text": "Customer now asks to use card 5500 0000 0000 0004, phone +86 139 0013 9000"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", tokens["agent"], map[string]any{"cause": "refund.delayed",
		"cause_detail": "refund.delayed.return_not_scanned", "responsibility": "company", "responsible_unit": "returns desk", "responsible_person": "Wang Fang",
		"summary": "Refund for resident 11010519491231002X was never sent to 4111111111111111."}, nil)
	secrets := []string{"4111 1111 1111", "4111-1111-1111", "411111111111", "11010519491231", "13800138", "li.na@example", "Zhang Wei",
		"139 1234 56", "zhang.wei@example", "5500 0000 0000", "139 0013 90", "Wang Fang"}

	for _, role := range auth.Roles() {
		t.Run(role, func(t *testing.T) {
			var raw json.RawMessage
			s.must(200, "GET", "/v1/complaints/"+id, tokens[role], nil, &raw)
			var shown []string
			for _, sec := range secrets {
				if strings.Contains(string(raw), sec) {
					shown = append(shown, sec)
				}
			}
			if role == "admin" || role == "auditor" || role == "engineer" {
				if len(shown) > 0 {
					t.Errorf("the case view shows %s %q", role, shown)
				}
			} else if len(shown) != len(secrets) {
				t.Errorf("the case view hides from the handler %s what they need: shows only %q", role, shown)
			}
			var v caseView
			if err := json.Unmarshal(raw, &v); err != nil || len(v.Timeline) < 3 {
				t.Errorf("timeline missing (%v): %s", err, raw)
			}
			s.must(200, "GET", "/v1/complaints", tokens[role], nil, &raw)
			for _, sec := range secrets {
				if strings.Contains(string(raw), sec) {
					t.Errorf("the list shows %s %q", role, sec)
				}
			}
			var list struct{ Complaints []struct{ ID string } }
			s.must(200, "GET", "/v1/complaints?q=4111", tokens[role], nil, &list)
			found := len(list.Complaints) == 1 && list.Complaints[0].ID == id
			if sees := role != "admin" && role != "auditor" && role != "engineer"; found != sees {
				t.Errorf("search for a card number as %s found the case: %v, want %v", role, found, sees)
			}
		})
	}
	// Masked readers still find a case by its number.
	var v caseView
	s.must(200, "GET", "/v1/complaints/"+id, tokens["auditor"], nil, &v)
	var list struct{ Complaints []struct{ ID string } }
	s.must(200, "GET", "/v1/complaints?q="+v.CaseNumber, tokens["auditor"], nil, &list)
	if len(list.Complaints) != 1 {
		t.Errorf("auditor's search by case number found %d cases", len(list.Complaints))
	}
	if !strings.HasPrefix(v.CustomerID, "email:") || strings.Contains(v.CustomerID, "li.na") {
		t.Errorf("auditor sees customer_id %q, want its kind and a masked value", v.CustomerID)
	}
}
