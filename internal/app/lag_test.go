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
