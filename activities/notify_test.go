package activities_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
	"github.com/complaint-handling/complaints/workflows"
)

// sampleParams are realistic values of every template parameter, none of
// them Latin text except what a customer may legitimately see in Chinese
// (a case number, a URL, a time zone's abbreviation).
func sampleParams(regulator, amount string) map[string]string {
	return map[string]string{
		"case_number": "CMP-20260302-000017", "handler": "", "team": "billing", "due": "2026-03-09 18:00 CST",
		"confirm_by": "2026-03-19 18:00 CST", "deemed_at": "2026-03-19 18:00 CST", "question": "请提供账单截图",
		"message": "我们将退还多收的电费，并向您致歉。", "amount": amount, "regulator": regulator, "status": complaint.StatusInvestigating,
		"reason": "需要调取通话录音", "survey_url": "https://complaints.example.com/survey/AbC-12_x", "tracking_url": "https://complaints.example.com/track/AbC-12_x", "remedies": "refund,goodwill",
		"remedy": "repair", "note": "缺少配件", "comment": "金额过高", "clock": "resolve", "elapsed": "80%",
		"dimension": "category", "value": "电费账单", "recent": "12", "usual": "2.5", "linked": "12", "incident_id": "7", "kind": "threats",
		"continues_as": "CMP-20260302-000018", "from": "CMP-20260302-000019",
	}
}

// allowed are the tokens a Chinese text may contain in Latin letters: case
// numbers, URLs, ISO currency codes, time zone abbreviations after a time.
var allowed = regexp.MustCompile(`CMP-\d{8}-\d{6}|https?://\S+|\b[A-Z]{3}\b|\d{2}:\d{2} [A-Z]{2,5}\b`)

var latin = regexp.MustCompile(`[A-Za-z]+`)

// TestChineseTextsHaveNoEnglish renders every message kind, customer's and
// staff's, in Chinese under every built-in profile's regulator, and fails
// on any Latin word outside the allowed tokens, and any placeholder left.
func TestChineseTextsHaveNoEnglish(t *testing.T) {
	var regs []string
	for _, p := range clock.Profiles() {
		regs = append(regs, p.Regulator)
	}
	kinds := activities.MessageKinds()
	if len(kinds.Customer) < 20 || len(kinds.Staff) < 20 {
		t.Fatalf("kinds = %+v", kinds)
	}
	check := func(t *testing.T, what, text string) {
		t.Helper()
		if strings.Contains(text, "{") {
			t.Errorf("%s: placeholder left: %q", what, text)
		}
		if w := latin.FindAllString(allowed.ReplaceAllString(text, ""), -1); len(w) > 0 {
			t.Errorf("%s: English %q in Chinese text %q", what, w, text)
		}
	}
	for _, reg := range regs {
		for _, amount := range []string{"120.00 CNY", "0.00"} {
			for audience, list := range map[string][]string{"customer": kinds.Customer, "staff": kinds.Staff} {
				for _, k := range list {
					m := complaint.Message{Audience: audience, Kind: k, Params: sampleParams(reg, amount)}
					subject, body, err := activities.RenderText(m, "zh")
					if err != nil {
						t.Fatal(err)
					}
					check(t, audience+" "+k, subject)
					check(t, audience+" "+k+" ("+reg+")", body)
					enS, enB, _ := activities.RenderText(m, "en")
					if strings.Contains(enS+enB, "{") {
						t.Errorf("%s %s in English: %q %q", audience, k, enS, enB)
					}
				}
			}
		}
	}
}

