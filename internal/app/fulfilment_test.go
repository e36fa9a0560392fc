package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/complaint"
)

// TestFulfilmentThroughTheAPI: a replacement is approved; the case waits
// for it (fulfilling) and the customer cannot accept yet; staff move it
// through the fulfilment route (refused for a stranger to the case, a
// remedy that is not a fulfilment, a state out of order, a failure without
// a reason), and the case asks the customer to confirm only once it is
// done. The fulfilments row and the audit trail agree with the workflow.
func TestFulfilmentThroughTheAPI(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-fay", "agent", "billing")
	other := s.token("agent-gus", "agent", "billing")
	sup := s.token("sup-sid", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	body := map[string]any{}
	for k, v := range complaintBody {
		body[k] = v
	}
	body["customer"] = map[string]any{"id": "cust-fulfil", "name": "Chen Jing", "phone": "+86 137 0000 1111"}
	body["order_ref"] = "ORD-FUL-1"
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", body, &created, "Idempotency-Key", "fulfil-1")
	s.must(200, "GET", "/v1/me", other, nil, nil)
	id := created.ID
	var cs struct {
		Status   string             `json:"status"`
		Assignee *string            `json:"assignee"`
		Remedies []complaint.Remedy `json:"remedies"`
		Actions  []string           `json:"actions"`
	}
	eventually(t, "acknowledged", func() bool {
		s.must(200, "GET", "/v1/complaints/"+id, agent, nil, &cs)
		return cs.Status == complaint.StatusAcknowledged
	})
	if cs.Assignee == nil || *cs.Assignee != "agent-fay" {
		t.Fatalf("assignee = %v, want agent-fay, the only agent when the case arrived", cs.Assignee)
	}
	handler := agent
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", handler, map[string]any{"cause": "product.defect",
		"cause_detail": "product.defect.seal", "responsibility": "company", "responsible_unit": "supplier quality", "summary": "The seal was faulty."}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", handler, map[string]any{
		"remedies": []map[string]any{{"type": "replacement", "note": "new kettle"}, {"type": "apology"}},
		"message":  "We will send you a new kettle."}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/approvals", sup, map[string]any{"decision": "approve"}, nil)
	eventually(t, "fulfilling", func() bool {
		s.must(200, "GET", "/v1/complaints/"+id, agent, nil, &cs)
		return cs.Status == complaint.StatusFulfilling
	})
	if len(cs.Remedies) != 2 || cs.Remedies[0].State != complaint.FulfilmentOrdered || cs.Remedies[1].State != "done" {
		t.Fatalf("remedies = %+v", cs.Remedies)
	}
	if !strings.Contains(strings.Join(cs.Actions, ","), complaint.ActionFulfilment) {
		t.Errorf("actions = %v, want fulfilment offered", cs.Actions)
	}
	// The customer cannot accept what has not been delivered.
	s.must(409, "POST", "/v1/track/"+created.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, nil)
	path := "/v1/complaints/" + id + "/fulfilments/"
	s.must(403, "POST", path+"p1-r1", other, map[string]any{"state": "shipped"}, nil)
	s.must(422, "POST", path+"p1-r2", agent, map[string]any{"state": "shipped"}, nil)
	s.must(422, "POST", path+"p1-r1", agent, map[string]any{"state": "lost"}, nil)
	s.must(422, "POST", path+"p1-r1", agent, map[string]any{"state": "failed"}, nil)
	s.must(400, "POST", path+"p1-r1", agent, map[string]any{"state": "shipped", "carrier": "x"}, nil)
	s.must(200, "POST", path+"p1-r1", agent, map[string]any{"state": "shipped", "note": "SF1234567"}, nil)
	s.must(409, "POST", path+"p1-r1", agent, map[string]any{"state": "shipped"}, nil)
	var status, note string
	if err := s.app.Store.Pool.QueryRow(context.Background(), `SELECT status, COALESCE(note, '') FROM fulfilments WHERE case_id = $1 AND remedy_id = 'p1-r1'`, id).
		Scan(&status, &note); err != nil || status != "shipped" || note != "SF1234567" {
		t.Errorf("fulfilments row = %s %q %v", status, note, err)
	}
	s.must(200, "POST", path+"p1-r1", sup, map[string]any{"state": "done"}, nil)
	var tr struct {
		Status   string `json:"status"`
		TimeZone string `json:"time_zone"`
	}
	eventually(t, "awaiting_customer", func() bool {
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
		return tr.Status == complaint.StatusAwaitingCustomer
	})
	// The page says times in the case's calendar zone, as the messages do.
	if tr.TimeZone != "Asia/Shanghai" {
		t.Errorf("tracking time_zone = %q, want the default profile's calendar zone Asia/Shanghai", tr.TimeZone)
	}
	s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, nil)
	// The survey ends the case (and completes the history recorded).
	var surveyToken string
	eventually(t, "survey sent", func() bool {
		var msgs struct{ Messages []struct{ Kind, Body string } }
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &msgs)
		for _, m := range msgs.Messages {
			if m.Kind == "survey" {
				if i := strings.Index(m.Body, "/survey/"); i >= 0 {
					surveyToken = m.Body[i+len("/survey/"):]
				}
			}
		}
		return surveyToken != ""
	})
	eventually(t, "survey answered", func() bool {
		return s.call("POST", "/v1/surveys/"+surveyToken, "", map[string]any{"score": 4}, nil) == 200
	})
	var types []string
	rows, err := s.app.Store.Pool.Query(context.Background(), `SELECT type FROM case_events WHERE case_id = $1 ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ty string
		_ = rows.Scan(&ty)
		types = append(types, ty)
	}
	rows.Close()
	if got := strings.Join(types, ","); !strings.Contains(got, "fulfilment_ordered,fulfilment_shipped,fulfilment_done,executed") {
		t.Errorf("events = %s", got)
	}
	if err := s.app.Store.Pool.QueryRow(context.Background(), `SELECT status FROM fulfilments WHERE case_id = $1 AND remedy_id = 'p1-r1'`, id).
		Scan(&status); err != nil || status != "done" {
		t.Errorf("fulfilments row = %s %v", status, err)
	}
	var wfID string
	_ = s.app.Store.Pool.QueryRow(context.Background(), `SELECT workflow_id FROM cases WHERE id = $1`, id).Scan(&wfID)
	saveHistory(t, s, wfID, "fulfilment")
}
