package mail_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/mail/mailtest"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

func TestSubject(t *testing.T) {
	for _, tc := range []struct{ number, in, want string }{
		{"CMP-20261203-000001", "We have received your complaint (CMP-20261203-000001)", "[CMP-20261203-000001] We have received your complaint"},
		{"CMP-20261203-000001", "您的投诉已受理（CMP-20261203-000001）", "[CMP-20261203-000001] 您的投诉已受理"},
		{"CMP-20261203-000001", "请评价我们的处理", "[CMP-20261203-000001] 请评价我们的处理"},
		{"CMP-20261203-000001", "[CMP-20261203-000001] 新分配给您的投诉 / [CMP-20261203-000001] Case assigned to you",
			"[CMP-20261203-000001] 新分配给您的投诉 / Case assigned to you"},
		{"", "How did we do?", "How did we do?"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := mail.Subject(tc.number, tc.in); got != tc.want {
				t.Errorf("Subject = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWindowNext(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day, night := mail.Window{Start: 9 * 60, End: 21 * 60}, mail.Window{Start: 22 * 60, End: 6 * 60}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		w    mail.Window
		t    string
		want string
	}{
		{"03:00 waits for 09:00 the same day", day, "2026-12-04 03:00", "2026-12-04 09:00"},
		{"in the window goes at once", day, "2026-12-04 14:30", "2026-12-04 14:30"},
		{"the window's first minute is in it", day, "2026-12-04 09:00", "2026-12-04 09:00"},
		{"the window's end is out of it", day, "2026-12-04 21:00", "2026-12-05 09:00"},
		{"late evening waits for tomorrow", day, "2026-12-04 23:59", "2026-12-05 09:00"},
		{"a window across midnight: in it after midnight", night, "2026-12-04 03:00", "2026-12-04 03:00"},
		{"a window across midnight: out of it at noon", night, "2026-12-04 12:00", "2026-12-04 22:00"},
		{"the zero window is always open", mail.Window{}, "2026-12-04 03:00", "2026-12-04 03:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The instant is given in UTC: the window is the case zone's.
			if got := tc.w.Next(at(tc.t).UTC(), sh); !got.Equal(at(tc.want)) {
				t.Errorf("Next(%s) = %s, want %s", tc.t, got.In(sh), tc.want)
			}
		})
	}
	if _, err := mail.ParseWindow("21:00-21:00"); err == nil {
		t.Error("an empty window was accepted")
	}
	if w, err := mail.ParseWindow("09:00-21:00"); err != nil || w != day {
		t.Errorf("ParseWindow = %v, %v", w, err)
	}
}

// TestComposeEscapesAndLinks composes a message whose body carries markup
// (text a customer or a staff member wrote, such as a proposal's message
// or a question): the HTML part shows it as text and links only the
// absolute http(s) URLs. An HTML part built by pasting the body in would
// carry the script.
func TestComposeEscapesAndLinks(t *testing.T) {
	body := "We will refund you. <script>alert(1)</script><img src=x onerror=alert(2)>\n" +
		"Rate us: https://complaints.example.com/survey/AbC-12_x\njavascript:alert(3)"
	msg, err := mail.Compose(mail.Message{From: "Complaints <help@example.com>", To: "li.na@example.com",
		MessageID: mail.MessageID("case:survey", "example.com"), ThreadID: mail.MessageID("case:ack", "example.com"),
		CaseNumber: "CMP-20261203-000007", Subject: "How did we do?", Body: body, Language: "en",
		Links: []mail.Link{{Label: "Follow your complaint", URL: "https://complaints.example.com/track/T0k"}}})
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	m, err := mailtest.Parse(raw.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "[CMP-20261203-000007] How did we do?" {
		t.Errorf("subject %q", m.Subject)
	}
	if m.MessageID != mail.MessageID("case:survey", "example.com") || len(m.InReplyTo) != 1 ||
		m.InReplyTo[0] != mail.MessageID("case:ack", "example.com") || len(m.References) != 1 {
		t.Errorf("ids: %q in reply to %q references %q", m.MessageID, m.InReplyTo, m.References)
	}
	for _, bad := range []string{"<script", "<img", `href="javascript`} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("the HTML part carries %q:\n%s", bad, m.HTML)
		}
	}
	for _, want := range []string{"&lt;script&gt;", `<a href="https://complaints.example.com/survey/AbC-12_x">`,
		`<a href="https://complaints.example.com/track/T0k">Follow your complaint</a>`} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the HTML part lacks %q:\n%s", want, m.HTML)
		}
	}
	if !strings.Contains(m.Text, "<script>alert(1)</script>") || !strings.Contains(m.Text, "Follow your complaint: https://complaints.example.com/track/T0k") {
		t.Errorf("text part:\n%s", m.Text)
	}
}

