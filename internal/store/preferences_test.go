package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// contactCase inserts a case whose customer gave the email and phone, and
// returns a function queuing a notification of kind to audience with its
// email and SMS deliveries, reporting which channels were queued.
func contactCase(t *testing.T, st *store.Store, id, email, phone string) func(key, audience, kind string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	nc := newCase(id)
	nc.Complaint.Customer = complaint.Customer{ID: "c-" + id, Name: "N", Email: email, Phone: phone}
	nc.Complaint.IdempotencyKey = "k-" + id
	nc.TokenHash = store.HashToken("tok-" + id)
	if _, err := st.InsertCase(ctx, nc); err != nil {
		t.Fatal(err)
	}
	return func(key, audience, kind string) map[string]bool {
		t.Helper()
		key = id + ":" + key
		if err := st.QueueNotifications(ctx, []store.Notification{{CaseID: id, Key: key, Audience: audience, Recipient: "x",
			Kind: kind, Language: "en", Subject: "s", Body: "b"}}); err != nil {
			t.Fatal(err)
		}
		if err := st.QueueDeliveries(ctx, []store.NewDelivery{{Key: key, CaseID: id, Channel: "email", Address: "a@example.com", MessageID: "<m>"},
			{Key: key, CaseID: id, Channel: "sms", Address: "+8613800000001"}}); err != nil {
			t.Fatal(err)
		}
		rows, err := st.Pool.Query(ctx, `SELECT channel FROM deliveries WHERE idem_key = $1`, key)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]bool{}
		for rows.Next() {
			var ch string
			if err := rows.Scan(&ch); err != nil {
				t.Fatal(err)
			}
			got[ch] = true
		}
		return got
	}
}

// TestPreferencesDecideTheQueue: every customer message is queued on the
// chosen channel only, none on "none", no survey after an opt-out; staff
// messages are not the customer's to choose.
func TestPreferencesDecideTheQueue(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	both := "21111111-2222-4333-8444-555555555501"
	queue := contactCase(t, st, both, "both@example.com", "+86 138 0000 0001")
	phoneOnly := contactCase(t, st, "21111111-2222-4333-8444-555555555502", "", "+86 138 0000 0002")
	set := func(p store.Preferences) {
		t.Helper()
		if err := st.SetPreferences(ctx, both, p); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range []struct {
		name     string
		prefs    *store.Preferences
		queue    func(key, audience, kind string) map[string]bool
		audience string
		kind     string
		want     string
	}{
		{"default with an email: email", nil, queue, "customer", "acknowledgement", "email"},
		{"default with a phone only: sms", nil, phoneOnly, "customer", "acknowledgement", "sms"},
		{"sms chosen", &store.Preferences{Channel: "sms", Language: "zh"}, queue, "customer", "resolution", "sms"},
		{"none chosen: the tracking page only", &store.Preferences{Channel: "none", Language: "en"}, queue, "customer", "closed", ""},
		{"survey opt-out stops the survey", &store.Preferences{Channel: "email", Language: "en", SurveyOptOut: true}, queue, "customer", "survey", ""},
		{"and its reminder", nil, queue, "customer", "survey_reminder", ""},
		{"but not other messages", nil, queue, "customer", "info_request", "email"},
		{"staff messages are not the customer's", &store.Preferences{Channel: "none", Language: "en"}, queue, "staff", "assigned", "email sms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prefs != nil {
				set(*tc.prefs)
			}
			got := tc.queue(fmt.Sprintf("n%d", i), tc.audience, tc.kind)
			want := map[string]bool{}
			for _, ch := range []string{"email", "sms"} {
				if tc.want == ch || tc.want == "email sms" {
					want[ch] = true
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("queued %v, want %v", got, want)
			}
		})
	}
	c, err := st.CaseContacts(ctx, both)
	if err != nil || !c.Preferences.Chosen || c.Preferences.Channel != "none" {
		t.Errorf("CaseContacts = %+v, %v", c, err)
	}
	if err := st.SetPreferences(ctx, both, store.Preferences{Channel: "fax", Language: "en"}); err == nil {
		t.Error("a channel that does not exist was stored")
	}
}

