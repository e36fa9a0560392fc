package app_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/complaint-handling/complaints/complaint"
)

// TestPartiesCallsAndMergeInTheConsole drives the console in headless
// Chromium against the real stack: on a case a salesperson filed, the
// parties panel shows the first receiver and the hand-over; a handler
// adds the customer's daughter (after a bad email is named beside its
// field), logs a call that reached the customer (the first_contact clock
// shows met), and a supervisor merges the customer's second case into it.
// Screenshots under $TEST_ARTIFACTS/browser; any console error fails.
func TestPartiesCallsAndMergeInTheConsole(t *testing.T) {
	s := startStack(t)
	sales := s.token("sales-zhou", "agent", "sales")
	agentTok := s.token("agent-li", "agent", "billing")
	supTok := s.token("sup-sue", "supervisor", "billing")
	for _, tok := range []string{sales, agentTok, supTok} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	body := map[string]any{}
	for k, v := range complaintBody {
		body[k] = v
	}
	body["customer"] = map[string]any{"id": "cust-console", "name": "Zhang Wei", "phone": "+86 139 1234 5678", "email": "zhang.wei@example.com"}
	body["order_ref"] = "ORD-CONSOLE-1"
	var first, second struct {
		ID         string `json:"id"`
		CaseNumber string `json:"case_number"`
	}
	s.must(201, "POST", "/v1/complaints", sales, body, &first)
	body["order_ref"], body["channel"], body["subject"] = "ORD-CONSOLE-2", "phone", "Rang about the same refund"
	s.must(201, "POST", "/v1/complaints", sales, body, &second)
	for _, id := range []string{first.ID, second.ID} {
		eventually(t, "acknowledged", func() bool {
			var c liveCase
			s.must(200, "GET", "/v1/complaints/"+id, supTok, nil, &c)
			return c.Status == complaint.StatusAcknowledged
		})
	}
	s.must(200, "POST", "/v1/complaints/"+first.ID+"/assign", supTok, map[string]any{"assignee": "agent-li"}, nil)

	b := newBrowser(t, s.base)
	agent := b.tab("agent", 1280, 900)
	b.signIn(agent, agentTok)
	b.run(agent, chromedp.Navigate(s.base+"/console/cases/"+first.ID+"?lang=en"), visible(`#parties li[data-kind=first_receiver]`), visible(`#handover`))
	if got := b.text(agent, `#handover`); !strings.Contains(got, "sales-zhou") || !strings.Contains(got, "agent-li") {
		t.Errorf("hand-over reads %q", got)
	}
	b.shot(agent, "parties-panel")

	// A relative with a bad email: the field says so; then corrected.
	b.expectFailedCall("/parties")
	b.run(agent, click(`[data-action=add-party] summary`), choose(`#add-party [name=kind]`, "relative"),
		keys(`#add-party [name=name]`, "Zhang Min"), keys(`#add-party [name=relation]`, "daughter"),
		keys(`#add-party [name=email]`, "not-an-email"), click(`#add-party button[type=submit]`))
	if msg := b.text(agent, `#add-party [data-field=email]`); !strings.Contains(strings.ToLower(msg), "email") {
		t.Errorf("bad email says %q", msg)
	}
	b.shot(agent, "parties-bad-email")
	b.run(agent, chromedp.Evaluate(`document.querySelector('#add-party [name=email]').value = ''`, nil),
		keys(`#add-party [name=email]`, "min@example.com"), click(`#add-party [name=authorised]`),
		click(`#add-party button[type=submit]`), visible(`#parties li[data-kind=relative]`))
	if got := b.text(agent, `#parties li[data-kind=relative]`); !strings.Contains(got, "Zhang Min") || !strings.Contains(got, "authorised") {
		t.Errorf("the relative reads %q", got)
	}
	b.shot(agent, "parties-relative-added")

	// Log a call that reached the customer.
	b.run(agent, click(`[data-action=log-call] summary`), choose(`#log-call [name=outcome]`, "reached"),
		keys(`#log-call [name=note]`, "Apologised; the refund goes out today."), click(`#log-call button[type=submit]`),
		visible(`#timeline li[data-type=call_logged]`))
	b.shot(agent, "call-logged")
	var c liveCase
	s.must(200, "GET", "/v1/complaints/"+first.ID, supTok, nil, &c)
	met := false
	for _, d := range c.Deadlines {
		met = met || d.Clock == complaint.ClockFirstContact && d.Met
	}
	if !met {
		t.Errorf("first_contact not met after the call: %+v", c.Deadlines)
	}

	// The supervisor merges the phone case into the email case.
	sup := b.tab("supervisor", 1280, 900)
	b.signIn(sup, supTok)
	b.run(sup, chromedp.Navigate(s.base+"/console/cases/"+second.ID+"?lang=en"), visible(`[data-action=merge]`),
		click(`[data-action=merge] summary`), keys(`#merge [name=into]`, first.CaseNumber),
		keys(`#merge [name=reason]`, "The same refund, by email and by phone."))
	b.shot(sup, "merge-form")
	b.run(sup, click(`#merge button[type=submit]`), visible(`#timeline li[data-type=merged]`), visible(`#merged-into`))
	b.shot(sup, "merged")
	b.run(sup, chromedp.Navigate(s.base+"/console/cases/"+first.ID+"?lang=en"), visible(`#merged-from`))
	if got := b.text(sup, `#merged-from`); !strings.Contains(got, second.CaseNumber) {
		t.Errorf("the continuing case lists %q", got)
	}
	b.shot(sup, "merged-into-this")
}
