package activities_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"github.com/complaint-handling/complaints/complaint"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// TestEmailNotifierQueuesOncePerRecipient queues a case's messages by
// email: the customer's to the case's address, a staff member's to the
// directory's, a role's to every active member of it with an address; a
// timed follow-up at 03:00 in the case calendar's zone waits for the
// window's opening, an acknowledgement does not; a retried activity (the
// same notification again) queues nothing more.
func TestEmailNotifierQueuesOncePerRecipient(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	caseID := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	if _, err := st.Pool.Exec(ctx, `INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id, customer_email,
        channel, subject, description, status, received_at, profile) VALUES ($1::uuid, 'CMP-20261204-'||substr(md5($2), 1, 6), 'wf',
        decode(md5($2), 'hex'), 'c-1', 'li.na@example.com', 'web', 's', 'd', 'acknowledged', now(), 'default')`, caseID, caseID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ id, role, email string }{{"ann", "agent", "ann@staff.example"}, {"sue", "supervisor", "sue@staff.example"},
		{"sam", "supervisor", ""}, {"sid", "supervisor", "sid@staff.example"}} {
		if _, err := st.RegisterStaff(ctx, s.id, s.id, s.role, "billing"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetStaffEmail(ctx, s.id, s.email); err != nil {
			t.Fatal(err)
		}
	}
	inactive := false
	if _, _, err := st.UpdateStaff(ctx, "sid", store.StaffChange{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	// 03:00 in Shanghai (the default profile's cn-mainland calendar).
	now := time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)
	n := activities.EmailNotifier{Store: st, Next: activities.OutboxNotifier{Store: st}, Domain: "complaints.example",
		Window: mail.Window{Start: 9 * 60, End: 21 * 60}, Profiles: complaint.Profiles(), Now: func() time.Time { return now }}
	notes := []store.Notification{
		{CaseID: caseID, Key: caseID + ":ack", Audience: "customer", Kind: "acknowledgement", Language: "zh", Subject: "s", Body: "b"},
		{CaseID: caseID, Key: caseID + ":survey", Audience: "customer", Kind: "survey", Language: "zh", Subject: "s", Body: "b"},
		{CaseID: caseID, Key: caseID + ":assigned", Audience: "staff", Recipient: "ann", Kind: "assigned", Language: "zh,en", Subject: "s", Body: "b"},
		{CaseID: caseID, Key: caseID + ":warn", Audience: "staff", Recipient: "role:supervisor@billing", Kind: "clock_warning", Language: "zh,en", Subject: "s", Body: "b"},
	}
	// An incident's notice to supervisors belongs to no case.
	incident := store.Notification{Key: "incident-opened:" + caseID, Audience: "staff", Recipient: "role:supervisor@billing",
		Kind: "incident_opened", Language: "zh,en", Subject: "s", Body: "b"}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO notifications (idem_key, audience, recipient, kind, language, subject, body)
        VALUES ($1, 'staff', $2, 'incident_opened', 'zh,en', 's', 'b')`, incident.Key, incident.Recipient); err != nil {
		t.Fatal(err)
	}
	if err := n.Send(ctx, incident); err != nil {
		t.Fatalf("an incident's notice: %v", err)
	}
	var incidentTo string
	if err := st.Pool.QueryRow(ctx, `SELECT address FROM deliveries WHERE idem_key = $1 AND case_id IS NULL`, incident.Key).Scan(&incidentTo); err != nil ||
		incidentTo != "sue@staff.example" {
		t.Errorf("the incident's notice went to %q: %v", incidentTo, err)
	}
	if err := st.QueueNotifications(ctx, notes); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, note := range notes {
			if err := n.Send(ctx, note); err != nil {
				t.Fatal(err)
			}
		}
	}
	type row struct {
		key, address, messageID string
		due                     time.Time
	}
	rows, err := st.Pool.Query(ctx, `SELECT idem_key, address, message_id, next_attempt_at FROM deliveries WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.address, &r.messageID, &r.due); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	want := []struct{ key, address string }{{":ack", "li.na@example.com"}, {":survey", "li.na@example.com"},
		{":assigned", "ann@staff.example"}, {":warn", "sue@staff.example"}}
	if len(got) != len(want) {
		t.Fatalf("%d deliveries queued, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].key != caseID+w.key || got[i].address != w.address || got[i].messageID != mail.MessageID(caseID+w.key, "complaints.example") {
			t.Errorf("delivery %d: %+v, want %s to %s", i, got[i], w.key, w.address)
		}
	}
	// The survey waits for 09:00 in Shanghai (01:00 UTC), six hours on;
	// the acknowledgement goes at once.
	if want := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC); !got[1].due.Equal(want) {
		t.Errorf("the survey is due %s, want %s", got[1].due.UTC(), want)
	}
	if got[0].due.After(time.Now().Add(time.Minute)) {
		t.Errorf("the acknowledgement waits until %s", got[0].due)
	}
}
