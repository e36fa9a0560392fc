package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	imgpng "image/png"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/inbound"
	"github.com/complaint-handling/complaints/internal/mail/mailtest"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
)

const supportAddress = "help@complaints.example"

// inboundSettings turn the listener on at a free loopback port, with quick
// polling and retries.
var inboundSettings = []string{"INBOUND_SMTP_ADDR", "127.0.0.1:0", "SUPPORT_ADDRESS", supportAddress,
	"INBOUND_POLL", "200ms", "INBOUND_RETRY_BASE", "300ms", "INBOUND_MAX_BYTES", "65536"}

// sendMail delivers raw to the stack's listener over SMTP, as an MTA
// does, with go-smtp's client.
func sendMail(t *testing.T, a *app.App, from, to, raw string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return inbound.Deliver(ctx, a.InboundAddr, false, from, []string{to}, []byte(strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")))
}

// processed waits until the mail with messageID is processed and returns
// its state.
func processed(t *testing.T, a *app.App, messageID string) store.InboundMailState {
	t.Helper()
	var st store.InboundMailState
	eventually(t, "processing "+messageID, func() bool {
		var err error
		st, err = a.Store.InboundMailByMessageID(context.Background(), messageID)
		return err == nil && st.Status != store.InboundReceived
	})
	return st
}

// eventsOf returns a case's events of a type.
func eventsOf(t *testing.T, a *app.App, caseID, typ string) []map[string]any {
	t.Helper()
	evs, err := a.Store.Events(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range evs {
		if e.Type == typ {
			var p map[string]any
			_ = json.Unmarshal(e.Payload, &p)
			out = append(out, p)
		}
	}
	return out
}

func plainMail(from, id, subject, headers, body string) string {
	return fmt.Sprintf("From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\nDate: %s\n%sMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n",
		from, supportAddress, subject, id, time.Now().UTC().Format(time.RFC1123Z), headers, body)
}

// TestInboundEmail sends mail to the real listener of the whole stack
// (outbound email on, to a real SMTP server): a new mail opens a case on
// the email channel and is acknowledged by email; the same mail delivered
// again opens nothing more; replies land on the case by their threading
// headers and, without them, by the case number in the subject; a GBK
// reply with a GB2312 encoded-word subject answers the information request
// in correct Chinese, its quotation trimmed; an HTML-only mail opens a
// case in text; an auto-reply and a mail from the null reverse path open
// nothing; a delivery status notification marks the acknowledgement
// bounced; unknown recipients and oversized mails are refused. The attack:
// a stranger who writes the case's number in the subject and its
// Message-ID in In-Reply-To does not get onto the case, and gets a case of
// their own.
func TestInboundEmail(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := mailStack(t, srv, shortClocks(), inboundSettings...)
	a := s.app
	ctx := context.Background()
	if a.InboundAddr == "" {
		t.Fatal("the listener is not on")
	}

	// A new mail opens a case, acknowledged by email.
	first := plainMail("Ann Smith <ann@example.com>", "e2e-new-1@client.example", "Charged twice for order 4471", "",
		"I was charged twice for order 4471.\nPlease refund the second payment.")
	if err := sendMail(t, a, "ann@example.com", supportAddress, first); err != nil {
		t.Fatal(err)
	}
	opened := processed(t, a, "e2e-new-1@client.example")
	if opened.Outcome != inbound.OutcomeOpened || opened.CaseID == "" {
		t.Fatalf("new mail: %+v", opened)
	}
	cs, err := a.Store.GetCase(ctx, opened.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Channel != "email" || cs.CustomerEmail != "ann@example.com" || cs.CustomerName != "Ann Smith" ||
		cs.Subject != "Charged twice for order 4471" || !strings.Contains(cs.Description, "\nPlease refund the second payment.") || cs.Language != "en" {
		t.Errorf("case = %+v", cs)
	}
	ack := srv.Wait(t, 30*time.Second, "acknowledging the emailed complaint", func(m mailtest.Message) bool {
		return m.To == "ann@example.com" && strings.Contains(m.Subject, cs.CaseNumber)
	})
	// Delivered again (an MTA that lost our answer): recorded once, filed once.
	if err := sendMail(t, a, "ann@example.com", supportAddress, first); err != nil {
		t.Fatal(err)
	}
	countCases := func(email string) int {
		var n int
		if err := a.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE customer_email = $1`, email).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var rows int
	if err := a.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM inbound_mails WHERE message_id = 'e2e-new-1@client.example'`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("the mail delivered twice is %d rows (%v)", rows, err)
	}

	repeats := func() int { return len(eventsOf(t, a, cs.ID, "repeat_contact")) }
	t.Run("reply with threading headers", func(t *testing.T) {
		raw := plainMail("Ann Smith <Ann@Example.com>", "e2e-reply-1@client.example", "Re: "+ack.Subject,
			"In-Reply-To: <"+ack.MessageID+">\nReferences: <"+ack.MessageID+">\n",
			"Any news?\n\nOn Thu, 3 Dec 2026 at 10:00, Complaints <help@complaints.example> wrote:\n> We have received your complaint.")
		if err := sendMail(t, a, "ann@example.com", supportAddress, raw); err != nil {
			t.Fatal(err)
		}
		// The reply's own words, without the quotation, are kept with it.
		if st := processed(t, a, "e2e-reply-1@client.example"); st.Outcome != inbound.OutcomeReply || st.CaseID != cs.ID || st.Body != "Any news?" {
			t.Errorf("reply: %+v, want on case %s", st, cs.ID)
		}
		if n := repeats(); n != 1 {
			t.Errorf("%d repeat contacts, want 1", n)
		}
	})
	t.Run("reply with the case number only", func(t *testing.T) {
		raw := plainMail("ann@example.com", "e2e-reply-2@client.example", "回复: ["+cs.CaseNumber+"] still waiting", "", "Still waiting.")
		if err := sendMail(t, a, "ann@example.com", supportAddress, raw); err != nil {
			t.Fatal(err)
		}
		if st := processed(t, a, "e2e-reply-2@client.example"); st.Outcome != inbound.OutcomeReply || st.CaseID != cs.ID {
			t.Errorf("reply by case number: %+v, want on case %s", st, cs.ID)
		}
	})
	t.Run("a stranger writing the case number gets a case of their own", func(t *testing.T) {
		before := repeats()
		raw := plainMail("Mallory <mallory@evil.example>", "e2e-stranger-1@evil.example", "Re: ["+cs.CaseNumber+"] change my address",
			"In-Reply-To: <"+ack.MessageID+">\nReferences: <"+ack.MessageID+">\n", "Please send the refund to account 6222 0000 1111.")
		if err := sendMail(t, a, "mallory@evil.example", supportAddress, raw); err != nil {
			t.Fatal(err)
		}
		st := processed(t, a, "e2e-stranger-1@evil.example")
		if st.Outcome != inbound.OutcomeOpened || st.CaseID == "" || st.CaseID == cs.ID {
			t.Fatalf("stranger's mail: %+v, want a new case, not %s", st, cs.ID)
		}
		if n := repeats(); n != before {
			t.Errorf("the stranger's mail added a contact to the customer's case (%d, was %d)", n, before)
		}
		own, err := a.Store.GetCase(ctx, st.CaseID)
		if err != nil || own.CustomerEmail != "mallory@evil.example" {
			t.Errorf("stranger's case: %+v, %v", own, err)
		}
	})
	t.Run("auto-replies open nothing", func(t *testing.T) {
		before := repeats()
		auto := plainMail("Ann Smith <ann@example.com>", "e2e-auto-1@client.example", "Out of office: "+ack.Subject,
			"Auto-Submitted: auto-replied\nIn-Reply-To: <"+ack.MessageID+">\n", "I am away until Monday.")
		if err := sendMail(t, a, "ann@example.com", supportAddress, auto); err != nil {
			t.Fatal(err)
		}
		null := plainMail("Vacation <bob@example.com>", "e2e-null-1@client.example", "Away", "", "Away this week.")
		if err := sendMail(t, a, "", supportAddress, null); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"e2e-auto-1@client.example", "e2e-null-1@client.example"} {
			if st := processed(t, a, id); st.Outcome != inbound.OutcomeIgnoredAuto || st.CaseID != "" {
				t.Errorf("%s: %+v", id, st)
			}
		}
		if n := repeats(); n != before || countCases("bob@example.com") != 0 {
			t.Errorf("an auto-reply reached a case")
		}
	})
	t.Run("a GBK reply answers the information request", func(t *testing.T) {
		agent := s.token("inbound-ann", "agent", "billing")
		s.must(200, "GET", "/v1/me", agent, nil, nil)
		eventually(t, "acknowledged", func() bool { c, _ := a.Store.GetCase(ctx, cs.ID); return c.Status == complaint.StatusAcknowledged })
		s.must(200, "POST", "/v1/complaints/"+cs.ID+"/request-info", agent, map[string]any{"question": "请提供付款时间"}, nil)
		eventually(t, "awaiting info", func() bool { c, _ := a.Store.GetCase(ctx, cs.ID); return c.Status == complaint.StatusAwaitingInfo })
		gb := func(s string) string {
			b, err := simplifiedchinese.GBK.NewEncoder().String(s)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		answer := "付款时间是12月1日上午十点，两笔都是150元。"
		raw := "From: " + mime.BEncoding.Encode("gb2312", gb("安")) + " <ann@example.com>\nTo: " + supportAddress +
			"\nSubject: " + mime.BEncoding.Encode("gb2312", gb("回复：["+cs.CaseNumber+"] 补充信息")) +
			"\nMessage-ID: <e2e-gbk-1@client.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: 8bit\n\n" +
			gb(answer+"\n\n在 2026年12月3日 10:00，客服中心 写道：\n> 请提供付款时间\n")
		if err := sendMail(t, a, "ann@example.com", supportAddress, raw); err != nil {
			t.Fatal(err)
		}
		if st := processed(t, a, "e2e-gbk-1@client.example"); st.Outcome != inbound.OutcomeInfoAnswer || st.CaseID != cs.ID {
			t.Fatalf("GBK reply: %+v", st)
		}
		got := eventsOf(t, a, cs.ID, "info_received")
		if len(got) != 1 || got[0]["answer"] != answer {
			t.Errorf("info_received = %v, want the answer %q", got, answer)
		}
	})
	t.Run("an HTML-only mail opens a case in text", func(t *testing.T) {
		raw := "From: Li Na <li.na@example.com>\nTo: " + supportAddress + "\nSubject: Broken kettle\nMessage-ID: <e2e-html-1@client.example>\n" +
			"MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>The kettle <b>stopped working</b>.</p><p>First line<br>Second line</p></body></html>\n"
		if err := sendMail(t, a, "li.na@example.com", supportAddress, raw); err != nil {
			t.Fatal(err)
		}
		st := processed(t, a, "e2e-html-1@client.example")
		if st.Outcome != inbound.OutcomeOpened {
			t.Fatalf("HTML mail: %+v", st)
		}
		c, err := a.Store.GetCase(ctx, st.CaseID)
		if err != nil || strings.Contains(c.Description, "<") || !strings.Contains(c.Description, "First line\nSecond line") {
			t.Errorf("description %q, %v", c.Description, err)
		}
	})
	t.Run("a mail's attachments become the case's evidence, checked like uploads", func(t *testing.T) {
		var png bytes.Buffer
		img := image.NewRGBA(image.Rect(0, 0, 4, 4))
		if err := imgpng.Encode(&png, img); err != nil {
			t.Fatal(err)
		}
		enc := base64.StdEncoding.EncodeToString(png.Bytes())
		exe := base64.StdEncoding.EncodeToString(append([]byte("MZ\x90\x00"), make([]byte, 200)...))
		raw := "From: Zhou Min <zhou.min@example.com>\nTo: " + supportAddress + "\nSubject: Cracked screen on delivery\nMessage-ID: <e2e-att-1@client.example>\n" +
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain; charset=utf-8\n\nThe phone arrived with a cracked screen; photo attached.\n" +
			"--X\nContent-Type: image/png; name=\"screen.png\"\nContent-Disposition: attachment; filename=\"screen.png\"\nContent-Transfer-Encoding: base64\n\n" + enc + "\n" +
			"--X\nContent-Type: image/png; name=\"invoice.png\"\nContent-Disposition: attachment; filename=\"invoice.png\"\nContent-Transfer-Encoding: base64\n\n" + exe + "\n--X--\n"
		if err := sendMail(t, a, "zhou.min@example.com", supportAddress, raw); err != nil {
			t.Fatal(err)
		}
		st := processed(t, a, "e2e-att-1@client.example")
		if st.Outcome != inbound.OutcomeOpened {
			t.Fatalf("mail with attachments: %+v", st)
		}
		var list struct {
			Attachments []struct {
				Filename    string `json:"filename"`
				ContentType string `json:"content_type"`
				UploadedBy  string `json:"uploaded_by"`
				SHA256      string `json:"sha256"`
			} `json:"attachments"`
		}
		s.must(200, "GET", "/v1/complaints/"+st.CaseID+"/attachments", s.token("inbound-ann", "agent", "billing"), nil, &list)
		// The executable named invoice.png is refused by its content.
		if len(list.Attachments) != 1 || list.Attachments[0].ContentType != "image/png" || list.Attachments[0].UploadedBy != "email" ||
			!strings.HasPrefix(list.Attachments[0].Filename, "screen") {
			t.Fatalf("the case's files: %+v", list.Attachments)
		}
		// The workflow recorded the file's id and digest (the audit trail).
		var n int
		if err := a.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'attachments_added' AND payload::text LIKE '%'||$2||'%'`,
			st.CaseID, list.Attachments[0].SHA256).Scan(&n); err != nil || n != 1 {
			t.Errorf("attachments_added events with the digest: %d, %v", n, err)
		}
	})
	t.Run("a delivery status notification marks the delivery bounced", func(t *testing.T) {
		raw := "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: " + supportAddress + "\nSubject: Undelivered Mail\n" +
			"Message-ID: <e2e-dsn-1@mx.example.net>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n" +
			"--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n--B\nContent-Type: message/delivery-status\n\n" +
			"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; ann@example.com\nAction: failed\nStatus: 5.1.1\n" +
			"--B\nContent-Type: text/rfc822-headers\n\nFrom: " + mailFrom + "\nTo: ann@example.com\nMessage-ID: <" + ack.MessageID + ">\n--B--\n"
		if err := sendMail(t, a, "", supportAddress, raw); err != nil {
			t.Fatal(err)
		}
		if st := processed(t, a, "e2e-dsn-1@mx.example.net"); st.Outcome != inbound.OutcomeBounce || st.CaseID != "" {
			t.Errorf("DSN: %+v", st)
		}
		var view struct {
			Messages []caseMessage `json:"messages"`
		}
		s.must(200, "GET", "/v1/complaints/"+cs.ID, s.token("inbound-ann", "agent", "billing"), nil, &view)
		if st, _, _ := channelStatus(view.Messages, "acknowledgement", "email"); st != "bounced" {
			t.Errorf("acknowledgement by email: %q, want bounced", st)
		}
		resp, err := http.Get(s.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`complaints_messages_total{channel="email",status="bounced"} 1`,
			`complaints_inbound_mails_total{outcome="bounce"} 1`, `complaints_inbound_mails_total{outcome="info_answer"} 1`,
			`complaints_inbound_mails_total{outcome="reply"} 2`, `complaints_inbound_mails_total{outcome="ignored_auto"} 2`} {
			if !strings.Contains(string(metrics), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
	t.Run("refusals", func(t *testing.T) {
		var se *smtp.SMTPError
		err := sendMail(t, a, "ann@example.com", "someone.else@complaints.example", plainMail("ann@example.com", "e2e-x-1@client.example", "x", "", "x"))
		if !errors.As(err, &se) || se.Code != 550 {
			t.Errorf("unknown recipient: %v, want 550", err)
		}
		big := plainMail("ann@example.com", "e2e-big-1@client.example", "big", "", strings.Repeat("0123456789abcdef\n", 5000))
		if err := sendMail(t, a, "ann@example.com", supportAddress, big); !errors.As(err, &se) || se.Code != 552 {
			t.Errorf("oversized mail: %v, want 552", err)
		}
		for _, id := range []string{"e2e-x-1@client.example", "e2e-big-1@client.example"} {
			if _, err := a.Store.InboundMailByMessageID(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("refused mail %s was recorded: %v", id, err)
			}
		}
	})
	if n := countCases("ann@example.com"); n != 1 {
		t.Errorf("%d cases for ann@example.com, want 1", n)
	}
}

// TestInboundEmailSurvivesRestart records a mail the way the listener does
// and stops the process before it is processed (a crash between the 250
// and the filing); the next start processes it, once, and the same mail
// delivered again after the restart opens nothing more.
func TestInboundEmailSurvivesRestart(t *testing.T) {
	s := startStack(t, append([]string{"SHUTDOWN_DRAIN", "0"}, inboundSettings...)...)
	cfg := s.app.Config
	ctx := context.Background()
	shutdown, cancel := context.WithTimeout(ctx, 30*time.Second)
	s.app.Shutdown(shutdown)
	cancel()

	raw := strings.ReplaceAll(plainMail("Wang Fang <wang.fang@example.cn>", "e2e-crash-1@client.example", "快递丢失",
		"", "我的快递显示已签收，但我没有收到。"), "\n", "\r\n")
	st, err := store.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	id, key := inbound.DedupeKey([]byte(raw))
	if _, err := st.RecordInboundMail(ctx, store.InboundMail{DedupeKey: key, MessageID: id, MailFrom: "wang.fang@example.cn",
		RcptTo: []string{supportAddress}, Raw: []byte(raw)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	a, err := app.Start(ctx, cfg, app.Options{Run: app.RunAPI | app.RunWorker, Profiles: shortClocks()}, testenv.Logger(t))
	if err != nil {
		t.Fatalf("app.Start again: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	got := processed(t, a, "e2e-crash-1@client.example")
	if got.Outcome != inbound.OutcomeOpened || got.CaseID == "" {
		t.Fatalf("after the restart: %+v", got)
	}
	if err := sendMail(t, a, "wang.fang@example.cn", supportAddress, raw); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	var n int
	if err := a.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE customer_email = 'wang.fang@example.cn'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d cases (%v), want 1", n, err)
	}
	if cs, err := a.Store.GetCase(ctx, got.CaseID); err != nil || cs.Language != "zh" || cs.Subject != "快递丢失" {
		t.Errorf("case %+v, %v", cs, err)
	}
}
