package app_test

import (
	"context"
	"net/http"
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
	h := holdPayment(t, s, "cust-shutdown", "shutdown-1")

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
	s.must(200, "GET", "/v1/me", s.token("agent-ann", "agent", "billing"), nil, nil)
	time.Sleep(1500 * time.Millisecond) // past the drain: the worker is stopping now
	close(h.release)
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	select {
	case err := <-h.cancelled:
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
	if err := db.QueryRow(ctx, `SELECT count(*) FROM ledger WHERE case_id = $1 AND kind = 'payout'`, h.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("payouts recorded = %d, %v; want the one in flight at shutdown", n, err)
	}
}
