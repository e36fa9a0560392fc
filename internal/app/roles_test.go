package app_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/complaint-handling/complaints/internal/auth"
)

// TestRoleMatrix proves who may call what: every staff route for every role,
// and without a token, with an expired one and with a wrong signature.
// Allowed calls aim at a case that does not exist, so they pass the role
// check and answer 404 (or 200 for lists) without changing anything.
func TestRoleMatrix(t *testing.T) {
	s := startStack(t)
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
	for _, role := range auth.Roles {
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
			for _, role := range auth.Roles {
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
	// Public routes need no token, but a bad token is still refused.
	s.must(401, "POST", "/v1/complaints", wrongSig, map[string]any{}, nil)
	s.must(404, "GET", "/v1/track/not-a-token", "", nil, nil)
	s.must(404, "POST", "/v1/surveys/not-a-token", "", map[string]any{"score": 3}, nil)
}