// fixture is a store with one case and a notification to deliver.
type fixture struct {
	st     *store.Store
	caseID string
	key    string
}

func newFixture(t *testing.T, email string) fixture {
	t.Helper()
	st := env.NewStore(t)
	f := fixture{st: st, caseID: uuid(), key: ""}
	f.key = f.caseID + ":ack"
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id, customer_email,
        channel, subject, description, status, received_at, language)
        VALUES ($1::uuid, 'CMP-20261203-'||substr(md5($3), 1, 6), 'wf', decode(md5($3), 'hex'), 'c-1', $2, 'web', 's', 'd', 'acknowledged', now(), 'en')`,
		f.caseID, email, f.caseID); err != nil {
		t.Fatal(err)
	}
	if err := st.QueueNotifications(ctx, []store.Notification{{CaseID: f.caseID, Key: f.key, Audience: "customer", Kind: "acknowledgement",
		Language: "en", Subject: "We have received your complaint", Body: "Thank you."}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (f fixture) queue(t *testing.T, addr string) {
	t.Helper()
	if err := f.st.QueueDeliveries(context.Background(), []store.NewDelivery{{Key: f.key, CaseID: f.caseID, Channel: "email",
		Address: addr, MessageID: mail.MessageID(f.key, "example.com")}}); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) delivery(t *testing.T) (status string, attempts int) {
	t.Helper()
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT status, attempts FROM deliveries WHERE idem_key = $1`, f.key).
		Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	return status, attempts
}

func dispatcher(t *testing.T, st *store.Store, sender mail.Sender) (*mail.Dispatcher, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return &mail.Dispatcher{Store: st, Sender: sender, From: "Complaints <help@example.com>", RetryBase: 200 * time.Millisecond,
		MaxAttempts: 3, SendTimeout: 5 * time.Second, Poll: 50 * time.Millisecond, Metrics: mail.NewMetrics(reg),
		Logger: testenv.Logger(t)}, reg
}

func runOnce(t *testing.T, d *mail.Dispatcher) int {
	t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func count(t *testing.T, reg *prometheus.Registry, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "complaints_messages_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ch, st string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "channel":
					ch = l.GetValue()
				case "status":
					st = l.GetValue()
				}
			}
			if ch == "email" && st == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestDeliveredOnceOverStartTLS sends through a server that offers
// STARTTLS and requires authentication: the message arrives once, over
// TLS, authenticated; queuing it again (a retried activity) and running
// the dispatcher again send nothing more.
func TestDeliveredOnceOverStartTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: true, User: "relay", Password: "s3cret"})
	sender, err := mail.NewSMTP(srv.URL(), true, 5*time.Second, srv.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "li.na@example.com")
	f.queue(t, "li.na@example.com")
	d, reg := dispatcher(t, f.st, sender)
	if n := runOnce(t, d); n != 1 {
		t.Fatalf("attempted %d", n)
	}
	f.queue(t, "li.na@example.com")
	if n := runOnce(t, d); n != 0 {
		t.Errorf("attempted %d after the message was sent", n)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived", len(msgs))
	}
	if !srv.SawTLS() || !srv.SawAuth() {
		t.Errorf("tls %v auth %v", srv.SawTLS(), srv.SawAuth())
	}
	if m := msgs[0]; m.To != "li.na@example.com" || m.MessageID != mail.MessageID(f.key, "example.com") ||
		!strings.HasPrefix(m.Subject, "[CMP-20261203-") || m.Text == "" || m.HTML == "" {
		t.Errorf("message: to %s id %s subject %q", m.To, m.MessageID, m.Subject)
	}
	if s, a := f.delivery(t); s != store.DeliverySent || a != 1 {
		t.Errorf("delivery %s after %d attempts", s, a)
	}
	if c := count(t, reg, "sent"); c != 1 {
		t.Errorf("sent counted %v", c)
	}
}

