package app_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"
)

// TestActionWhileTheWorkflowCatchesUp: the case row can be ahead of the
// workflow for seconds (a crashed worker's workflow task, redone by another
// after its timeout, had already written the row). Here the row says the
// customer may accept while the workflow is still paying: the workflow
// refuses the accept as in the wrong state, and the API sends it again
// until the payment is done and the accept goes through.
func TestActionWhileTheWorkflowCatchesUp(t *testing.T) {
	s := startStack(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	gate := func(ctx context.Context) error {
		once.Do(func() { close(entered) })
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.payments.gate.Store(&gate)

	agent, sup := s.token("agent-ann", "agent", "billing"), s.token("sup-sue", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": "cust-lag", "name": "Wang Fang", "email": "wang.fang@example.com"}
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created, "Idempotency-Key", "lag-1")
	id := created.ID
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", agent, map[string]any{"cause": "refund.delayed",
		"cause_detail": "refund.delayed.return_not_scanned", "responsibility": "company", "responsible_unit": "returns desk",
		"summary": "The return was received but not scanned."}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", agent, map[string]any{
		"remedies": []map[string]any{{"type": "refund", "amount": 15000, "currency": "CNY"}}, "message": "Refunding 150.00 CNY today."}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/approvals", sup, map[string]any{"decision": "approve"}, nil)
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the payment never started")
	}
	// The row runs ahead of the workflow, as a lost task's local activity
	// leaves it.
	if _, err := s.app.Store.Pool.Exec(context.Background(), `UPDATE cases SET status = 'awaiting_customer' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(1500 * time.Millisecond); close(release) }()
	var out struct {
		Status string `json:"status"`
	}
	s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, &out,
		"Idempotency-Key", "lag-accept")
	if out.Status != "closed" {
		t.Errorf("after the accept the case is %q, want closed", out.Status)
	}
	// The same key again: the earlier result, not a second accept.
	s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, &out,
		"Idempotency-Key", "lag-accept")
}
