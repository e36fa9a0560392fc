package app_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

// partiesView is the part of GET /v1/complaints/{id}/parties these tests
// read.
type partiesView struct {
	Customer struct{ Name, Phone string } `json:"customer"`
	Parties  []struct {
		ID         int    `json:"id"`
		Kind       string `json:"kind"`
		Name       string `json:"name"`
		Phone      string `json:"phone"`
		StaffID    string `json:"staff_id"`
		Authorised bool   `json:"authorised"`
	} `json:"parties"`
	Handover *struct {
		Receiver    string    `json:"receiver"`
		Handler     string    `json:"handler"`
		At          time.Time `json:"at"`
		TookSeconds float64   `json:"took_seconds"`
	} `json:"handover"`
	MergedFrom []struct {
		ID         string `json:"id"`
		CaseNumber string `json:"case_number"`
	} `json:"merged_from"`
	MergedInto *string `json:"merged_into"`
}

// problemFields maps a 422's bad fields to their codes.
type problemFields struct {
	Errors []struct{ Field, Code string } `json:"errors"`
}

func (p problemFields) codes() map[string]string {
	out := map[string]string{}
	for _, e := range p.Errors {
		out[e.Field] = e.Code
	}
	return out
}

// liveCase is what these tests read of a case view.
type liveCase struct {
	ID             string `json:"id"`
	CaseNumber     string `json:"case_number"`
	Status         string `json:"status"`
	Live           bool   `json:"live"`
	Deadlines      []complaint.Deadline
	RepeatContacts []complaint.RepeatContact `json:"repeat_contacts"`
	Timeline       []struct {
		Type    string          `json:"type"`
		At      time.Time       `json:"at"`
		Payload json.RawMessage `json:"payload"`
	} `json:"timeline"`
}

