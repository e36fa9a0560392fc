package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	wf "github.com/complaint-handling/complaints/workflows"
)

// TestRepeatContactFloodKeepsTheCaseBounded plays a stranger who knows a
// customer's id and order reference and files the same matter again and
// again, each time with a new Idempotency-Key and a long subject. Before
// VersionBoundedContacts every filing stayed in the workflow's state and
// sent the handler a message: about 2,500 of them broke the case (its
// state past Temporal's limits, every later decision refused). Now the
// case keeps the latest 20 contacts and 100 keys, counts them all, writes
// each to the audit trail, and tells the handler once an hour.
func TestRepeatContactFloodKeepsTheCaseBounded(t *testing.T) {
	h := newHarness(t, nil)
	h.in.IdempotencyKey = "the-filing"
	const n = 150
	for i := range n {
		c := h.in
		c.CaseID = fmt.Sprintf("6f1c0a52-0000-4000-8000-%012d", 500+i)
		c.IdempotencyKey = fmt.Sprintf("flood-%d", i)
		c.Subject = strings.Repeat("x", 200)
		c.Anonymous = true
		// 150 filings over 2.5 hours: three clock hours.
		h.at(time.Hour+time.Duration(i)*time.Minute, wf.UpdateIntake, c, "")
	}
	// The first filing's own request, sent again after the flood, is still
	// the filing, not a repeat contact.
	h.at(4*hr, wf.UpdateIntake, h.in, "")
	h.at(5*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
	st := h.run()
	if len(st.RepeatContacts) != 20 || st.RepeatCount != n {
		t.Errorf("kept %d repeat contacts, counted %d; want the latest 20 and %d", len(st.RepeatContacts), st.RepeatCount, n)
	}
	if last := st.RepeatContacts[len(st.RepeatContacts)-1]; !last.At.Equal(st.RepeatContacts[0].At.Add(19 * time.Minute)) {
		t.Errorf("kept contacts from %s to %s, want the latest 20, a minute apart", st.RepeatContacts[0].At, last.At)
	}
	if len(st.IdempotencyKeys) != 100 || st.IdempotencyKeys[0] != h.in.IdempotencyKey || st.IdempotencyKeys[99] != fmt.Sprintf("flood-%d", n-1) {
		t.Errorf("kept %d intake keys (first %q, last %q); want 100, the filing's own first", len(st.IdempotencyKeys), st.IdempotencyKeys[0], st.IdempotencyKeys[len(st.IdempotencyKeys)-1])
	}
	var repeats, events int
	_ = h.st.Pool.QueryRow(context.Background(), `SELECT repeat_count, (SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'repeat_contact')
        FROM cases WHERE id = $1`, h.in.CaseID).Scan(&repeats, &events)
	if repeats != n || events != n {
		t.Errorf("row repeat_count %d, audit events %d; want %d each", repeats, events, n)
	}
	var staffMsgs int
	for _, k := range h.notificationKinds("staff") {
		if k == "repeat_contact" {
			staffMsgs++
		}
	}
	if staffMsgs < 3 || staffMsgs > 4 {
		t.Errorf("%d repeat-contact messages to the handler, want one per clock hour the flood touched (3 or 4)", staffMsgs)
	}
}
