package app_test

import (
	"context"
	"github.com/complaint-handling/complaints/complaint"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/mail/mailtest"
	"github.com/complaint-handling/complaints/internal/testenv"
)

const mailFrom = "Complaints <help@complaints.example>"

// mailStack is the real stack sending email to srv, with every message
// due at once (no send window) and quick retries.
func mailStack(t *testing.T, srv *mailtest.Server, profiles map[string]complaint.Clocks, overrides ...string) *stack {
	t.Helper()
	return startStackWith(t, profiles, append([]string{"SMTP_URL", srv.URL(), "MAIL_FROM", mailFrom, "SEND_WINDOW", "off",
		"MAIL_POLL", "100ms", "MAIL_RETRY_BASE", "300ms"}, overrides...)...)
}

type caseMessage struct {
	Kind       string `json:"kind"`
	Audience   string `json:"audience"`
	Deliveries []struct {
		Channel  string `json:"channel"`
		Status   string `json:"status"`
		Attempts int    `json:"attempts"`
		Error    string `json:"error"`
	} `json:"deliveries"`
}

// channelStatus is the status of a kind's message on a channel in the
// case view ("" when it has none).
func channelStatus(msgs []caseMessage, kind, channel string) (string, int, string) {
	for _, m := range msgs {
		if m.Kind != kind {
			continue
		}
		for _, d := range m.Deliveries {
			if d.Channel == channel {
				return d.Status, d.Attempts, d.Error
			}
		}
	}
	return "", 0, ""
}

