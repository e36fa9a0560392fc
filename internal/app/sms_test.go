package app_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"github.com/complaint-handling/complaints/internal/mail/mailtest"
	"github.com/complaint-handling/complaints/internal/sms/smsctest"
)

// TestSMSThroughTheStack runs the real stack with email and SMS on, the
// SMS centre a real SMPP peer (smsctest): a complaint filed on the web in
// Chinese with a phone only gets its acknowledgement as a text with the
// case number and the tracking link, and the centre's receipt marks it
// delivered; a customer with email and phone whose email is refused for
// good (550) gets the text instead; a text the network cannot hand over
// (UNDELIV receipt) is bounced; the metrics count them by channel.
func TestSMSThroughTheStack(t *testing.T) {
	smsc, err := smsctest.Start("", "complaints", "smpp-secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smsc.Close)
	smsc.ReceiptDelay = 50 * time.Millisecond
	smsc.Stat = func(to string) string {
		if strings.HasSuffix(to, "0000") {
			return "UNDELIV"
		}
		return "DELIVRD"
	}
	srv := mailtest.Start(t, mailtest.Options{Reply: func(_ int, m mailtest.Message) error {
		if m.To == "gone.sms@example.com" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		}
		return nil
	}})
	s := mailStack(t, srv, shortClocks(), "SMS_URL", smsc.URL(), "SMS_FROM", "10690000")
	agent := s.token("sms-ann", "agent", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)

	type filed struct{ id, token, number string }
	file := func(key, phone, email, language string) filed {
		body := maps.Clone(complaintBody)
		cust := map[string]any{"name": "Wang Fang", "phone": phone}
		if email != "" {
			cust["email"] = email
		}
		body["customer"], body["language"], body["order_ref"] = cust, language, "ORD-SMS-"+key
		var c struct {
			ID     string `json:"id"`
			Token  string `json:"tracking_token"`
			Number string `json:"case_number"`
		}
		s.must(201, "POST", "/v1/complaints", "", body, &c, "Idempotency-Key", "sms-"+key)
		return filed{c.ID, c.Token, c.Number}
	}
	view := func(c filed) []caseMessage {
		var v struct {
			Messages []caseMessage `json:"messages"`
		}
		s.must(200, "GET", "/v1/complaints/"+c.id, agent, nil, &v)
		return v.Messages
	}
	textTo := func(digits, number string) smsctest.Message {
		t.Helper()
		var got smsctest.Message
		eventually(t, "a text to "+digits, func() bool {
			for _, m := range smsc.Messages() {
				if m.To == digits && strings.Contains(m.Text, number) {
					got = m
					return true
				}
			}
			return false
		})
		return got
	}

	t.Run("web complaint with a phone: acknowledgement by SMS, delivered", func(t *testing.T) {
		c := file("phone", "+86 138 0013 8001", "", "zh")
		m := textTo("8613800138001", c.number)
		if m.DataCoding != 8 || !strings.Contains(m.Text, "您的投诉已受理") || !strings.Contains(m.Text, s.app.Config.PublicBaseURL+"/track/"+c.token) {
			t.Errorf("the acknowledgement text: %+v", m)
		}
		if m.From != "10690000" {
			t.Errorf("sent from %q", m.From)
		}
		eventually(t, "the receipt marks it delivered", func() bool {
			st, attempts, _ := channelStatus(view(c), "acknowledgement", "sms")
			return st == "delivered" && attempts == 1
		})
		if st, _, _ := channelStatus(view(c), "acknowledgement", "email"); st != "" {
			t.Errorf("an email delivery without an address: %s", st)
		}
	})

	t.Run("email refused for good falls back to SMS", func(t *testing.T) {
		c := file("fallback", "+8613900139002", "gone.sms@example.com", "en")
		m := textTo("8613900139002", c.number)
		if m.DataCoding != 0 || !strings.Contains(m.Text, "Your complaint "+c.number+" is registered") {
			t.Errorf("the fallback text: %+v", m)
		}
		eventually(t, "email failed, sms delivered", func() bool {
			msgs := view(c)
			email, _, why := channelStatus(msgs, "acknowledgement", "email")
			text, _, _ := channelStatus(msgs, "acknowledgement", "sms")
			return email == "failed" && strings.Contains(why, "550") && text == "delivered"
		})
	})

	t.Run("undeliverable text is bounced", func(t *testing.T) {
		c := file("bounce", "+8613700000000", "", "en")
		textTo("8613700000000", c.number)
		eventually(t, "the receipt bounces it", func() bool {
			st, _, why := channelStatus(view(c), "acknowledgement", "sms")
			return st == "bounced" && strings.Contains(why, "UNDELIV")
		})
	})

	t.Run("metrics by channel", func(t *testing.T) {
		resp, err := http.Get(s.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`complaints_messages_total{channel="sms",status="bounced"} 1`,
			`complaints_messages_total{channel="sms",status="sent"} 3`, `complaints_messages_total{channel="email",status="failed"} 1`,
			`complaints_messages_total{channel="sms",status="failed"} 0`} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if !strings.Contains(string(raw), `complaints_messages_total{channel="sms",status="delivered"} 2`) {
			t.Errorf("/metrics: %s", grep(string(raw), "complaints_messages_total"))
		}
	})
}

