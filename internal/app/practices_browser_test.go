package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/complaint-handling/complaints/complaint"
)

// TestScriptsAndAbuseOnTheCasePage drives the console in Chromium: the
// agent picks the approved refusal script for the case, sees it filled in
// with the customer's name and case number, edits it and sends the
// refusal (the case records the script, its version and the edit); the
// agent records an abusive contact; the supervisor restricts contact and
// sets the script for this customer, and both banners show to whoever
// opens the case. Screenshots are saved as for the other browser tests.
func TestScriptsAndAbuseOnTheCasePage(t *testing.T) {
	s := startStack(t)
	agentTok := s.token("agent-ann", "agent", "billing")
	supTok := s.token("sup-sue", "supervisor", "billing")
	samTok := s.token("sup-sam", "supervisor", "billing")
	for _, tok := range []string{agentTok, supTok, samTok} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	id := s.file("cust-browser-scripts", "ORD-BROWSER-1", nil)
	var cs struct {
		CaseNumber string `json:"case_number"`
	}
	s.must(200, "GET", "/v1/complaints/"+id, agentTok, nil, &cs)
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", agentTok, map[string]any{"cause": "billing.none", "cause_detail": "billing.none.two_orders",
		"responsibility": "customer", "summary": "The refund was paid to the card on file."}, nil)

	b := newBrowser(t, s.base)
	agent := b.tab("agent", 1280, 900)
	b.signIn(agent, agentTok)
	b.run(agent, chromedp.Navigate(b.base+"/console/cases/"+id), visible(`#proposal-form`))
	b.run(agent, click(`#refuse`), keys(`#proposal-form [name=refusal_reason]`, "The refund was already paid to the card on file."),
		poll(`[...document.querySelectorAll('#proposal-form .script-pick option')].some((o) => o.value === 'refusal-en')`),
		choose(`#proposal-form .script-pick`, "refusal-en"),
		poll(`document.querySelector('#proposal-form [name=message]').value.includes('`+cs.CaseNumber+`')`))
	var filled string
	b.run(agent, chromedp.Evaluate(`document.querySelector('#proposal-form [name=message]').value`, &filled))
	if !strings.HasPrefix(filled, "Dear Zhang Wei,") {
		t.Errorf("the script filled in reads %q", filled)
	}
	b.shot(agent, "script-picked")
	b.run(agent, keys(`#proposal-form [name=message]`, " We have attached the bank's reference."))
	b.shot(agent, "script-edited")
	b.run(agent, click(`#propose`), visible(`#approval`))
	b.shot(agent, "script-sent")
	var used struct {
		Key     string
		Version int
		Edited  bool
	}
	if err := s.app.Store.Pool.QueryRow(context.Background(), `SELECT payload->'proposal'->'script'->>'key', (payload->'proposal'->'script'->>'version')::int,
    (payload->'proposal'->'script'->>'edited')::boolean FROM case_events WHERE case_id = $1 AND type = 'proposed'`, id).Scan(&used.Key, &used.Version, &used.Edited); err != nil {
		t.Fatal(err)
	}
	if used.Key != "refusal-en" || used.Version != 1 || !used.Edited {
		t.Errorf("the refusal records script %+v, want refusal-en v1 edited", used)
	}

	// The agent records the abuse they received.
	b.run(agent, click(`[data-action=abuse] summary`), choose(`[data-action=abuse] [name=kind]`, "threats"),
		keys(`[data-action=abuse] [name=evidence]`, "Said he would wait for me outside the office."),
		click(`#record-abuse`), visible(`#abuse-count`))
	b.shot(agent, "abuse-recorded")

	// The supervisor restricts contact and sets the customer's script.
	sup := b.tab("supervisor", 1280, 900)
	b.signIn(sup, supTok)
	b.run(sup, chromedp.Navigate(b.base+"/console/cases/"+id), visible(`#practices`),
		click(`[data-action=restriction] summary`), keys(`[data-action=restriction] [name=handler]`, "sup-sam"),
		click(`[data-action=restriction] [name=written_only]`),
		chromedp.Evaluate(`document.querySelector('[data-action=restriction] [name=review_on]').value = new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10)`, nil),
		keys(`[data-action=restriction] [name=reason]`, "Threats to a colleague."),
		click(`#set-restriction`), visible(`#restriction-banner`),
		click(`[data-action=customer_script] summary`),
		keys(`[data-action=customer_script] [name=text]`, "The refund was paid on 3 May; we do not pay twice. Only Sam answers, in writing."),
		click(`#set-customer-script`), visible(`#customer-script-banner`))
	b.shot(sup, "restriction-banner")

	// Whoever opens the case sees both.
	b.run(agent, chromedp.Reload(), visible(`#restriction-banner`), visible(`#customer-script-banner`))
	if txt := b.text(agent, `#restriction-banner`); !strings.Contains(txt, "sup-sam") || !strings.Contains(txt, "written channels only") {
		t.Errorf("restriction banner reads %q", txt)
	}
	b.shot(agent, "banners-for-the-agent")
	var st string
	_ = s.app.Store.Pool.QueryRow(context.Background(), `SELECT status FROM cases WHERE id = $1`, id).Scan(&st)
	if st != complaint.StatusAwaitingApproval {
		t.Errorf("status %s", st)
	}
}
