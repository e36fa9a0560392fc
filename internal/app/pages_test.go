package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/complaint-handling/complaints/complaint"
)

// TestWholeCaseThroughThePages walks one case through the customer's pages
// and the staff console in headless Chromium, against the real stack: the
// customer files on the web form (after a rejected empty form shows its
// field errors), an agent records findings and proposes a refund above
// the agent's authority, a supervisor is refused for exceeding the limit,
// a manager approves from the approvals inbox, the customer accepts on the
// tracking page and answers the survey. Screenshots of every page are kept
// under $TEST_ARTIFACTS/browser; any console error fails the test.
func TestWholeCaseThroughThePages(t *testing.T) {
	s := startStack(t)
	agentTok := s.token("agent-ann", "agent", "billing")
	supTok := s.token("sup-sue", "supervisor", "billing")
	mgrTok := s.token("mgr-max", "manager", "billing")
	for _, tok := range []string{agentTok, supTok, mgrTok} {
		s.must(200, "GET", "/v1/me", tok, nil, nil) // staff register before the case arrives
	}
	b := newBrowser(t, s.base)

	// 1. The customer, on a phone, files through the web form.
	customer := b.tab("customer", 390, 844)
	b.run(customer, chromedp.Navigate(b.base+"/?lang=en"), visible(`#complaint-form`))
	b.expectFailedCall("/v1/complaints")
	b.run(customer, click(`#complaint-form button[type=submit]`))
	if msg := b.text(customer, `[data-field="customer.name"]`); !strings.Contains(msg, "is required") {
		t.Errorf("empty form: name error %q", msg)
	}
	if msg := b.text(customer, `[data-field~="customer.phone"]`); !strings.Contains(msg, "phone number or an email") {
		t.Errorf("empty form: contact error %q", msg)
	}
	b.noHorizontalScroll(customer, "the complaint form")
	b.shot(customer, "form-errors")
	b.run(customer,
		keys(`[name="customer.name"]`, "Zhang Wei"),
		keys(`[name="customer.phone"]`, "+86 139 1234 5678"),
		keys(`[name="customer.email"]`, "zhang.wei@example.com"),
		keys(`[name=subject]`, "Refund not received"),
		keys(`[name=description]`, "I returned the faulty kettle three weeks ago and the refund never arrived on my bill."),
		keys(`[name=desired_remedy]`, "A refund of 5,000 yuan for the kettle set"),
		keys(`[name=order_ref]`, "ORD-2026-9001"),
		click(`#complaint-form button[type=submit]`))
	number := b.text(customer, `#case-number`)
	if !caseNumberRE.MatchString(number) {
		t.Fatalf("case number %q", number)
	}
	var trackURL string
	b.run(customer, chromedp.Evaluate(`document.querySelector('#tracking-link').href`, &trackURL))
	b.shot(customer, "form-filed")
	b.run(customer, chromedp.Navigate(trackURL))
	b.until(customer, "the case acknowledged", `document.querySelector('#status')?.dataset.status === 'acknowledged'`)
	b.noHorizontalScroll(customer, "the tracking page")
	b.shot(customer, "track-acknowledged")

	// 2. The agent finds it in the inbox, records findings and proposes a
	// refund of 5,000.00: above a supervisor's 1,000.00, within a manager's.
	agent := b.tab("agent", 1280, 900)
	b.signIn(agent, agentTok)
	caseLink := `tr[data-case="` + number + `"] a.case-link`
	b.run(agent, click(`#tab-mine`), visible(caseLink))
	b.shot(agent, "inbox-agent")
	b.run(agent, click(caseLink), visible(`#actions`))
	b.shot(agent, "case-agent")
	b.expectFailedCall("/findings")
	b.run(agent, keys(`[data-action=findings] [name=cause]`, "refund.delayed"))
	b.run(agent, keys(`[data-action=findings] [name=cause_detail]`, "delayed.return_not_scanned"))
	b.run(agent, choose(`[data-action=findings] [name=responsibility]`, "company"))
	b.run(agent, keys(`[data-action=findings] [name=summary]`, "The return was received but never scanned."))
	b.run(agent, click(`[data-action=findings] button[type=submit]`))
	// The workflow names the bad field; the page shows it beside its input.
	if msg := b.text(agent, `[data-action=findings] [data-field=cause_detail]`); !strings.Contains(msg, "must refine cause") {
		t.Errorf("findings: cause_detail error %q", msg)
	}
	b.shot(agent, "case-findings-errors")
	b.run(agent, chromedp.Evaluate(`document.querySelector('[data-action=findings] [name=cause_detail]').value = ''`, nil),
		keys(`[data-action=findings] [name=cause_detail]`, "refund.delayed.return_not_scanned"),
		keys(`[data-action=findings] [name=responsible_unit]`, "returns desk"),
		click(`[data-action=findings] button[type=submit]`),
		visible(`#findings`),
		visible(`#proposal-form`),
		keys(`#proposal-form [name="r0.amount"]`, "5000.00"),
		keys(`#proposal-form [name=message]`, "We are refunding 5,000.00 CNY and apologise for the delay."),
		click(`#propose`),
		visible(`#approval`))
	b.shot(agent, "case-proposed")

	// 3. The supervisor does not see it among their approvals, and is
	// refused when they try anyway: the limit is the workflow's.
	sup := b.tab("supervisor", 1280, 900)
	b.signIn(sup, supTok)
	b.run(sup, click(`#tab-approvals`), visible(`#inbox-body .empty`))
	var casePath string
	b.run(agent, chromedp.Evaluate(`location.pathname`, &casePath))
	b.run(sup, chromedp.Navigate(b.base+casePath), visible(`#approval-not-yours`))
	b.expectFailedCall("/approvals")
	b.run(sup, click(`#approve`))
	if msg := b.text(sup, `#approval-form .form-error`); !strings.Contains(msg, "limit does not cover") || !strings.Contains(msg, "manager") {
		t.Errorf("supervisor's refusal says %q", msg)
	}
	b.shot(sup, "case-supervisor-refused")

	// 4. The manager approves from the approvals inbox.
	mgr := b.tab("manager", 1280, 900)
	b.signIn(mgr, mgrTok)
	row := `#inbox-body tr[data-case="` + number + `"]`
	b.run(mgr, visible(row))
	if amount := b.text(mgr, row+` td.amount`); !strings.Contains(amount, "5,000.00") {
		t.Errorf("approvals inbox shows amount %q", amount)
	}
	b.shot(mgr, "inbox-approvals")
	b.run(mgr, click(row+` a.case-link`), visible(`#approval-form`),
		keys(`#approval-form [name=comment]`, "Checked the return record."),
		click(`#approve`), gone(`#approval-form`))
	b.until(mgr, "the remedy executed", `!!document.querySelector('[data-status=awaiting_customer]')`)
	b.shot(mgr, "case-approved")

	// 5. The customer accepts on the tracking page and answers the survey.
	b.run(customer, chromedp.Navigate(trackURL))
	b.until(customer, "the proposal on the tracking page", `!!document.querySelector('#proposal')`)
	b.shot(customer, "track-proposal")
	b.run(customer, click(`#accept`))
	b.until(customer, "the survey link", `!!document.querySelector('#survey-link')`)
	b.shot(customer, "track-closed")
	b.run(customer, click(`#survey-link`), visible(`#survey-form`),
		click(`#survey-form input[name=score][value="5"]`), poll(`document.querySelector('#survey-form input[name=score]:checked')?.value === '5'`),
		keys(`#survey-form [name=comment]`, "Sorted once the right person saw it."),
		click(`#survey-form button[type=submit]`), visible(`#survey-thanks`))
	b.noHorizontalScroll(customer, "the survey page")
	b.shot(customer, "survey-answered")

	// 6. The manager's dashboard and search; the console in Chinese.
	b.run(mgr, chromedp.Navigate(b.base+"/console/dashboard"), visible(`#chart-category svg rect`))
	if got := b.text(mgr, `#kpi-received`); got != "1" {
		t.Errorf("dashboard: received = %q, want 1", got)
	}
	if got := b.text(mgr, `#kpi-satisfaction`); !strings.HasPrefix(got, "5.0") {
		t.Errorf("dashboard: satisfaction = %q, want 5.0", got)
	}
	b.shot(mgr, "dashboard")
	b.run(mgr, chromedp.Navigate(b.base+"/console/search?status=closed"), visible(`tr[data-case="`+number+`"]`))
	b.shot(mgr, "search")
	b.run(mgr, chromedp.Navigate(b.base+casePath+"?lang=zh"), visible(`#timeline`))
	if h := b.text(mgr, `#timeline h2`); !strings.Contains(h, "处理记录") {
		t.Errorf("Chinese case page: timeline heading %q", h)
	}
	b.shot(mgr, "case-closed-zh")

	// A case filed in Chinese shows its tracking page in Chinese, although
	// this browser chose English before.
	var zhCase struct {
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", map[string]any{"customer": map[string]any{"id": "c-zh", "name": "王芳", "phone": "13800000000"},
		"channel": "web", "subject": "电费多收", "description": "这个月的电费账单多收了两次", "language": "zh"}, &zhCase)
	b.run(customer, chromedp.Navigate(b.base+"/track/"+zhCase.TrackingToken), visible(`#status`))
	var lang string
	b.run(customer, chromedp.Evaluate(`document.documentElement.lang`, &lang))
	if lang != "zh" || !strings.Contains(b.text(customer, `#track h1`), "投诉处理进度") {
		t.Errorf("a Chinese case's tracking page is in %q", lang)
	}
	b.shot(customer, "track-zh")

	// The rows agree with what the pages said.
	var status, outcome string
	var score, payouts int
	var paid int64
	ctx := context.Background()
	if err := s.app.Store.Pool.QueryRow(ctx, `SELECT status, outcome, survey_score FROM cases WHERE case_number = $1`, number).
		Scan(&status, &outcome, &score); err != nil {
		t.Fatal(err)
	}
	if status != complaint.StatusClosed || outcome != "accepted" || score != 5 {
		t.Errorf("case row: status %s, outcome %s, score %d", status, outcome, score)
	}
	if err := s.app.Store.Pool.QueryRow(ctx, `SELECT count(*), COALESCE(sum(amount_minor), 0) FROM ledger`).Scan(&payouts, &paid); err != nil {
		t.Fatal(err)
	}
	if payouts != 1 || paid != 5000_00 {
		t.Errorf("ledger: %d payouts of %d in all, want one of 500000", payouts, paid)
	}
	b.mu.Lock()
	if len(b.expect) > 0 {
		t.Errorf("expected failed calls that did not happen: %v", b.expect)
	}
	b.mu.Unlock()
}