// TestResolutionWording: money reads "120.00 元" in Chinese, and an
// apology-only resolution says nothing about compensation.
func TestResolutionWording(t *testing.T) {
	for _, tc := range []struct {
		name, lang, amount, want, not string
	}{
		{"yuan", "zh", "120.00 CNY", "补偿合计：120.00 元。", "CNY"},
		{"apology only zh", "zh", "0.00", "请在", "补偿合计"},
		{"apology only en", "en", "0.00", "Please tell us by", "Total compensation"},
		{"en keeps the code", "en", "1,234.50 CNY", "Total compensation: 1,234.50 CNY.", "元"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := activities.Render(complaint.Message{Audience: "customer", Kind: "resolution",
				Params: sampleParams("the relevant regulator or ombudsman", tc.amount)}, tc.lang)
			if err != nil || !strings.Contains(n.Body, tc.want) || strings.Contains(n.Body, tc.not) {
				t.Errorf("body = %q, %v; want %q and no %q", n.Body, err, tc.want, tc.not)
			}
		})
	}
	n, _ := activities.Render(complaint.Message{Audience: "customer", Kind: "final_response",
		Params: sampleParams("the relevant regulator or ombudsman", "")}, "zh")
	if !strings.Contains(n.Body, "相关监管部门") {
		t.Errorf("final response = %q", n.Body)
	}
}

// TestCustomersNeverSeeLoginIDs: the handler is named by the staff
// directory's display name, or by the team when the directory holds only
// the login id (#18: a token's sub reached a customer's message).
func TestCustomersNeverSeeLoginIDs(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	acts := &activities.Activities{Store: st}
	for _, tc := range []struct {
		id, name, wantZh, wantEn string
	}{
		{"u-83f2a1", "u-83f2a1", "由账务组负责处理", "handled by our billing and payments team"},
		{"u-83f2a1", "王芳", "由王芳负责处理", "handled by 王芳"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A confirmed member (only they take cases), whose display
			// name in the directory is tc.name.
			if _, err := st.RegisterStaff(ctx, tc.id, tc.name, complaint.RoleAgent, "billing"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Pool.Exec(ctx, `UPDATE staff SET name = $2 WHERE id = $1`, tc.id, tc.name); err != nil {
				t.Fatal(err)
			}
			as, err := acts.AssignCase(ctx, workflows.AssignInput{CaseID: "c", Category: "billing", Team: "billing"})
			if err != nil || as.Assignee != tc.id {
				t.Fatalf("assign = %+v, %v", as, err)
			}
			for lang, want := range map[string]string{"zh": tc.wantZh, "en": tc.wantEn} {
				n, err := activities.Render(complaint.Message{Audience: "customer", Kind: "acknowledgement",
					Params: map[string]string{"case_number": "CMP-1", "handler": as.Name, "team": as.Team, "due": "2026-03-09 18:00 CST"}}, lang)
				if err != nil || !strings.Contains(n.Body, want) || strings.Contains(n.Body, tc.id) {
					t.Errorf("%s: %q, %v; want %q and never %q", lang, n.Body, err, want, tc.id)
				}
			}
		})
	}
}

// TestEveryClockHasItsNameInBothLanguages renders a staff warning for each
// clock any built-in profile runs (its registration clocks, its appeal
// clock, and the fulfilment clock), so a clock added without its words
// does not reach a Chinese message as an English identifier.
func TestEveryClockHasItsNameInBothLanguages(t *testing.T) {
	names := map[string]bool{"fulfilment": true}
	for _, n := range complaint.ClockNames() {
		names[n] = true
	}
	for _, p := range clock.Profiles() {
		for _, s := range p.Clocks {
			names[s.Clock] = true
		}
		if p.Appeal != nil {
			names[p.Appeal.Clock] = true
		}
	}
	for name := range names {
		params := sampleParams("the relevant regulator or ombudsman", "120.00 CNY")
		params["clock"] = name
		m := complaint.Message{Audience: "staff", Kind: "clock_warning", Params: params}
		_, zh, err := activities.RenderText(m, "zh")
		if err != nil {
			t.Fatal(err)
		}
		if w := latin.FindAllString(allowed.ReplaceAllString(zh, ""), -1); len(w) > 0 {
			t.Errorf("clock %s: English %q in %q", name, w, zh)
		}
		_, en, _ := activities.RenderText(m, "en")
		if strings.Contains(en, name+" ") && !strings.Contains(en, " clock") {
			t.Errorf("clock %s: no words for it in English: %q", name, en)
		}
	}
}
