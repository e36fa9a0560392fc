package activities_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

func TestRenderFollowsTheCaseLanguage(t *testing.T) {
	m := complaint.Message{Audience: "customer", Kind: "acknowledgement",
		Params: map[string]string{"case_number": "CMP-1", "handler": "ann", "due": "2026-11-30"}}
	zh, err := activities.Render(m, "zh")
	if err != nil || !strings.Contains(zh.Body, "您的投诉已受理") || !strings.Contains(zh.Body, "CMP-1") || zh.Language != "zh" {
		t.Errorf("zh = %+v, %v", zh, err)
	}
	en, err := activities.Render(m, "en")
	if err != nil || !strings.Contains(en.Body, "registered as CMP-1") || strings.Contains(en.Body, "{") {
		t.Errorf("en = %+v, %v", en, err)
	}
	if _, err := activities.Render(complaint.Message{Audience: "customer", Kind: "no-such-kind"}, "en"); err == nil {
		t.Error("rendered an unknown kind")
	}
	staff, _ := activities.Render(complaint.Message{Audience: "staff", RecipientRole: "supervisor", Team: "billing", Kind: "clock_warning",
		Params: map[string]string{"case_number": "CMP-1", "clock": "resolve"}}, "zh")
	// Staff read either language: both, Chinese first.
	if staff.Recipient != "role:supervisor@billing" || !strings.Contains(staff.Body, "处理时限") || !strings.Contains(staff.Body, "resolution clock") {
		t.Errorf("staff = %+v", staff)
	}
}

// TestWebhookNotifier delivers through an HTTP receiver with the
// notification key as Idempotency-Key, and marks the outbox row sent, or
// failed when the receiver errs.
func TestWebhookNotifier(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	id := "21111111-2222-4333-8444-555555555555"
	_, err := st.InsertCase(ctx, store.NewCase{Complaint: complaint.Complaint{CaseID: id, Customer: complaint.Customer{ID: "c"}, Channel: "web",
		Subject: "s", Description: "d", Language: "en", ReceivedAt: time.Now()}, WorkflowID: "w", TokenHash: []byte("h"), Profile: "default",
		Classification: complaint.Classification{Category: "other", Severity: "low", Priority: 4}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var keys []string
	fail := true
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		keys = append(keys, r.Header.Get("Idempotency-Key")+"|"+body["kind"])
		if fail {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer recv.Close()
	n := store.Notification{CaseID: id, Key: id + ":ack", Audience: "customer", Kind: "acknowledgement", Language: "en", Subject: "s", Body: "b"}
	if err := st.QueueNotifications(ctx, []store.Notification{n}); err != nil {
		t.Fatal(err)
	}
	wh := activities.WebhookNotifier{URL: recv.URL, Next: activities.OutboxNotifier{Store: st}}
	status := func() string {
		var s string
		_ = st.Pool.QueryRow(ctx, `SELECT status FROM notifications WHERE idem_key = $1`, n.Key).Scan(&s)
		return s
	}
	if err := wh.Send(ctx, n); err == nil || status() != "failed" {
		t.Errorf("failing receiver: err=%v status=%s", err, status())
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if err := wh.Send(ctx, n); err != nil || status() != "sent" {
		t.Errorf("working receiver: err=%v status=%s", err, status())
	}
	if len(keys) != 2 || keys[1] != n.Key+"|acknowledgement" {
		t.Errorf("receiver saw %v", keys)
	}
}