// TestPartiesCallsAndTheHandOverReport: a salesperson files a complaint for
// a customer (the first receiver), a supervisor gives it to a handler; the
// hand-over on the case and in the report agree with the times the test
// reads from the audit trail; a relative is added (bad requests name
// every bad field), masked for an auditor; a call that reached the
// customer meets the first_contact clock.
func TestPartiesCallsAndTheHandOverReport(t *testing.T) {
	s := startStack(t)
	sales := s.token("sales-zhou", "agent", "sales")
	agent := s.token("agent-li", "agent", "billing")
	sup := s.token("sup-sue", "supervisor", "billing")
	auditor := s.token("aud-amy", "auditor", "")
	for _, tok := range []string{sales, agent, sup, auditor} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	body := map[string]any{}
	for k, v := range complaintBody {
		body[k] = v
	}
	body["customer"] = map[string]any{"id": "cust-parties", "name": "Zhang Wei", "phone": "+86 139 1234 5678", "email": "zhang.wei@example.com"}
	body["order_ref"] = "ORD-PARTIES-1"
	var created struct {
		ID string `json:"id"`
	}
	s.must(201, "POST", "/v1/complaints", sales, body, &created)
	id := created.ID
	var cv liveCase
	eventually(t, "acknowledged", func() bool {
		s.must(200, "GET", "/v1/complaints/"+id, sup, nil, &cv)
		return cv.Status == complaint.StatusAcknowledged
	})
	s.must(200, "POST", "/v1/complaints/"+id+"/assign", sup, map[string]any{"assignee": "agent-li"}, nil)

	var pv partiesView
	s.must(200, "GET", "/v1/complaints/"+id+"/parties", agent, nil, &pv)
	if len(pv.Parties) != 1 || pv.Parties[0].Kind != complaint.PartyFirstReceiver || pv.Parties[0].StaffID != "sales-zhou" || pv.Customer.Name != "Zhang Wei" {
		t.Fatalf("parties %+v", pv)
	}
	// The hand-over, computed here from the audit trail: the first event
	// that gave the case to someone other than the receiver.
	s.must(200, "GET", "/v1/complaints/"+id, sup, nil, &cv)
	var handler string
	var at time.Time
	for _, e := range cv.Timeline {
		var p struct{ Assignee, To string }
		_ = json.Unmarshal(e.Payload, &p)
		who := p.Assignee + p.To
		if (e.Type == "acknowledged" || e.Type == "assigned" || e.Type == "transferred") && who != "" && who != "sales-zhou" {
			handler, at = who, e.At
			break
		}
	}
	received := cv.Timeline[0].At
	if pv.Handover == nil || pv.Handover.Receiver != "sales-zhou" || pv.Handover.Handler != handler || !pv.Handover.At.Equal(at) ||
		math.Abs(pv.Handover.TookSeconds-at.Sub(received).Seconds()) > 0.001 {
		t.Errorf("hand-over %+v, want to %s at %s (%.3fs)", pv.Handover, handler, at, at.Sub(received).Seconds())
	}
	day := time.Now().UTC().Format("2006-01-02")
	next := time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02")
	var rep struct {
		Receivers []struct {
			Receiver   string   `json:"receiver"`
			Received   int      `json:"received"`
			HandedOver int      `json:"handed_over"`
			AvgSeconds *float64 `json:"avg_seconds"`
		} `json:"receivers"`
	}
	s.must(200, "GET", "/v1/reports/handovers?from="+day+"&to="+next, sup, nil, &rep)
	if len(rep.Receivers) != 1 || rep.Receivers[0].Receiver != "sales-zhou" || rep.Receivers[0].Received != 1 || rep.Receivers[0].HandedOver != 1 ||
		rep.Receivers[0].AvgSeconds == nil || math.Abs(*rep.Receivers[0].AvgSeconds-at.Sub(received).Seconds()) > 0.001 {
		t.Errorf("hand-over report %+v", rep)
	}
	var bad problemFields
	s.must(422, "GET", "/v1/reports/handovers?from=yesterday&to="+day, sup, nil, &bad)
	s.must(403, "GET", "/v1/reports/handovers?from="+day+"&to="+next, agent, nil, nil)

	// A relative the customer authorised to act; then three mistakes at
	// once, each named with its code.
	s.must(200, "POST", "/v1/complaints/"+id+"/parties", agent, map[string]any{"kind": "relative", "name": "Zhang Min", "relation": "daughter",
		"authorised": true, "phone": "+86 138 5555 0101"}, &pv)
	if len(pv.Parties) != 2 || pv.Parties[1].Name != "Zhang Min" || !pv.Parties[1].Authorised || pv.Parties[1].ID != 2 {
		t.Fatalf("parties after adding %+v", pv.Parties)
	}
	s.must(422, "POST", "/v1/complaints/"+id+"/parties", agent, map[string]any{"kind": "lawyer", "email": "not-an-email", "phone": "ring me"}, &bad)
	if c := bad.codes(); c["name"] != complaint.CodeRequired || c["email"] != complaint.CodeInvalidEmail || c["phone"] != complaint.CodeInvalidPhone {
		t.Errorf("bad party answered %+v", bad)
	}
	s.must(422, "POST", "/v1/complaints/"+id+"/parties", agent, map[string]any{"kind": "decider", "staff_id": "nobody-here"}, &bad)
	if c := bad.codes(); c["staff_id"] != complaint.CodeNotAHandler {
		t.Errorf("unknown staff member answered %+v", bad)
	}
	s.must(200, "PUT", "/v1/complaints/"+id+"/parties/2", agent, map[string]any{"kind": "relative", "name": "Zhang Min", "relation": "daughter",
		"authorised": false, "phone": "+86 138 5555 0101"}, &pv)
	if pv.Parties[1].Authorised {
		t.Errorf("update not applied: %+v", pv.Parties[1])
	}
	s.must(422, "DELETE", "/v1/complaints/"+id+"/parties/9", agent, nil, nil)
	// The auditor reads the case masked: the relative's details too.
	s.must(200, "GET", "/v1/complaints/"+id+"/parties", auditor, nil, &pv)
	if strings.Contains(pv.Parties[1].Name, "Min") || strings.Contains(pv.Parties[1].Phone, "5555") || strings.Contains(pv.Customer.Phone, "1234") {
		t.Errorf("auditor sees %+v", pv)
	}

	// A call that went unanswered, then one that reached the customer.
	var problem problemFields
	s.must(422, "POST", "/v1/complaints/"+id+"/calls", agent, map[string]any{"outcome": "call_back"}, &problem)
	if problem.codes()["callback_at"] != complaint.CodeCallbackRequired {
		t.Errorf("call back without a time answered %+v", problem)
	}
	s.must(200, "POST", "/v1/complaints/"+id+"/calls", agent, map[string]any{"outcome": "no_answer"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/calls", agent, map[string]any{"outcome": "reached", "note": "apologised"}, &cv)
	met := false
	for _, d := range cv.Deadlines {
		met = met || d.Clock == complaint.ClockFirstContact && d.Met && !d.Breached
	}
	if !met {
		t.Errorf("first_contact not met by the call: %+v", cv.Deadlines)
	}
}

// TestMergeAndSplitThroughTheAPI: the customer wrote by email and rang
// (two cases); an agent may not merge them, a supervisor merges the phone
// case into the email case: it ends as merged in Temporal and PostgreSQL,
// the customer is told the number that continues, and it refuses further
// merges. An approval races a merge on a third case: exactly one wins. A
// repeat contact folded into the email case by mistake is split off into
// a case of its own, once, however often the split is asked.
func TestMergeAndSplitThroughTheAPI(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-li", "agent", "billing")
	sup := s.token("sup-sue", "supervisor", "billing")
	sup2 := s.token("sup-sam", "supervisor", "billing")
	for _, tok := range []string{agent, sup, sup2} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	first := s.file("cust-merge", "ORD-M-1", map[string]any{"channel": "email"})
	second := s.file("cust-merge", "ORD-M-2", map[string]any{"channel": "phone", "subject": "Called about my refund"})
	var a, b liveCase
	s.must(200, "GET", "/v1/complaints/"+first, sup, nil, &a)

	s.must(403, "POST", "/v1/complaints/"+second+"/merge", agent, map[string]any{"into": a.CaseNumber, "reason": "same refund"}, nil)
	var bad problemFields
	s.must(422, "POST", "/v1/complaints/"+second+"/merge", sup, map[string]any{"into": second}, &bad)
	if c := bad.codes(); c["into"] != complaint.CodeSameCase || c["reason"] != complaint.CodeRequired {
		t.Errorf("merge into itself answered %+v", bad)
	}
	s.must(200, "POST", "/v1/complaints/"+second+"/merge", sup, map[string]any{"into": a.CaseNumber, "reason": "same refund, by phone and email"}, &b)
	if b.Status != complaint.StatusMerged {
		t.Fatalf("merged case status %s", b.Status)
	}
	var row struct{ Status string }
	if err := s.app.Store.Pool.QueryRow(context.Background(), `SELECT status FROM cases WHERE id = $1`, second).Scan(&row.Status); err != nil || row.Status != complaint.StatusMerged {
		t.Errorf("case row %s (%v): Temporal and PostgreSQL disagree", row.Status, err)
	}
	var body string
	if err := s.app.Store.Pool.QueryRow(context.Background(), `SELECT body FROM notifications WHERE case_id = $1 AND kind = 'merged' AND audience = 'customer'`, second).Scan(&body); err != nil || !strings.Contains(body, a.CaseNumber) {
		t.Errorf("customer told %q (%v), want %s", body, err, a.CaseNumber)
	}
	s.must(409, "POST", "/v1/complaints/"+second+"/merge", sup, map[string]any{"into": first, "reason": "again"}, nil)
	s.must(409, "POST", "/v1/complaints/"+first+"/merge", sup, map[string]any{"into": second, "reason": "into a merged case"}, nil)
	var pv partiesView
	s.must(200, "GET", "/v1/complaints/"+first+"/parties", sup, nil, &pv)
	if len(pv.MergedFrom) != 1 || pv.MergedFrom[0].ID != second {
		t.Errorf("merged into the first: %+v", pv.MergedFrom)
	}
	s.must(200, "GET", "/v1/complaints/"+first, sup, nil, &a)
	if a.Timeline[len(a.Timeline)-1].Type != "merged_from" {
		t.Errorf("the continuing case's trail ends with %s", a.Timeline[len(a.Timeline)-1].Type)
	}

	// An approval and a merge at the same instant on a third case.
	third := s.file("cust-merge", "ORD-M-3", nil)
	s.must(200, "POST", "/v1/complaints/"+third+"/findings", agent, map[string]any{"cause": "refund.delayed",
		"cause_detail": "refund.delayed.return_not_scanned", "responsibility": "company", "responsible_unit": "returns desk", "summary": "Not scanned."}, nil)
	s.must(200, "POST", "/v1/complaints/"+third+"/proposal", agent, map[string]any{
		"remedies": []map[string]any{{"type": "refund", "amount": 15000, "currency": "CNY"}}, "message": "We refund."}, nil)
	var wg sync.WaitGroup
	var approved, merged int
	wg.Add(2)
	go func() {
		defer wg.Done()
		approved = s.call("POST", "/v1/complaints/"+third+"/approvals", sup, map[string]any{"decision": "approve"}, nil)
	}()
	go func() {
		defer wg.Done()
		merged = s.call("POST", "/v1/complaints/"+third+"/merge", sup2, map[string]any{"into": first, "reason": "same customer"}, nil)
	}()
	wg.Wait()
	if (approved == 200) == (merged == 200) || (approved != 200 && approved != 409) || (merged != 200 && merged != 409) {
		t.Fatalf("approval answered %d, merge %d: want exactly one 200 and one 409", approved, merged)
	}
	var c liveCase
	eventually(t, "the row agrees with the workflow", func() bool {
		s.must(200, "GET", "/v1/complaints/"+third, sup, nil, &c)
		_ = s.app.Store.Pool.QueryRow(context.Background(), `SELECT status FROM cases WHERE id = $1`, third).Scan(&row.Status)
		if merged == 200 {
			return c.Status == complaint.StatusMerged && row.Status == complaint.StatusMerged
		}
		return c.Status != complaint.StatusMerged && row.Status == c.Status && c.Status != complaint.StatusAwaitingApproval
	})

	// A repeat contact on the first case's order, about something else.
	repeat := map[string]any{}
	for k, v := range complaintBody {
		repeat[k] = v
	}
	repeat["customer"] = map[string]any{"id": "cust-merge", "name": "Zhang Wei", "phone": "+86 139 1234 5678", "email": "zhang.wei@example.com"}
	repeat["order_ref"], repeat["channel"], repeat["subject"] = "ORD-M-1", "phone", "The courier was rude"
	s.must(200, "POST", "/v1/complaints", "", repeat, nil)
	s.must(403, "POST", "/v1/complaints/"+first+"/split", agent, map[string]any{"contact": 1, "reason": "another matter"}, nil)
	s.must(422, "POST", "/v1/complaints/"+first+"/split", sup, map[string]any{"contact": 5, "reason": "another matter"}, nil)
	var split, again struct {
		CaseID     string `json:"case_id"`
		CaseNumber string `json:"case_number"`
	}
	s.must(201, "POST", "/v1/complaints/"+first+"/split", sup, map[string]any{"contact": 1, "reason": "another matter", "description": "The courier shouted."}, &split)
	s.must(201, "POST", "/v1/complaints/"+first+"/split", sup, map[string]any{"contact": 1, "reason": "another matter", "description": "The courier shouted."}, &again)
	if split.CaseID == "" || again.CaseID != split.CaseID || split.CaseNumber == a.CaseNumber {
		t.Fatalf("split answered %+v then %+v", split, again)
	}
	var nc struct {
		Subject string `json:"subject"`
		Channel string `json:"channel"`
	}
	s.must(200, "GET", "/v1/complaints/"+split.CaseID, sup, nil, &nc)
	if nc.Subject != "The courier was rude" || nc.Channel != "phone" {
		t.Errorf("split case %+v", nc)
	}
	s.must(200, "GET", "/v1/complaints/"+first, sup, nil, &a)
	if len(a.RepeatContacts) != 1 || a.RepeatContacts[0].SplitInto != split.CaseID {
		t.Errorf("repeat contacts %+v", a.RepeatContacts)
	}
}
