package app_test

import (
	"context"
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
	h := holdPayment(t, s, "cust-lag", "lag-1")
	// The row runs ahead of the workflow, as a lost task's local activity
	// leaves it.
	if _, err := s.app.Store.Pool.Exec(context.Background(), `UPDATE cases SET status = 'awaiting_customer' WHERE id = $1`, h.ID); err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(1500 * time.Millisecond); close(h.release) }()
	var out struct {
		Status string `json:"status"`
	}
	s.must(200, "POST", "/v1/track/"+h.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, &out,
		"Idempotency-Key", "lag-accept")
	if out.Status != "closed" {
		t.Errorf("after the accept the case is %q, want closed", out.Status)
	}
	// The same key again: the earlier result, not a second accept.
	s.must(200, "POST", "/v1/track/"+h.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, &out,
		"Idempotency-Key", "lag-accept")
}

// TestCatchUpEndsWhenTheRowMovesOn: the catch-up above waits on the row
// as it is now, not as it was when the request came in. A customer's
// second click, read while the row still offered the action, finds the
// workflow refusing once the first click moved the case on: it is
// answered 409 as soon as the row moves on too, not sent again until
// TEMPORAL_TIMEOUT and dropped by the server's write timeout (make test's
// bad-input run found three such requests waiting 60 s).
func TestCatchUpEndsWhenTheRowMovesOn(t *testing.T) {
	s := startStack(t, "TEMPORAL_TIMEOUT", "60s")
	h := holdPayment(t, s, "cust-moved-on", "moved-on-1")
	defer close(h.release)
	ctx := context.Background()
	var real string
	if err := s.app.Store.Pool.QueryRow(ctx, `SELECT status FROM cases WHERE id = $1`, h.ID).Scan(&real); err != nil {
		t.Fatal(err)
	}
	// The row offers the accept when the request reads it...
	if _, err := s.app.Store.Pool.Exec(ctx, `UPDATE cases SET status = 'awaiting_customer' WHERE id = $1`, h.ID); err != nil {
		t.Fatal(err)
	}
	// ... and has moved on (here: back to where the workflow is) while the
	// workflow refuses.
	go func() {
		time.Sleep(1500 * time.Millisecond)
		if _, err := s.app.Store.Pool.Exec(ctx, `UPDATE cases SET status = $2 WHERE id = $1`, h.ID, real); err != nil {
			t.Error(err)
		}
	}()
	var problem struct {
		Title string `json:"title"`
	}
	s.must(409, "POST", "/v1/track/"+h.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, &problem)
	if problem.Title != "not allowed in the case's current state" {
		t.Errorf("refusal %q", problem.Title)
	}
}