// TestRequireTLSRefusesAStrippedConnection is the downgrade attack: a
// server (or someone between) that does not offer STARTTLS. With
// SMTP_REQUIRE_TLS nothing is sent in clear; the attempt is a temporary
// failure, retried.
func TestRequireTLSRefusesAStrippedConnection(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSMTP(srv.URL(), true, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "li.na@example.com")
	f.queue(t, "li.na@example.com")
	d, reg := dispatcher(t, f.st, sender)
	runOnce(t, d)
	if n := srv.Attempts(); n != 0 {
		t.Fatalf("%d messages went out over a connection without TLS", n)
	}
	if s, a := f.delivery(t); s != store.DeliveryQueued || a != 1 {
		t.Errorf("delivery %s after %d attempts, want queued for a retry", s, a)
	}
	if c := count(t, reg, "retried"); c != 1 {
		t.Errorf("retried counted %v", c)
	}
}

// TestTemporaryThenPermanent: a 451 is retried after the backoff and the
// retry is accepted; a 550 fails the delivery at once, with its code
// recorded per attempt, and is never tried again.
func TestTemporaryThenPermanent(t *testing.T) {
	t.Run("451 then accepted", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Reply: func(n int, _ mailtest.Message) error {
			if n == 1 {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
			}
			return nil
		}})
		sender, _ := mail.NewSMTP(srv.URL(), false, 5*time.Second, nil)
		f := newFixture(t, "li.na@example.com")
		f.queue(t, "li.na@example.com")
		d, reg := dispatcher(t, f.st, sender)
		runOnce(t, d)
		if s, _ := f.delivery(t); s != store.DeliveryQueued {
			t.Fatalf("after a 451: %s", s)
		}
		if n := runOnce(t, d); n != 0 {
			t.Errorf("retried before the backoff")
		}
		time.Sleep(300 * time.Millisecond)
		runOnce(t, d)
		if s, a := f.delivery(t); s != store.DeliverySent || a != 2 {
			t.Errorf("delivery %s after %d attempts", s, a)
		}
		if len(srv.Messages()) != 1 || count(t, reg, "retried") != 1 || count(t, reg, "sent") != 1 {
			t.Errorf("%d messages, retried %v, sent %v", len(srv.Messages()), count(t, reg, "retried"), count(t, reg, "sent"))
		}
		var codes []int
		rows, _ := f.st.Pool.Query(context.Background(), `SELECT COALESCE(code, 0) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
            WHERE d.idem_key = $1 ORDER BY attempt`, f.key)
		for rows.Next() {
			var c int
			_ = rows.Scan(&c)
			codes = append(codes, c)
		}
		if len(codes) != 2 || codes[0] != 451 || codes[1] != 0 {
			t.Errorf("attempt codes %v", codes)
		}
	})
	t.Run("550", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Reply: func(int, mailtest.Message) error {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		}})
		sender, _ := mail.NewSMTP(srv.URL(), false, 5*time.Second, nil)
		f := newFixture(t, "nobody@example.com")
		f.queue(t, "nobody@example.com")
		d, reg := dispatcher(t, f.st, sender)
		runOnce(t, d)
		time.Sleep(300 * time.Millisecond)
		if n := runOnce(t, d); n != 0 {
			t.Error("a permanent failure was tried again")
		}
		if s, a := f.delivery(t); s != store.DeliveryFailed || a != 1 {
			t.Errorf("delivery %s after %d attempts", s, a)
		}
		if count(t, reg, "failed") != 1 || srv.Attempts() != 1 {
			t.Errorf("failed counted %v, server saw %d", count(t, reg, "failed"), srv.Attempts())
		}
		msgs, err := f.st.CaseMessages(context.Background(), f.caseID)
		if err != nil || len(msgs) != 1 || len(msgs[0].Deliveries) != 2 || msgs[0].Deliveries[1].Status != "failed" ||
			!strings.Contains(msgs[0].Deliveries[1].Error, "550") {
			t.Errorf("case messages %+v, %v", msgs, err)
		}
	})
}

