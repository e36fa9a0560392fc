package app_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/auth"
)

// TestRoleMatrix proves who may call what: every staff route for every role,
// and without a token, with an expired one and with a wrong signature.
// Allowed calls aim at a case that does not exist, so they pass the role
// check and answer 404 (or 200 for lists) without changing anything.
// Then the team rule: agents and supervisors see their team's cases and
// those assigned to them; another team's case is missing from their list
// and answers 404 to reading and deciding, as a case that does not exist.
func TestRoleMatrix(t *testing.T) {
	s := startStack(t, "TEAM_ISOLATION", "on")
	handlers := []string{"agent", "supervisor", "manager", "director"}
	readers := append(slices.Clone(handlers), "admin", "auditor")
	assigners := append(slices.Clone(handlers), "admin")
	const missing = "/v1/complaints/00000000-0000-4000-8000-000000000000"
	routes := []struct {
		method, path string
		body         any
		allowed      []string
		okStatus     int
	}{
		{"GET", "/v1/me", nil, readers, 200},
		{"GET", "/v1/complaints", nil, readers, 200},
		{"GET", missing, nil, readers, 404},
		{"POST", missing + "/assign", map[string]any{"assignee": "agent-x"}, assigners, 404},
		{"POST", missing + "/transfer", map[string]any{"team": "billing", "reason": "r"}, assigners, 404},
		{"POST", missing + "/notes", map[string]any{"text": "t"}, handlers, 404},
		{"POST", missing + "/request-info", map[string]any{"question": "q"}, handlers, 404},
		{"POST", missing + "/escalate", map[string]any{"reason": "r"}, handlers, 404},
		{"POST", missing + "/classification", map[string]any{"category": "billing", "severity": "low", "reason": "r"}, handlers, 404},
		{"POST", missing + "/findings", map[string]any{"cause": "a.b", "cause_detail": "a.b.c", "responsibility": "customer", "summary": "s"}, handlers, 404},
		{"POST", missing + "/proposal", map[string]any{"message": "m", "refusal_reason": "r"}, handlers, 404},
		{"POST", missing + "/approvals", map[string]any{"decision": "approve"}, handlers, 404},
		{"POST", missing + "/extensions", map[string]any{"clock": "resolve", "reason": "r"}, handlers, 404},
		{"POST", missing + "/extensions/decision", map[string]any{"clock": "resolve", "decision": "approve"}, handlers, 404},
		{"POST", missing + "/fulfilments/p1-r1", map[string]any{"state": "done"}, handlers, 404},
		{"GET", "/v1/remedy-kinds", nil, readers, 200},
		{"GET", "/v1/profiles", nil, readers, 200},
		{"GET", "/v1/reports/breakdown?by=channel", nil, []string{"supervisor", "manager", "director", "admin", "auditor"}, 200},
		{"GET", "/v1/reports/monthly?month=2026-11&level=team", nil, []string{"supervisor", "manager", "director", "admin", "auditor"}, 200},
		{"GET", "/v1/calendars", nil, readers, 200},
		{"GET", "/v1/calendars/gb-eaw", nil, readers, 200},
		{"PUT", "/v1/calendars/nowhere", map[string]any{"time_zone": "Mars/Olympus"}, []string{"admin"}, 422},
		{"GET", "/v1/staff", nil, []string{"supervisor", "manager", "director", "admin"}, 200},
		{"PATCH", "/v1/staff/nobody", map[string]any{"active": true}, []string{"admin"}, 404},
	}
	tokens := map[string]string{}
	for _, role := range complaint.Roles() {
		team := "billing"
		if role == "admin" || role == "auditor" {
			team = ""
		}
		tokens[role] = s.token("matrix-"+role, role, team)
		// The agent-x assignee exists so /assign reaches the workflow call.
		s.must(200, "GET", "/v1/me", tokens[role], nil, nil)
	}
	s.must(200, "GET", "/v1/me", s.token("agent-x", "agent", "billing"), nil, nil)
	expired, _ := auth.Mint([]byte(jwtSecret), "matrix-agent", "agent", "billing", "", time.Minute, time.Now().Add(-time.Hour))
	wrongSig, _ := auth.Mint([]byte("another-secret-another-secret-another"), "matrix-agent", "agent", "billing", "", time.Hour, time.Now())
	noneAlg, _ := jwt.NewWithClaims(jwt.SigningMethodNone, auth.Claims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "eve", Issuer: auth.Issuer, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).SignedString(jwt.UnsafeAllowNoneSignatureType)

	for _, r := range routes {
		name := r.method + " " + strings.Replace(r.path, missing, "/v1/complaints/{id}", 1)
		t.Run(name, func(t *testing.T) {
			for label, tok := range map[string]string{"no token": "", "expired": expired, "wrong signature": wrongSig, "alg none": noneAlg} {
				if got := s.call(r.method, r.path, tok, r.body, new(map[string]any)); got != http.StatusUnauthorized {
					t.Errorf("%s: %d, want 401", label, got)
				}
			}
			for _, role := range complaint.Roles() {
				got := s.call(r.method, r.path, tokens[role], r.body, new(map[string]any))
				want := http.StatusForbidden
				if slices.Contains(r.allowed, role) {
					want = r.okStatus
				}
				if got != want {
					t.Errorf("%s: %d, want %d", role, got, want)
				}
			}
		})
	}
	t.Run("team rule", func(t *testing.T) { teamRule(t, s, tokens) })
	// Public routes need no token, but a bad token is still refused.
	s.must(401, "POST", "/v1/complaints", wrongSig, map[string]any{}, nil)
	s.must(404, "GET", "/v1/track/not-a-token", "", nil, nil)
	s.must(404, "POST", "/v1/surveys/not-a-token", "", map[string]any{"score": 3}, nil)
}

