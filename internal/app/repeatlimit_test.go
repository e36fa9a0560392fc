package app_test

import (
	"fmt"
	"maps"
	"testing"
)

// TestAnonymousRepeatContactsAreLimited: a stranger who knows a customer's
// id and order reference files the same matter again and again, each time
// with a new Idempotency-Key. The matter takes ten repeat contacts a day
// from anonymous callers, then answers 429 (before, every filing went into
// the case: thousands broke it); a replay of an earlier filing is answered
// as before, and staff recording the customer's call are not limited.
func TestAnonymousRepeatContactsAreLimited(t *testing.T) {
	s := startStack(t)
	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": "email:flood@example.com", "name": "Wang Fang", "email": "flood@example.com"}
	body["order_ref"] = "ORD-FLOOD-1"
	s.must(201, "POST", "/v1/complaints", "", body, nil, "Idempotency-Key", "flood-0")
	for i := 1; i <= 10; i++ {
		s.must(200, "POST", "/v1/complaints", "", body, nil, "Idempotency-Key", fmt.Sprintf("flood-%d", i))
	}
	var problem struct {
		Title string `json:"title"`
	}
	s.must(429, "POST", "/v1/complaints", "", body, &problem, "Idempotency-Key", "flood-11")
	if problem.Title != "too many contacts on this matter today" {
		t.Errorf("refusal %q", problem.Title)
	}
	// A retry of an accepted filing still gets its answer.
	s.must(200, "POST", "/v1/complaints", "", body, nil, "Idempotency-Key", "flood-3")
	// The customer calls; the agent records it.
	agent := s.token("agent-fay", "agent", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	phone := maps.Clone(body)
	phone["channel"] = "phone"
	s.must(200, "POST", "/v1/complaints", agent, phone, nil, "Idempotency-Key", "call-1")
	var n int
	if err := s.app.Store.Pool.QueryRow(t.Context(), `SELECT repeat_count FROM cases WHERE order_ref = 'ORD-FLOOD-1'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 11 {
		t.Errorf("repeat_count %d, want 11 (ten anonymous, one by phone)", n)
	}
}