// TestPreferencesBelongToTheCase performs the attack that customer-wide
// preferences would allow: anyone may file a complaint with someone else's
// email address (the public form derives the customer id from it), gets
// that new case's tracking link, and sets its preferences to "none" and no
// survey. The victim's own case keeps its defaults, and its next message
// is still emailed.
func TestPreferencesBelongToTheCase(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := mailStack(t, srv, shortClocks())
	file := func(order, key string) (id, token string) {
		body := maps.Clone(complaintBody)
		body["customer"], body["order_ref"] = map[string]any{"name": "Victim", "email": "victim.prefs@example.com"}, order
		var c struct {
			ID    string `json:"id"`
			Token string `json:"tracking_token"`
		}
		s.must(201, "POST", "/v1/complaints", "", body, &c, "Idempotency-Key", key)
		return c.ID, c.Token
	}
	_, victim := file("ORD-PREF-V", "prefs-victim")
	_, attacker := file("ORD-PREF-A", "prefs-attacker")
	type prefs struct {
		Channel      string   `json:"channel"`
		Language     string   `json:"language"`
		SurveyOptOut bool     `json:"survey_opt_out"`
		Available    []string `json:"available"`
		Chosen       bool     `json:"chosen"`
	}
	var p prefs
	s.must(200, "PUT", "/v1/track/"+attacker+"/preferences", "", map[string]any{"channel": "none", "language": "zh", "survey_opt_out": true}, &p)
	if p.Channel != "none" || !p.Chosen {
		t.Fatalf("the attacker's own case: %+v", p)
	}
	s.must(200, "GET", "/v1/track/"+victim+"/preferences", "", nil, &p)
	if p.Channel != "email" || p.SurveyOptOut || p.Chosen || p.Language != "en" {
		t.Fatalf("the victim's preferences changed through another case's link: %+v", p)
	}

	t.Run("bad input names every field", func(t *testing.T) {
		var pr struct {
			Status int `json:"status"`
			Errors []struct{ Field, Code string }
		}
		s.must(422, "PUT", "/v1/track/"+victim+"/preferences", "", map[string]any{"channel": "sms", "language": "fr"}, &pr)
		got := map[string]string{}
		for _, e := range pr.Errors {
			got[e.Field] = e.Code
		}
		// The victim gave no phone: SMS has no contact on file.
		if got["channel"] != "contact_required" || got["language"] != "one_of" || got["survey_opt_out"] != "required" {
			t.Errorf("errors %+v", pr.Errors)
		}
		s.must(404, "GET", "/v1/track/"+strings.Repeat("x", 40)+"/preferences", "", nil, nil)
	})
}

