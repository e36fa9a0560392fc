package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
)

// TestInboundMails keeps a mail once per dedupe key; hands a due mail to
// one claimant at a time, again after its lease or its retry time, and
// never once processed; finds a case by the Message-IDs sent or received
// on it and by its number; and marks a delivery bounced once.
func TestInboundMails(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	id := "11111111-2222-4333-8444-5555555555a1"
	number, err := st.InsertCase(ctx, newCase(id))
	if err != nil {
		t.Fatal(err)
	}
	m := store.InboundMail{DedupeKey: "mid:a@x", MessageID: "a@x", MailFrom: "ann@example.com", RcptTo: []string{"help@example.com"}, Raw: []byte("raw")}
	for i, want := range []bool{true, false} {
		if isNew, err := st.RecordInboundMail(ctx, m); err != nil || isNew != want {
			t.Fatalf("record #%d: new %v, %v; want %v", i+1, isNew, err, want)
		}
	}
	claim := func(lease time.Duration) []store.InboundMail {
		t.Helper()
		ms, err := st.ClaimInboundMails(ctx, 10, lease)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	got := claim(time.Hour)
	if len(got) != 1 || string(got[0].Raw) != "raw" || got[0].Attempts != 1 || got[0].RcptTo[0] != "help@example.com" {
		t.Fatalf("claimed %+v", got)
	}
	if again := claim(time.Hour); len(again) != 0 {
		t.Errorf("claimed again under the lease: %+v", again)
	}
	if err := st.RetryInboundMail(ctx, got[0].ID, "temporal down", time.Now().Add(-time.Second), false); err != nil {
		t.Fatal(err)
	}
	if got = claim(time.Millisecond); len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after the retry time: %+v", got)
	}
	time.Sleep(10 * time.Millisecond)
	if got = claim(time.Hour); len(got) != 1 || got[0].Attempts != 3 {
		t.Fatalf("after the lease ran out: %+v", got)
	}
	if err := st.FinishInboundMail(ctx, got[0].ID, store.InboundResult{Outcome: "opened", CaseID: id,
		From: "ann@example.com", Subject: "s", Body: "my own words"}); err != nil {
		t.Fatal(err)
	}
	if again := claim(time.Millisecond); len(again) != 0 {
		t.Errorf("claimed once processed: %+v", again)
	}
	if s, err := st.InboundMailByMessageID(ctx, "a@x"); err != nil || s.Status != store.InboundProcessed || s.CaseID != id || s.Outcome != "opened" ||
		s.Body != "my own words" {
		t.Errorf("state %+v, %v", s, err)
	}

	if _, err := st.Pool.Exec(ctx, `INSERT INTO notifications (case_id, idem_key, audience, recipient, kind, language, subject, body)
        VALUES ($1, 'ack-1', 'customer', '', 'acknowledgement', 'en', 's', 'b')`, id); err != nil {
		t.Fatal(err)
	}
	// Inserted directly: QueueDeliveries would (rightly) skip an email to
	// this test case, which has no customer address on file.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO deliveries (idem_key, case_id, channel, address, message_id)
        VALUES ('ack-1', $1, 'email', 'ann@example.com', 'cmp.1@example.com')`, id); err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]string{{"cmp.1@example.com"}, {"unknown@x", "a@x"}} {
		if c, err := st.CaseForMessageIDs(ctx, ids); err != nil || c != id {
			t.Errorf("CaseForMessageIDs(%q) = %q, %v", ids, c, err)
		}
	}
	if _, err := st.CaseForMessageIDs(ctx, []string{"unknown@x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if c, err := st.GetCaseByNumber(ctx, number); err != nil || c.ID != id {
		t.Errorf("GetCaseByNumber(%s) = %s, %v", number, c.ID, err)
	}
	for i, want := range []int{1, 0} {
		if ids, err := st.MarkDeliveriesBounced(ctx, []string{"cmp.1@example.com"}, "bounced"); err != nil || len(ids) != want {
			t.Errorf("bounce #%d: %v, %v; want %d", i+1, ids, err, want)
		}
	}
}
