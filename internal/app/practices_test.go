package app_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// fieldCodes is a 422's bad fields as "field:code".
type fieldCodes struct {
	Errors []struct{ Field, Code string } `json:"errors"`
}

func (f fieldCodes) list() []string {
	var out []string
	for _, e := range f.Errors {
		out = append(out, e.Field+":"+e.Code)
	}
	return out
}

// practiceCase is the case view fields the practices' tests read.
type practiceCase struct {
	Status      string `json:"status"`
	Outcome     string `json:"outcome"`
	AbuseCount  int    `json:"abuse_count"`
	Restriction *struct {
		Handler     string `json:"handler"`
		WrittenOnly bool   `json:"written_only"`
	} `json:"restriction"`
	CustomerScript *struct {
		Text string `json:"text"`
	} `json:"customer_script"`
	Timeline []struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	} `json:"timeline"`
	Messages []struct {
		Audience string `json:"audience"`
		Kind     string `json:"kind"`
	} `json:"messages"`
}

// TestScriptsThroughTheAPI runs the script library against the real
// stack: a script with an unknown or malformed variable is refused naming
// each problem; an agent proposes and cannot approve, a supervisor cannot
// approve their own proposal, another supervisor approves; a proposed
// (unapproved) script cannot be used on a case, an approved one is
// rendered with the case's values, edited and sent as a refusal, and the
// case records which script, version and that it was edited; the usage
// report counts it.
func TestScriptsThroughTheAPI(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-ann", "agent", "billing")
	sue := s.token("sup-sue", "supervisor", "billing")
	sam := s.token("sup-sam", "supervisor", "billing")
	for _, tok := range []string{agent, sue, sam} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}

	var list struct {
		Scripts []struct{ Key, Stage, Language, Status string } `json:"scripts"`
	}
	s.must(200, "GET", "/v1/scripts?stage=refusal&language=zh&status=approved", agent, nil, &list)
	if len(list.Scripts) != 1 || list.Scripts[0].Key != "refusal-zh" {
		t.Errorf("approved zh refusal scripts = %+v, want the seeded one", list.Scripts)
	}

	var bad fieldCodes
	s.must(422, "POST", "/v1/scripts", agent, map[string]any{"stage": "rant", "language": "zh", "title": "x", "body": "您好{customer_nmae}，{"}, &bad)
	if got, want := bad.list(), []string{"stage:one_of", "body:unknown_variable", "body:malformed_variable"}; !slices.Equal(got, want) {
		t.Errorf("bad script refused with %v, want %v", got, want)
	}

	var proposed struct {
		Key     string `json:"key"`
		Version int    `json:"version"`
		Status  string `json:"status"`
	}
	draft := map[string]any{"stage": "refusal", "category": "billing", "language": "en", "title": "No daily reminder calls",
		"body": "Dear {customer_name}, about {case_number}: we remind every customer the same way, and we cannot call you every day."}
	s.must(201, "POST", "/v1/scripts", agent, draft, &proposed)
	if proposed.Status != complaint.ScriptProposed || proposed.Version != 1 {
		t.Fatalf("proposed = %+v", proposed)
	}
	approve := "/v1/scripts/" + proposed.Key + "/versions/1/approval"
	s.must(403, "POST", approve, agent, nil, nil)

	var own struct{ Key string }
	s.must(201, "POST", "/v1/scripts", sue, map[string]any{"stage": "closing", "language": "en", "title": "Mine", "body": "Closed: {case_number}."}, &own)
	s.must(403, "POST", "/v1/scripts/"+own.Key+"/versions/1/approval", sue, nil, nil)

	// A case, and the script used on it before it is approved.
	var created struct {
		ID            string `json:"id"`
		CaseNumber    string `json:"case_number"`
		TrackingToken string `json:"tracking_token"`
	}
	body := map[string]any{}
	for k, v := range complaintBody {
		body[k] = v
	}
	body["customer"] = map[string]any{"id": "cust-scripts", "name": "Zhang Wei", "email": "zhang.wei@example.com"}
	body["order_ref"] = "ORD-SCRIPTS"
	s.must(201, "POST", "/v1/complaints", "", body, &created)
	id := created.ID
	waitStatus := func(want string) {
		eventually(t, want, func() bool {
			var tr struct{ Status string }
			s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
			return tr.Status == want
		})
	}
	waitStatus(complaint.StatusAcknowledged)
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", agent, map[string]any{"cause": "billing.none", "cause_detail": "billing.none.two_orders",
		"responsibility": "customer", "summary": "The reminders were sent as the policy says."}, nil)
	refusal := map[string]any{"refusal_reason": "Daily calls are not part of the service.", "message": "We cannot call you every day.",
		"script": map[string]any{"key": proposed.Key, "version": 1}}
	bad = fieldCodes{}
	s.must(422, "POST", "/v1/complaints/"+id+"/proposal", agent, refusal, &bad)
	if got := bad.list(); !slices.Equal(got, []string{"script.key:script_not_approved"}) {
		t.Errorf("an unapproved script used: %v", got)
	}
	s.must(404, "POST", "/v1/complaints/"+id+"/scripts/"+proposed.Key+"/render", agent, nil, nil)

	s.must(200, "POST", approve, sam, nil, nil)
	s.must(409, "POST", approve, sue, nil, nil)
	var rendered struct {
		Version int      `json:"version"`
		Text    string   `json:"text"`
		Missing []string `json:"missing"`
	}
	s.must(200, "POST", "/v1/complaints/"+id+"/scripts/"+proposed.Key+"/render", agent, nil, &rendered)
	if !strings.Contains(rendered.Text, "Dear Zhang Wei, about "+created.CaseNumber+":") || len(rendered.Missing) != 0 {
		t.Errorf("rendered = %+v", rendered)
	}
	// A refusal script for a proposal with remedies is the wrong stage.
	bad = fieldCodes{}
	s.must(422, "POST", "/v1/complaints/"+id+"/proposal", agent, map[string]any{"remedies": []map[string]any{{"type": "apology"}},
		"message": rendered.Text, "script": map[string]any{"key": proposed.Key, "version": 1}}, &bad)
	if got := bad.list(); !slices.Equal(got, []string{"script.key:one_of"}) {
		t.Errorf("a refusal script on remedies: %v", got)
	}
	refusal["message"] = rendered.Text + "\nWe are sorry for the trouble."
	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", agent, refusal, nil)

	var view practiceCase
	s.must(200, "GET", "/v1/complaints/"+id, agent, nil, &view)
	var used struct {
		Proposal struct {
			Script *complaint.ScriptUse `json:"script"`
		} `json:"proposal"`
	}
	for _, e := range view.Timeline {
		if e.Type == "proposed" {
			_ = json.Unmarshal(e.Payload, &used)
		}
	}
	if u := used.Proposal.Script; u == nil || u.Key != proposed.Key || u.Version != 1 || !u.Edited {
		t.Errorf("the proposal's event records the script %+v, want %s v1 edited", u, proposed.Key)
	}

	// An edit is a new version, proposed; the approved one stays usable
	// and the old version stays readable.
	draft["key"], draft["body"] = proposed.Key, "Dear {customer_name}: we follow the same rules for everyone on {case_number}."
	s.must(201, "POST", "/v1/scripts", agent, draft, &proposed)
	var versions struct {
		Versions []struct {
			Version int
			Status  string
		} `json:"versions"`
		Trail []struct{ Type, Actor string } `json:"trail"`
	}
	s.must(200, "GET", "/v1/scripts/"+proposed.Key+"/versions", agent, nil, &versions)
	if len(versions.Versions) != 2 || versions.Versions[0].Status != "proposed" || versions.Versions[1].Status != "approved" || len(versions.Trail) != 3 {
		t.Errorf("versions = %+v", versions)
	}

	var report struct {
		Usage []struct {
			Key          string
			Version      int
			Uses, Edited int
		} `json:"usage"`
	}
	month := time.Now().UTC().Format("2006-01")
	s.must(403, "GET", "/v1/reports/scripts?month="+month, agent, nil, nil)
	s.must(200, "GET", "/v1/reports/scripts?month="+month, sue, nil, &report)
	if len(report.Usage) != 1 || report.Usage[0].Key != proposed.Key || report.Usage[0].Uses != 1 || report.Usage[0].Edited != 1 {
		t.Errorf("usage = %+v", report.Usage)
	}
}

