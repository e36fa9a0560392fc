package app_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"
)

// heldPayment is a case whose approved refund is being paid, the payment
// held at the provider until release is closed. cancelled receives the
// payment's context error if the worker gives it up first.
type heldPayment struct {
	ID, TrackingToken string
	release           chan struct{}
	cancelled         chan error
}

// holdPayment files a complaint for a customer of its own (the package's
// tests share one Temporal namespace, and the same customer and order
// would attach to another test's open case, a repeat contact, whose worker
// is gone), takes it through findings, a refund proposal and an approval,
// and returns once the payment has reached the provider.
func holdPayment(t *testing.T, s *stack, customerID, key string) *heldPayment {
	t.Helper()
	h := &heldPayment{release: make(chan struct{}), cancelled: make(chan error, 1)}
	entered := make(chan struct{})
	var once sync.Once
	gate := func(ctx context.Context) error {
		once.Do(func() { close(entered) })
		select {
		case <-h.release:
			return nil
		case <-ctx.Done():
			h.cancelled <- ctx.Err()
			return ctx.Err()
		}
	}
	s.payments.gate.Store(&gate)

	agent, sup := s.token("agent-ann", "agent", "billing"), s.token("sup-sue", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": customerID, "name": "Li Na", "email": "li.na@example.com"}
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created, "Idempotency-Key", key)
	h.ID, h.TrackingToken = created.ID, created.TrackingToken
	s.must(200, "POST", "/v1/complaints/"+h.ID+"/findings", agent, map[string]any{"cause": "refund.delayed",
		"cause_detail": "refund.delayed.return_not_scanned", "responsibility": "company", "responsible_unit": "returns desk",
		"summary": "The return was received but not scanned."}, nil)
	s.must(200, "POST", "/v1/complaints/"+h.ID+"/proposal", agent, map[string]any{
		"remedies": []map[string]any{{"type": "refund", "amount": 15000, "currency": "CNY"}}, "message": "Refunding 150.00 CNY today."}, nil)
	s.must(200, "POST", "/v1/complaints/"+h.ID+"/approvals", sup, map[string]any{"decision": "approve"}, nil)
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the payment never started")
	}
	return h
}