// TestPreferencesCardInTheBrowser: on a phone, a customer who filed in
// Chinese with a phone only sees the card with SMS chosen (the default)
// and no email to choose, picks "only this page" and no survey, saves,
// and the case's preferences are stored.
func TestPreferencesCardInTheBrowser(t *testing.T) {
	s := startStack(t)
	var c struct {
		ID    string `json:"id"`
		Token string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", map[string]any{"customer": map[string]any{"name": "王芳", "phone": "13800000042"},
		"channel": "web", "subject": "电费多收", "description": "这个月的电费账单多收了两次", "language": "zh"}, &c)
	b := newBrowser(t, s.base)
	customer := b.tab("customer", 390, 844)
	b.run(customer, chromedp.Navigate(b.base+"/track/"+c.Token), visible(`#prefs-form`))
	var checked string
	var emailOffered bool
	b.run(customer, chromedp.Evaluate(`document.querySelector('#prefs-form input[name=channel]:checked').value`, &checked),
		chromedp.Evaluate(`!!document.querySelector('#prefs-form input[value=email]')`, &emailOffered))
	if checked != "sms" || emailOffered {
		t.Errorf("the card: %q chosen, email offered %v; want sms, no email", checked, emailOffered)
	}
	if h := b.text(customer, `#prefs h2`); h != "联系方式" {
		t.Errorf("the card's heading %q", h)
	}
	b.run(customer, click(`#prefs-form input[value=none]`), click(`#prefs-form input[name=survey_opt_out]`))
	b.shot(customer, "track-preferences")
	b.run(customer, click(`#prefs-save`))
	eventually(t, "the preferences stored", func() bool {
		cc, err := s.app.Store.CaseContacts(context.Background(), c.ID)
		return err == nil && cc.Preferences.Chosen && cc.Preferences.Channel == "none" && cc.Preferences.SurveyOptOut
	})
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return fmt.Sprint(out)
}

// TestBouncedEmailFallsBackToSMS: an acknowledgement the mail server
// accepted and a delivery status notification later reported
// undeliverable (inbound email marks it bounced) is texted instead, as a
// message refused for good at once is, because the customer gave a phone.
func TestBouncedEmailFallsBackToSMS(t *testing.T) {
	smsc, err := smsctest.Start("", "complaints", "smpp-secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(smsc.Close)
	// The receipt follows the answer at once (no ReceiptDelay), as a fast
	// SMS centre's does: it may reach us before the attempt's provider ids
	// are written, and must still mark the text delivered.
	smsc.Stat = func(string) string { return "DELIVRD" }
	srv := mailtest.Start(t, mailtest.Options{})
	s := mailStack(t, srv, shortClocks(), append([]string{"SMS_URL", smsc.URL(), "SMS_FROM", "10690000"}, inboundSettings...)...)
	agent := s.token("bounce-ann", "agent", "billing")

	run := strconv.FormatInt(time.Now().UnixNano(), 36) // fresh case each run (-count)
	body := maps.Clone(complaintBody)
	body["customer"], body["order_ref"] = map[string]any{"name": "Li Lei", "email": "moved.away@example.com", "phone": "+8613600136001"}, "ORD-BOUNCE-"+run
	var c struct {
		ID     string `json:"id"`
		Number string `json:"case_number"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &c, "Idempotency-Key", "bounce-fallback-"+run)
	ack := srv.Wait(t, 30*time.Second, "the acknowledgement by email", func(m mailtest.Message) bool {
		return m.To == "moved.away@example.com" && strings.Contains(m.Subject, c.Number)
	})
	for _, m := range smsc.Messages() {
		if strings.Contains(m.Text, c.Number) {
			t.Fatalf("texted before any bounce (the preference is email): %+v", m)
		}
	}
	dsn := "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: " + supportAddress + "\nSubject: Undelivered Mail\n" +
		"Message-ID: <bounce-fallback-dsn-" + run + "@mx.example.net>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n" +
		"--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n--B\nContent-Type: message/delivery-status\n\n" +
		"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; moved.away@example.com\nAction: failed\nStatus: 5.1.1\n" +
		"--B\nContent-Type: text/rfc822-headers\n\nFrom: " + mailFrom + "\nTo: moved.away@example.com\nMessage-ID: <" + ack.MessageID + ">\n--B--\n"
	if err := sendMail(t, s.app, "", supportAddress, dsn); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the acknowledgement texted after the bounce", func() bool {
		for _, m := range smsc.Messages() {
			if m.To == "8613600136001" && strings.Contains(m.Text, c.Number) {
				return true
			}
		}
		return false
	})
	var v struct {
		Messages []caseMessage `json:"messages"`
	}
	eventuallyNonFatal := func(what string, ok func() bool) {
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Errorf("timed out waiting for %s", what)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	eventuallyNonFatal("email bounced, sms delivered in the case view", func() bool {
		s.must(200, "GET", "/v1/complaints/"+c.ID, agent, nil, &v)
		email, _, _ := channelStatus(v.Messages, "acknowledgement", "email")
		text, _, _ := channelStatus(v.Messages, "acknowledgement", "sms")
		return email == "bounced" && text == "delivered"
	})
	if t.Failed() {
		t.Logf("messages: %+v", v.Messages)
	}
}
