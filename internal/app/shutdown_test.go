package app_test

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestGracefulShutdown stops a process (API and worker) while a payment
// is in flight: /readyz answers 503 during the drain while the API still
// serves, and the payment attempt finishes and is recorded instead of
// being cancelled (SHUTDOWN_TIMEOUT bounds the wait).
func TestGracefulShutdown(t *testing.T) {
	s := startStack(t, "SHUTDOWN_DRAIN", "1s", "SHUTDOWN_TIMEOUT", "20s")
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	cancelled := make(chan error, 1)
	gate := func(ctx context.Context) error {
		once.Do(func() { close(entered) })
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			cancelled <- ctx.Err()
			return ctx.Err()
		}
	}
	s.payments.gate.Store(&gate)

	agent, sup := s.token("agent-ann", "agent", "billing"), s.token("sup-sue", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	// A customer of its own: the package's tests share one Temporal
	// namespace, and the same customer and order would attach to another
	// test's open case (a repeat contact) whose worker is gone.
	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": "cust-shutdown", "name": "Li Na", "email": "li.na@example.com"}
	var created struct{ ID string }
	s.must(201, "POST", "/v1/complaints", "", body, &created, "Idempotency-Key", "shutdown-1")
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

	stopped := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.app.Shutdown(ctx)
		close(stopped)
	}()
	eventually(t, "readyz draining", func() bool {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	// Still serving everything else while draining.
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	time.Sleep(1500 * time.Millisecond) // past the drain: the worker is stopping now
	close(release)
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	select {
	case err := <-cancelled:
		t.Fatalf("the payment in flight was cancelled by the shutdown: %v", err)
	default:
	}
	ctx := context.Background()
	db, err := pgx.Connect(ctx, s.app.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM ledger WHERE case_id = $1 AND kind = 'payout'`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("payouts recorded = %d, %v; want the one in flight at shutdown", n, err)
	}
}