// teamRule files a billing case and a delivery case (handled by the
// delivery team's supervisor) and checks who of the billing matrix staff
// sees and may act on which.
func teamRule(t *testing.T, s *stack, tokens map[string]string) {
	s.must(200, "GET", "/v1/me", s.token("sup-delivery", "supervisor", "delivery"), nil, nil)
	billing := s.file("cust-team-1", "ORD-T-1", nil)
	delivery := s.file("cust-team-2", "ORD-T-2", map[string]any{"subject": "Late delivery",
		"description": "My parcel is two weeks late and the courier never came.", "desired_remedy": "deliver it"})
	var v caseView
	s.must(200, "GET", "/v1/complaints/"+delivery, tokens["manager"], nil, &v)
	if v.Team == nil || *v.Team != "delivery" || v.Assignee == nil || *v.Assignee != "sup-delivery" {
		t.Fatalf("the delivery case is with %s of team %s, want sup-delivery of delivery", deref(v.Assignee), deref(v.Team))
	}
	sameTeamOnly := []string{"agent", "supervisor"}
	for _, role := range complaint.Roles() {
		var list struct{ Complaints []struct{ ID string } }
		s.must(200, "GET", "/v1/complaints?limit=200", tokens[role], nil, &list)
		var ids []string
		for _, c := range list.Complaints {
			ids = append(ids, c.ID)
		}
		limited := slices.Contains(sameTeamOnly, role)
		if !slices.Contains(ids, billing) || slices.Contains(ids, delivery) == limited {
			t.Errorf("%s lists %v; billing case %s, delivery case %s (hidden: %v)", role, ids, billing, delivery, limited)
		}
	}
	other := "/v1/complaints/" + delivery
	for _, tt := range []struct {
		method, path string
		body         any
		want         map[string]int
	}{
		{"GET", other, nil, map[string]int{"agent": 404, "supervisor": 404, "manager": 200, "director": 200, "admin": 200, "auditor": 200}},
		{"POST", other + "/assign", map[string]any{"assignee": "matrix-agent"}, map[string]int{"agent": 404, "supervisor": 404}},
		{"POST", other + "/notes", map[string]any{"text": "looked at it"}, map[string]int{"agent": 404, "supervisor": 404, "manager": 200, "director": 200}},
		{"POST", other + "/escalate", map[string]any{"reason": "r"}, map[string]int{"agent": 404, "supervisor": 404}},
		{"POST", other + "/approvals", map[string]any{"decision": "approve"}, map[string]int{"agent": 404, "supervisor": 404}},
		{"GET", "/v1/complaints/" + billing, nil, map[string]int{"agent": 200, "supervisor": 200, "manager": 200, "auditor": 200}},
	} {
		for role, want := range tt.want {
			if got := s.call(tt.method, tt.path, tokens[role], tt.body, new(map[string]any)); got != want {
				t.Errorf("%s %s %s: %d, want %d", role, tt.method, strings.Replace(tt.path, delivery, "{delivery case}", 1), got, want)
			}
		}
	}
}