// TestAbuseRestrictionAndUnreasonableClosureThroughTheAPI: an agent
// records abuse and the customer gets the approved warning; the abuse
// report is for managers (an agent is refused) and names who received it;
// only a supervisor restricts contact, naming a senior handler, and sets
// the script for this customer, both shown on the case; only a manager
// closes the case as unreasonable and persistent, and the customer's
// appeal reopens it.
func TestAbuseRestrictionAndUnreasonableClosureThroughTheAPI(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-ann", "agent", "billing")
	sue := s.token("sup-sue", "supervisor", "billing")
	sam := s.token("sup-sam", "supervisor", "billing")
	max := s.token("mgr-max", "manager", "billing")
	for _, tok := range []string{agent, sue, sam, max} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	body := map[string]any{
		"customer": map[string]any{"id": "cust-abuse", "name": "王芳", "phone": "13912345678"},
		"channel":  "phone", "subject": "退保", "description": "犹豫期过了也要退保，理由是没有每天打电话提醒我",
		"desired_remedy": "全额退保", "language": "zh",
	}
	s.must(201, "POST", "/v1/complaints", agent, body, &created)
	id := created.ID
	waitStatus := func(want string) {
		eventually(t, want, func() bool {
			var tr struct{ Status string }
			s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
			return tr.Status == want
		})
	}
	waitStatus(complaint.StatusAcknowledged)

	var bad fieldCodes
	s.must(422, "POST", "/v1/complaints/"+id+"/abuse", agent, map[string]any{"kind": "rude", "at": "yesterday"}, &bad)
	if got, want := bad.list(), []string{"at:not_a_time", "kind:one_of", "evidence:required"}; !slices.Equal(got, want) {
		t.Errorf("bad abuse record refused with %v, want %v", got, want)
	}
	var view practiceCase
	s.must(200, "POST", "/v1/complaints/"+id+"/abuse", agent, map[string]any{"kind": "insults", "evidence": "“你们这些废物”，每天三次来电",
		"at": time.Now().Add(-10 * time.Minute).Format(time.RFC3339)}, &view)
	if view.AbuseCount != 1 {
		t.Errorf("abuse count = %d", view.AbuseCount)
	}
	warned := slices.ContainsFunc(view.Messages, func(m struct {
		Audience string `json:"audience"`
		Kind     string `json:"kind"`
	}) bool {
		return m.Audience == "customer" && m.Kind == "abuse_warning"
	})
	if !warned {
		t.Errorf("no warning to the customer among %+v", view.Messages)
	}
	msgs, err := s.app.Store.CustomerMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(msgs, func(m store.Message) bool {
		return strings.Contains(m.Body, "王芳") && strings.Contains(m.Body, "书面方式")
	}) {
		t.Errorf("the customer's messages lack the filled-in zh warning: %+v", msgs)
	}

	month := time.Now().UTC().Format("2006-01")
	s.must(403, "GET", "/v1/reports/abuse?month="+month, agent, nil, nil)
	var abuse struct {
		Rows []struct {
			Team       string `json:"team"`
			ReceivedBy string `json:"received_by"`
			Contacts   int    `json:"contacts"`
			Insults    int    `json:"insults"`
		} `json:"rows"`
	}
	s.must(200, "GET", "/v1/reports/abuse?month="+month, sue, nil, &abuse)
	if len(abuse.Rows) != 1 || abuse.Rows[0].ReceivedBy != "agent-ann" || abuse.Rows[0].Contacts != 1 || abuse.Rows[0].Insults != 1 {
		t.Errorf("abuse report = %+v", abuse.Rows)
	}

	review := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	restriction := map[string]any{"handler": "agent-ann", "written_only": true, "review_on": review, "reason": "abuse on the phone"}
	s.must(403, "POST", "/v1/complaints/"+id+"/restriction", agent, restriction, nil)
	bad = fieldCodes{}
	s.must(422, "POST", "/v1/complaints/"+id+"/restriction", sue, restriction, &bad)
	if got := bad.list(); !slices.Equal(got, []string{"handler:not_supervisor"}) {
		t.Errorf("a junior handler named: %v", got)
	}
	restriction["handler"] = "sup-sam"
	s.must(200, "POST", "/v1/complaints/"+id+"/restriction", sue, restriction, nil)
	s.must(403, "POST", "/v1/complaints/"+id+"/customer-script", agent, map[string]any{"text": "x"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/customer-script", sue, map[string]any{"text": "按规定提醒，无法每日来电；只由孙主管书面答复。"}, nil)
	s.must(200, "GET", "/v1/complaints/"+id, agent, nil, &view)
	if view.Restriction == nil || view.Restriction.Handler != "sup-sam" || !view.Restriction.WrittenOnly || view.CustomerScript == nil || !strings.Contains(view.CustomerScript.Text, "书面") {
		t.Errorf("banners: restriction %+v, script %+v", view.Restriction, view.CustomerScript)
	}

	s.must(200, "POST", "/v1/complaints/"+id+"/findings", sam, map[string]any{"cause": "service.expectation", "cause_detail": "service.expectation.daily_reminder",
		"responsibility": "customer", "summary": "Reminders were all sent; daily calls were never promised."}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", sam, map[string]any{"refusal_reason": "不符合退保条件", "message": "无法退保。"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/approvals", sue, map[string]any{"decision": "approve"}, nil)
	waitStatus(complaint.StatusAwaitingCustomer)
	s.must(403, "POST", "/v1/complaints/"+id+"/unreasonable-closure", sue, map[string]any{"reason": "persistent"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/unreasonable-closure", max, map[string]any{"reason": "Three months of calls on a refused demand."}, &view)
	if view.Status != complaint.StatusClosed || view.Outcome != complaint.OutcomeUnreasonable {
		t.Errorf("after closing: %s %s", view.Status, view.Outcome)
	}
	s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/response", "", map[string]any{"decision": "reject", "comment": "我要申诉"}, nil)
	waitStatus(complaint.StatusInvestigating)
}
