package app_test

import (
	"github.com/complaint-handling/complaints/complaint"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestErrorDetailsInThePagesLanguage checks a Chinese page words the API's
// field errors in Chinese, from their codes and parameters, on the
// customer's form, tracking page and survey and the console's case page,
// in headless Chromium against the real stack; the same error on an
// English page reads in English.
func TestErrorDetailsInThePagesLanguage(t *testing.T) {
	s := startStack(t)
	agentTok := s.token("agent-lin", "agent", "billing")
	s.must(200, "GET", "/v1/me", agentTok, nil, nil)
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", agentTok, map[string]any{
		"customer": map[string]any{"id": "cust-lin", "name": "林静", "phone": "13900001111"},
		"channel":  "phone", "subject": "账单重复扣费", "description": "同一笔电费被扣了两次，客服说会退回但一直没有到账。",
		"language": "zh", "received_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
	}, &created)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/assign", agentTok, map[string]any{"assignee": "agent-lin"}, nil)
	b := newBrowser(t, s.base)
	// chinese reports whether text is Chinese words with no English word
	// in them (codes and the like aside, such as claims.slow in an example).
	english := regexp.MustCompile(`\b(is|must|be|required|the|a|an|or|only|may|contain|give|refine)\b`)
	chinese := func(what, text, want string) {
		t.Helper()
		if !strings.Contains(text, want) || english.MatchString(text) {
			t.Errorf("%s reads %q; want Chinese with %q and no English", what, text, want)
		}
	}

	// 1. The complaint form in Chinese: every field error in Chinese.
	customer := b.tab("customer", 390, 844)
	b.run(customer, chromedp.Navigate(b.base+"/?lang=zh"), visible(`#complaint-form`))
	b.expectFailedCall("/v1/complaints")
	b.run(customer, click(`#complaint-form button[type=submit]`), poll(`document.querySelector('[data-field="customer.name"]').textContent !== ''`))
	chinese("the empty form's name error", b.text(customer, `[data-field="customer.name"]`), "姓名: 必填")
	chinese("the empty form's contact error", b.text(customer, `[data-field~="customer.phone"]`), "请填写手机号码或电子邮箱")
	chinese("the empty form's subject error", b.text(customer, `[data-field="subject"]`), "必填")
	b.expectFailedCall("/v1/complaints")
	b.run(customer, keys(`[name="customer.name"]`, "林静"), keys(`[name="customer.phone"]`, "call me"),
		keys(`[name="customer.email"]`, "lin@"), click(`#complaint-form button[type=submit]`),
		poll(`document.querySelector('[data-field~="customer.phone"]').textContent.includes('数字')`))
	chinese("a bad phone number's error", b.text(customer, `[data-field~="customer.phone"]`), "只能包含数字")
	chinese("a bad email address's error", b.text(customer, `[data-field="customer.email"]`), "不是有效的电子邮箱地址")
	b.shot(customer, "form-errors-zh")

	// 2. The console's case page in Chinese: the workflow's own check.
	agent := b.tab("agent", 1280, 900)
	b.signIn(agent, agentTok)
	b.run(agent, chromedp.Navigate(b.base+"/console/cases/"+created.ID+"?lang=zh"), visible(`[data-action=findings]`))
	b.expectFailedCall("/findings")
	b.run(agent, keys(`[data-action=findings] [name=cause]`, "billing.duplicate"),
		keys(`[data-action=findings] [name=cause_detail]`, "meter.read_twice"),
		choose(`[data-action=findings] [name=responsibility]`, "company"),
		keys(`[data-action=findings] [name=summary]`, "抄表系统重复计费。"),
		click(`[data-action=findings] button[type=submit]`),
		poll(`document.querySelector('[data-action=findings] [data-field=cause_detail]').textContent !== ''`))
	chinese("findings' cause_detail error", b.text(agent, `[data-action=findings] [data-field=cause_detail]`), "必须是原因的细分")
	chinese("findings' responsible_unit error", b.text(agent, `[data-action=findings] [data-field=responsible_unit]`), "必填")
	b.shot(agent, "case-findings-errors-zh")

	// 3. The same refusal on an English page reads in English.
	b.run(agent, chromedp.Navigate(b.base+"/console/cases/"+created.ID+"?lang=en"), visible(`[data-action=findings]`))
	b.expectFailedCall("/findings")
	b.run(agent, keys(`[data-action=findings] [name=cause]`, "billing.duplicate"),
		keys(`[data-action=findings] [name=cause_detail]`, "meter.read_twice"),
		keys(`[data-action=findings] [name=summary]`, "Billed twice."),
		click(`[data-action=findings] button[type=submit]`),
		poll(`document.querySelector('[data-action=findings] [data-field=cause_detail]').textContent !== ''`))
	if msg := b.text(agent, `[data-action=findings] [data-field=cause_detail]`); !strings.Contains(msg, "must refine cause") {
		t.Errorf("the English page's cause_detail error reads %q", msg)
	}
	// 4. The tracking page (the case is in Chinese): an empty answer to a
	// request for information.
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/request-info", agentTok, map[string]any{"question": "请提供两次扣费的日期"}, nil)
	b.run(customer, chromedp.Navigate(b.base+"/track/"+created.TrackingToken))
	b.until(customer, "the request for information", `!!document.querySelector('#info-form')`)
	b.expectFailedCall("/info")
	b.run(customer, click(`#info-form button[type=submit]`), poll(`document.querySelector('#info-form [data-field=answer]').textContent !== ''`))
	chinese("the empty answer's error", b.text(customer, `#info-form [data-field=answer]`), "必填")
	b.shot(customer, "track-info-error-zh")

	var tr struct {
		Status   string                        `json:"status"`
		Messages []struct{ Kind, Body string } `json:"messages"`
	}
	s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
	if tr.Status != complaint.StatusAwaitingInfo {
		t.Errorf("the refused decisions changed the case: %s", tr.Status)
	}

	// 5. A rejection without a reason on the tracking page, then a survey
	// without a score: the answer, an apology approved by a supervisor.
	supTok := s.token("sup-zhou", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", supTok, nil, nil)
	s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/info", "", map[string]any{"answer": "11月3日和11月5日"}, nil)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/findings", agentTok, map[string]any{"cause": "billing.duplicate",
		"cause_detail": "billing.duplicate.meter_read_twice", "responsibility": "customer", "summary": "两次扣费是两个月的电费。"}, nil)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/proposal", agentTok, map[string]any{
		"remedies": []map[string]any{{"type": "explanation"}}, "message": "两笔扣费分别是十月和十一月的电费，明细见附件。"}, nil)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/approvals", supTok, map[string]any{"decision": "approve"}, nil)
	b.run(customer, chromedp.Navigate(b.base+"/track/"+created.TrackingToken))
	b.until(customer, "the proposal", `!!document.querySelector('#proposal')`)
	b.expectFailedCall("/response")
	b.run(customer, click(`#reject`), click(`#send-reject`),
		poll(`document.querySelector('#response-form [data-field=comment]').textContent !== ''`))
	chinese("a rejection without a reason", b.text(customer, `#response-form [data-field=comment]`), "请说明理由")
	b.shot(customer, "track-reject-error-zh")
	b.run(customer, click(`#accept`))
	var surveyToken string
	eventually(t, "survey sent", func() bool {
		tr.Messages = nil
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
		for _, m := range tr.Messages {
			if l := regexp.MustCompile(`/survey/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Body); m.Kind == "survey" && l != nil {
				surveyToken = l[1]
			}
		}
		return surveyToken != ""
	})
	b.run(customer, chromedp.Navigate(b.base+"/survey/"+surveyToken), visible(`#survey-form`))
	b.expectFailedCall("/v1/surveys/")
	b.run(customer, click(`#survey-form button[type=submit]`),
		poll(`document.querySelector('#survey-form [data-field=score]').textContent !== ''`))
	chinese("a survey without a score", b.text(customer, `#survey-form [data-field=score]`), "必须在 1 到 5 之间")
	b.shot(customer, "survey-error-zh")
}
