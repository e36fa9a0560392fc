package mail_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/mail/mailtest"
	"github.com/complaint-handling/complaints/internal/store"
)

// fakeChannel answers each delivery with the next error of its script.
type fakeChannel struct {
	script []error
	got    []store.Delivery
}

func (f *fakeChannel) Deliver(_ context.Context, d store.Delivery) error {
	f.got = append(f.got, d)
	err := f.script[0]
	f.script = f.script[1:]
	return err
}

// TestChannelByNameAndFallback: a delivery's channel picks its Channel; a
// temporary error is retried, a permanent one fails the delivery and
// queues the customer's message by email (the fallback), which is sent;
// a channel this worker lacks is retried, never emailed.
func TestChannelByNameAndFallback(t *testing.T) {
	f := newFixture(t, "fallback@example.com")
	ctx := context.Background()
	if _, err := f.st.Pool.Exec(ctx, `UPDATE cases SET customer_phone = '+8613800000001' WHERE id = $1`, f.caseID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetPreferences(ctx, f.caseID, store.Preferences{Channel: "sms", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.QueueDeliveries(ctx, []store.NewDelivery{{Key: f.key, CaseID: f.caseID, Channel: "sms", Address: "+8613800000001"},
		{Key: f.key, CaseID: f.caseID, Channel: "email", Address: "fallback@example.com", MessageID: "<x>"}}); err != nil {
		t.Fatal(err)
	}
	srv := mailtest.Start(t, mailtest.Options{})
	sender, _ := mail.NewSMTP(srv.URL(), false, 5*time.Second, nil)
	d, _ := dispatcher(t, f.st, sender)
	sms := &fakeChannel{script: []error{errors.New("bind lost"), &mail.Failure{Code: 0x0B, Err: errors.New("invalid destination")}}}
	d.Channels = map[string]mail.Channel{"sms": sms}
	d.Fallback = map[string]string{"sms": "email"}
	d.RetryBase = 10 * time.Millisecond
	status := func(channel string) string {
		var st string
		_ = f.st.Pool.QueryRow(ctx, `SELECT COALESCE(max(status), '') FROM deliveries WHERE idem_key = $1 AND channel = $2`, f.key, channel).Scan(&st)
		return st
	}
	if runOnce(t, d) != 1 || status("sms") != "queued" || status("email") != "" {
		t.Fatalf("after a temporary error: sms %q, email %q (the preference is sms: no email queued)", status("sms"), status("email"))
	}
	time.Sleep(50 * time.Millisecond)
	if runOnce(t, d) != 1 || status("sms") != "failed" {
		t.Fatalf("after a permanent error: sms %q", status("sms"))
	}
	if len(sms.got) != 2 || sms.got[1].Attempt != 2 || sms.got[1].Kind != "acknowledgement" || sms.got[1].Address != "+8613800000001" {
		t.Errorf("the channel got %+v", sms.got)
	}
	if runOnce(t, d) != 1 || status("email") != "sent" || len(srv.Messages()) != 1 {
		t.Fatalf("the fallback: email %q, %d mails", status("email"), len(srv.Messages()))
	}
	// A chat delivery is not this dispatcher's: the chat dispatcher
	// (internal/chat) claims it; here it stays queued.
	if _, err := f.st.Pool.Exec(ctx, `INSERT INTO deliveries (idem_key, case_id, channel, address, message_id)
        VALUES ($1, $2, 'chat', 'team:billing', '')`, f.key, f.caseID); err != nil {
		t.Fatal(err)
	}
	if runOnce(t, d) != 0 || status("chat") != "queued" || len(srv.Messages()) != 1 {
		t.Errorf("a chat delivery without its channel: %q, %d mails", status("chat"), len(srv.Messages()))
	}
}