// TestEmailThroughTheStack files a complaint on the web in Chinese and
// takes it to its survey: the customer receives the acknowledgement with
// the case number and the absolute tracking link, the handler the
// assignment at the address the directory holds, and the customer the
// survey invitation and its reminder, each with the survey link, threaded
// under the acknowledgement; the case view shows each message's channels.
func TestEmailThroughTheStack(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	profiles := shortClocks()
	for k, c := range profiles {
		c.SurveyReminder, c.SurveyExpiry = 3*time.Second, time.Minute
		profiles[k] = c
	}
	s := mailStack(t, srv, profiles)
	agent, agent2 := s.token("mail-ann", "agent", "billing"), s.token("mail-bob", "agent", "billing")
	admin := s.token("mail-ada", "admin", "")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", admin, nil, nil)
	// A bad address is refused naming the field; a good one is kept.
	var prob struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if code := s.call("PATCH", "/v1/staff/mail-ann", admin, map[string]any{"email": "Ann <ann@staff.example>"}, &prob); code != 422 ||
		len(prob.Errors) != 1 || prob.Errors[0].Field != "email" {
		t.Errorf("a display-name address: %d %+v", code, prob)
	}
	s.must(200, "PATCH", "/v1/staff/mail-ann", admin, map[string]any{"email": "ann@staff.example"}, nil)
	s.must(200, "GET", "/v1/me", agent2, nil, nil)

	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": "mail-cust-1", "name": "王芳", "email": "wang.fang@example.com"}
	body["language"] = "zh"
	var created struct {
		ID          string `json:"id"`
		CaseNumber  string `json:"case_number"`
		TrackingURL string `json:"tracking_url"`
		Token       string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created, "Idempotency-Key", "mail-1")
	if !strings.HasPrefix(created.TrackingURL, "http://127.0.0.1:") {
		t.Fatalf("tracking url %q is not absolute", created.TrackingURL)
	}

	ack := srv.Wait(t, 30*time.Second, "acknowledging the complaint", func(m mailtest.Message) bool {
		return m.To == "wang.fang@example.com" && strings.Contains(m.Subject, "已受理")
	})
	if ack.Subject != "["+created.CaseNumber+"] 您的投诉已受理" {
		t.Errorf("acknowledgement subject %q", ack.Subject)
	}
	if !strings.Contains(ack.Text, created.CaseNumber) || !strings.Contains(ack.Text, created.TrackingURL) ||
		!strings.Contains(ack.HTML, `href="`+created.TrackingURL+`"`) {
		t.Errorf("the acknowledgement lacks the case number or the tracking link:\n%s\n%s", ack.Text, ack.HTML)
	}
	if ack.Header.Get("Content-Language") != "zh" || len(ack.InReplyTo) != 0 || !strings.HasSuffix(ack.MessageID, "@complaints.example") {
		t.Errorf("acknowledgement headers: language %q, in reply to %v, id %s", ack.Header.Get("Content-Language"), ack.InReplyTo, ack.MessageID)
	}
	assigned := srv.Wait(t, 30*time.Second, "telling the handler", func(m mailtest.Message) bool {
		return m.To == "ann@staff.example" && strings.Contains(m.Subject, "Case assigned to you")
	})
	if !strings.HasPrefix(assigned.Subject, "["+created.CaseNumber+"] ") || !strings.Contains(assigned.Text, "/console/cases/"+created.ID) {
		t.Errorf("assignment: %q\n%s", assigned.Subject, assigned.Text)
	}

	// Someone files again about the same order without the token: the
	// tracking link goes to the address on file, by email too.
	s.must(200, "POST", "/v1/complaints", "", body, nil, "Idempotency-Key", "mail-2")
	again := srv.Wait(t, 30*time.Second, "sending the tracking link to the address on file", func(m mailtest.Message) bool {
		return m.To == "wang.fang@example.com" && strings.Contains(m.Subject, "跟踪链接")
	})
	if !strings.Contains(again.Text, created.TrackingURL) || len(again.InReplyTo) != 1 || again.InReplyTo[0] != ack.MessageID {
		t.Errorf("tracking link message:\n%s\nin reply to %v", again.Text, again.InReplyTo)
	}

	s.must(200, "POST", "/v1/complaints/"+created.ID+"/findings", agent, map[string]any{"cause": "billing.fees",
		"cause_detail": "billing.fees.unexpected", "responsibility": "company", "responsible_unit": "card services",
		"summary": "A fee was charged that the terms did not allow."}, nil)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/proposal", agent, map[string]any{
		"remedies": []map[string]any{{"type": "apology"}}, "message": "很抱歉，这笔费用不应收取。<b>谢谢</b>"}, nil)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/approvals", agent2, map[string]any{"decision": "approve"}, nil)
	eventually(t, "awaiting the customer", func() bool {
		var tr struct{ Status string }
		s.must(200, "GET", "/v1/track/"+created.Token, "", nil, &tr)
		return tr.Status == complaint.StatusAwaitingCustomer
	})
	s.must(200, "POST", "/v1/track/"+created.Token+"/response", "", map[string]any{"decision": "accept"}, nil)

	surveyLink := regexp.MustCompile(`http://127\.0\.0\.1:\d+/survey/[A-Za-z0-9_-]+`)
	invite := srv.Wait(t, 30*time.Second, "inviting to the survey", func(m mailtest.Message) bool {
		return m.To == "wang.fang@example.com" && strings.Contains(m.Subject, "请评价我们的处理") && !strings.Contains(m.Subject, "提醒")
	})
	reminder := srv.Wait(t, 30*time.Second, "reminding of the survey", func(m mailtest.Message) bool {
		return m.To == "wang.fang@example.com" && strings.Contains(m.Subject, "提醒：请评价")
	})
	link := surveyLink.FindString(invite.Text)
	if link == "" || surveyLink.FindString(reminder.Text) != link || !strings.Contains(reminder.HTML, `href="`+link+`"`) {
		t.Errorf("survey links: invitation %q, reminder:\n%s", link, reminder.Text)
	}
	for _, m := range []mailtest.Message{invite, reminder} {
		if !strings.HasPrefix(m.Subject, "["+created.CaseNumber+"] ") || len(m.InReplyTo) != 1 || m.InReplyTo[0] != ack.MessageID ||
			len(m.References) != 1 || m.References[0] != ack.MessageID {
			t.Errorf("%q: in reply to %v, references %v, want the acknowledgement %s", m.Subject, m.InReplyTo, m.References, ack.MessageID)
		}
	}
	// The answer page takes the link's token.
	s.must(200, "GET", "/v1/surveys/"+link[strings.LastIndex(link, "/")+1:], "", nil, nil)

	var view struct {
		Messages []caseMessage `json:"messages"`
	}
	s.must(200, "GET", "/v1/complaints/"+created.ID, agent, nil, &view)
	for _, kind := range []string{"acknowledgement", "survey", "survey_reminder"} {
		if st, _, _ := channelStatus(view.Messages, kind, "email"); st != "sent" {
			t.Errorf("%s by email: %q", kind, st)
		}
		if st, _, _ := channelStatus(view.Messages, kind, "tracking_page"); st != "sent" {
			t.Errorf("%s on the tracking page: %q", kind, st)
		}
	}
	// Every message went once.
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[m.MessageID+" "+m.To]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s arrived %d times", id, n)
		}
	}
}