// TestAttemptOfADeadWorkerIsSentOnce: a worker claimed the delivery and
// died before the server accepted the message (no end recorded). After
// the lease another worker sends it, once, with the same Message-ID.
func TestAttemptOfADeadWorkerIsSentOnce(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	sender, _ := mail.NewSMTP(srv.URL(), false, 5*time.Second, nil)
	f := newFixture(t, "li.na@example.com")
	f.queue(t, "li.na@example.com")
	if ds, err := f.st.ClaimDeliveries(context.Background(), 1, 500*time.Millisecond); err != nil || len(ds) != 1 {
		t.Fatalf("claim: %v %v", ds, err)
	}
	d, _ := dispatcher(t, f.st, sender)
	if n := runOnce(t, d); n != 0 {
		t.Fatal("a leased delivery was taken by another worker")
	}
	time.Sleep(700 * time.Millisecond)
	if n := runOnce(t, d); n != 1 {
		t.Fatal("the dead worker's delivery was not taken after its lease")
	}
	runOnce(t, d)
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].MessageID != mail.MessageID(f.key, "example.com") {
		t.Fatalf("messages %d", len(msgs))
	}
	if s, a := f.delivery(t); s != store.DeliverySent || a != 2 {
		t.Errorf("delivery %s after %d attempts", s, a)
	}
	var unfinished int
	_ = f.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
        WHERE d.idem_key = $1 AND finished_at IS NULL`, f.key).Scan(&unfinished)
	if unfinished != 1 {
		t.Errorf("%d attempts without an end, want the dead worker's one", unfinished)
	}
}

// TestIncidentNoticeHasNoCase sends an incident's notice to a supervisor:
// it belongs to no case, and goes all the same.
func TestIncidentNoticeHasNoCase(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	sender, _ := mail.NewSMTP(srv.URL(), false, 5*time.Second, nil)
	st := env.NewStore(t)
	ctx := context.Background()
	key := "incident-opened:" + uuid()
	if _, err := st.Pool.Exec(ctx, `INSERT INTO notifications (idem_key, audience, recipient, kind, language, subject, body)
        VALUES ($1, 'staff', 'role:supervisor@billing', 'incident_opened', 'zh,en', '[INC-20261203-0001] 发现疑似系统性问题', '12 recent complaints')`, key); err != nil {
		t.Fatal(err)
	}
	if err := st.QueueDeliveries(ctx, []store.NewDelivery{{Key: key, Channel: "email", Address: "sue@staff.example",
		MessageID: mail.MessageID(key, "example.com")}}); err != nil {
		t.Fatal(err)
	}
	d, _ := dispatcher(t, st, sender)
	d.Links = func(caseID, audience, _ string) []mail.Link {
		if caseID != "" || audience != "staff" {
			t.Errorf("links asked for case %q, audience %s", caseID, audience)
		}
		return []mail.Link{{Label: "Incidents", URL: "https://complaints.example.com/console/incidents"}}
	}
	runOnce(t, d)
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].Subject != "[INC-20261203-0001] 发现疑似系统性问题" || !strings.Contains(msgs[0].Text, "/console/incidents") {
		t.Fatalf("messages %+v", msgs)
	}
}