// TestReceiptsAndFallback: receipts set delivered or bounced (also when
// they come before the attempt's end is recorded), a failure is never
// undone by a later receipt, and a permanent failure's fallback is queued
// once, only where the preferences allow it.
func TestReceiptsAndFallback(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	id := "21111111-2222-4333-8444-555555555511"
	queue := contactCase(t, st, id, "", "+8613800000011")
	sent := func(key string, early string) (int64, string) {
		t.Helper()
		if got := queue(key, "customer", "acknowledgement"); !got["sms"] {
			t.Fatalf("no sms queued: %v", got)
		}
		ds, err := st.ClaimDeliveries(ctx, 10, time.Minute)
		if err != nil || len(ds) != 1 {
			t.Fatalf("claimed %d, %v", len(ds), err)
		}
		if err := st.SetProviderIDs(ctx, ds[0].ID, ds[0].Attempt, []string{key + "-1", key + "-2"}); err != nil {
			t.Fatal(err)
		}
		if early != "" {
			if _, err := st.RecordReceipt(ctx, "sms", key+"-2", early); err != nil {
				t.Fatal(err)
			}
		}
		status, err := st.FinishAttempt(ctx, ds[0].ID, ds[0].Attempt, store.AttemptResult{Result: "sent"})
		if err != nil {
			t.Fatal(err)
		}
		return ds[0].ID, status
	}

	if _, status := sent("early", "DELIVRD"); status != "delivered" {
		t.Errorf("a receipt before the attempt's end: %s, want delivered", status)
	}
	id2, status := sent("late", "")
	if status != "sent" {
		t.Fatalf("status %s", status)
	}
	for _, step := range []struct {
		id, stat, want string
		changed        bool
	}{
		{"late-1", "ENROUTE", "sent", false},
		{"late-1", "DELIVRD", "delivered", true},
		{"late-2", "UNDELIV", "bounced", true},
		{"late-2", "DELIVRD", "bounced", false},
	} {
		r, err := st.RecordReceipt(ctx, "sms", step.id, step.stat)
		if err != nil && !(step.stat == "DELIVRD" && errors.Is(err, store.ErrNotFound)) {
			t.Fatal(err)
		}
		var got string
		_ = st.Pool.QueryRow(ctx, `SELECT status FROM deliveries WHERE id = $1`, id2).Scan(&got)
		if got != step.want || r.Changed != step.changed {
			t.Errorf("after %s %s: %s (changed %v), want %s (%v)", step.id, step.stat, got, r.Changed, step.want, step.changed)
		}
	}
	if _, err := st.RecordReceipt(ctx, "sms", "nobody", "DELIVRD"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown id: %v", err)
	}
	// No email on file: no fallback.
	if ok, err := st.QueueFallback(ctx, id2, "email", "<m>"); err != nil || ok {
		t.Errorf("fallback without an address: %v, %v", ok, err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE cases SET customer_email = 'fb@example.com' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if ok, err := st.QueueFallback(ctx, id2, "email", "<m>"); err != nil || ok != want {
			t.Errorf("fallback #%d: %v, %v; want %v", i+1, ok, err, want)
		}
	}
	var from int64
	if err := st.Pool.QueryRow(ctx, `SELECT fallback_of FROM deliveries WHERE channel = 'email' AND case_id = $1`, id).Scan(&from); err != nil || from != id2 {
		t.Errorf("the fallback records %d, %v; want %d", from, err, id2)
	}
	// A message queued by email before the customer chose none falls back
	// nowhere.
	other := "21111111-2222-4333-8444-555555555512"
	if got := contactCase(t, st, other, "o@example.com", "+8613800000012")("ack", "customer", "acknowledgement"); !got["email"] {
		t.Fatalf("queued %v", got)
	}
	var emailID int64
	if err := st.Pool.QueryRow(ctx, `SELECT id FROM deliveries WHERE case_id = $1`, other).Scan(&emailID); err != nil {
		t.Fatal(err)
	}
	if err := st.SetPreferences(ctx, other, store.Preferences{Channel: "none", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.QueueFallback(ctx, emailID, "sms", ""); err != nil || ok {
		t.Errorf("a fallback for a customer who chose none: %v, %v", ok, err)
	}
}