// TestEmailFailures: a server that answers 451 once is tried again and
// accepts; one that refuses a mailbox with 550 fails the delivery at once,
// the message stays on the customer's tracking page (their other channel),
// the case view shows the failure, and the worker counts it.
func TestEmailFailures(t *testing.T) {
	var mu sync.Mutex
	tries := map[string]int{}
	srv := mailtest.Start(t, mailtest.Options{Reply: func(_ int, m mailtest.Message) error {
		mu.Lock()
		defer mu.Unlock()
		tries[m.To]++
		switch {
		case m.To == "gone@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		case m.To == "busy@example.com" && tries[m.To] == 1:
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	}})
	s := mailStack(t, srv, shortClocks())
	agent := s.token("mailf-ann", "agent", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	file := func(customer, email string) (id, token string) {
		body := maps.Clone(complaintBody)
		body["customer"] = map[string]any{"id": customer, "name": "Li Na", "email": email}
		var c struct {
			ID    string `json:"id"`
			Token string `json:"tracking_token"`
		}
		s.must(201, "POST", "/v1/complaints", "", body, &c, "Idempotency-Key", customer)
		return c.ID, c.Token
	}
	busyID, _ := file("mailf-busy", "busy@example.com")
	goneID, goneToken := file("mailf-gone", "gone@example.com")

	var view struct {
		Messages []caseMessage `json:"messages"`
	}
	eventually(t, "the retried acknowledgement sent", func() bool {
		s.must(200, "GET", "/v1/complaints/"+busyID, agent, nil, &view)
		st, attempts, _ := channelStatus(view.Messages, "acknowledgement", "email")
		return st == "sent" && attempts == 2
	})
	eventually(t, "the refused acknowledgement failed", func() bool {
		s.must(200, "GET", "/v1/complaints/"+goneID, agent, nil, &view)
		st, attempts, msg := channelStatus(view.Messages, "acknowledgement", "email")
		return st == "failed" && attempts == 1 && strings.Contains(msg, "550")
	})
	var tr struct {
		Messages []struct{ Kind string } `json:"messages"`
	}
	s.must(200, "GET", "/v1/track/"+goneToken, "", nil, &tr)
	if len(tr.Messages) == 0 || tr.Messages[0].Kind != "acknowledgement" {
		t.Errorf("the tracking page lacks the acknowledgement that could not be emailed: %+v", tr.Messages)
	}
	time.Sleep(time.Second)
	mu.Lock()
	if tries["gone@example.com"] != 1 || tries["busy@example.com"] != 2 {
		t.Errorf("tries %v", tries)
	}
	mu.Unlock()
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`complaints_messages_total{channel="email",status="failed"} 1`,
		`complaints_messages_total{channel="email",status="retried"} 1`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestEmailWorkerKilledMidSend runs the worker as a process of its own and
// kills it (SIGKILL) while the SMTP server holds the acknowledgement's
// data, before accepting it. A second worker sends it after the dead one's
// lease: the customer receives it exactly once.
func TestEmailWorkerKilledMidSend(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := mailtest.Start(t, mailtest.Options{Reply: func(n int, m mailtest.Message) error {
		if m.To != "kill.me@example.com" || n > 1 {
			return nil
		}
		once.Do(func() { close(entered) })
		<-release
		return &smtp.SMTPError{Code: 421, Message: "connection lost"}
	}})
	s := mailStack(t, srv, shortClocks(), "TEST_RUN", "api")
	bin := filepath.Join(t.TempDir(), "complaints")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/complaints").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := s.app.Config
	envv := append(os.Environ(), "DATABASE_URL="+cfg.DatabaseURL, "MIGRATE_DATABASE_URL="+cfg.MigrateDatabaseURL,
		"TEMPORAL_ADDRESS="+cfg.TemporalAddress, "TEMPORAL_NAMESPACE="+cfg.TemporalNamespace, "TEMPORAL_TASK_QUEUE="+cfg.TaskQueue,
		"WORKER_HTTP_ADDR=127.0.0.1:0", "JWT_SECRET="+jwtSecret, "TOKEN_SECRET="+tokenSecret, "PAYLOAD_KEYS="+testenv.PayloadKeys,
		"PAYLOAD_KEY_ID="+testenv.PayloadKeyID, "DECISION_SIGNING_KEY="+testenv.DecisionSigningKey, "PUBLIC_BASE_URL="+cfg.PublicBaseURL,
		"SYSTEMIC_DETECTOR=off", "REPORT_REFRESH=off", "LOG_LEVEL=warn", "SMTP_URL="+srv.URL(), "MAIL_FROM="+mailFrom,
		"SEND_WINDOW=off", "MAIL_POLL=100ms", "MAIL_SEND_TIMEOUT=2s")
	startWorker := func() *exec.Cmd {
		cmd := exec.Command(bin, "worker")
		cmd.Env = envv
		cmd.Stdout, cmd.Stderr = testLog{t}, testLog{t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	first := startWorker()

	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": "mail-kill-1", "name": "Li Na", "email": "kill.me@example.com"}
	var created struct {
		ID         string `json:"id"`
		CaseNumber string `json:"case_number"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created, "Idempotency-Key", "mail-kill-1")
	select {
	case <-entered:
	case <-time.After(60 * time.Second):
		t.Fatal("the acknowledgement never reached the server")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	killedAt := time.Now()
	close(release)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages accepted before the kill", n)
	}

	startWorker()
	want := mail.MessageID(created.ID+":ack", mail.Domain(mailFrom))
	srv.Wait(t, 60*time.Second, "sent by the second worker", func(m mailtest.Message) bool { return m.MessageID == want })
	t.Logf("delivered %s after the kill", time.Since(killedAt).Round(100*time.Millisecond))
	time.Sleep(2 * time.Second)
	n := 0
	for _, m := range srv.Messages() {
		if m.To == "kill.me@example.com" && strings.Contains(m.Subject, "received your complaint") {
			n++
		}
	}
	if n != 1 || srv.Attempts() < 2 {
		t.Errorf("the acknowledgement arrived %d times (%d data transfers)", n, srv.Attempts())
	}
	var attempts, unfinished int
	if err := s.app.Store.Pool.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE finished_at IS NULL)
        FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.idem_key = $1`, created.ID+":ack").
		Scan(&attempts, &unfinished); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || unfinished != 1 {
		t.Errorf("%d attempts recorded, %d without an end; want 2 and the killed worker's 1", attempts, unfinished)
	}
}

// testLog writes a process's output to the test's log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
