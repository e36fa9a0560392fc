package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/workflows"
)

// victimBody is a complaint filed through the public form, whose customer
// id is derived from the email address (customer.js).
func victimBody() map[string]any {
	return map[string]any{
		"customer":    map[string]any{"id": "email:victim@example.com", "name": "Chen Jing", "email": "victim@example.com"},
		"channel":     "web",
		"subject":     "Wrong item delivered",
		"description": "I ordered a blue kettle and received a red toaster.",
		"order_ref":   "A-1001",
		"language":    "en",
	}
}

// attackerBody files about the victim's matter: the victim's email (the
// customer id is derived from it) and an order reference that matches
// after case folding and trimming, under the attacker's name.
func attackerBody() map[string]any {
	b := victimBody()
	b["customer"] = map[string]any{"id": "email:victim@example.com", "name": "Mallory", "email": "victim@example.com"}
	b["order_ref"] = "a-1001 "
	b["subject"] = "Checking on this"
	return b
}

// noTokenIn fails when an anonymous answer about an existing case carries
// its id, token or link.
func noTokenIn(t *testing.T, what string, raw json.RawMessage, caseNumber string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tracking_token", "tracking_url", "id"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s: the answer gives a stranger the case's %s: %s", what, k, raw)
		}
	}
	if msg, _ := m["message"].(string); m["case_number"] != caseNumber || !strings.Contains(msg, "contact details on file") {
		t.Errorf("%s: answer %s, want the case number %s and where the link went", what, raw, caseNumber)
	}
}

// trackingLinks are the tracking_link messages queued for a case: what
// the outbox holds for the contact on file (recipient empty).
func trackingLinks(t *testing.T, s *stack, caseID string) []string {
	t.Helper()
	rows, err := s.app.Store.Pool.Query(t.Context(), `SELECT recipient, body FROM notifications
        WHERE case_id = $1 AND kind = 'tracking_link' AND audience = 'customer' ORDER BY id`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var recipient, body string
		if err := rows.Scan(&recipient, &body); err != nil {
			t.Fatal(err)
		}
		if recipient != "" {
			t.Errorf("tracking link addressed to %q, want the contact on file", recipient)
		}
		out = append(out, body)
	}
	return out
}

// TestStrangerCannotTakeOverACase performs the takeover: a stranger who
// knows a customer's email address and order reference files again,
// anonymously, and again with the customer's Idempotency-Key. Neither
// answer may carry the case's token; the link goes to the contact on
// file; the tracking page does not show it; staff keep their answer; a
// closed case is not reopened by an anonymous filing.
func TestStrangerCannotTakeOverACase(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-ann", "agent", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)

	var created struct {
		ID            string `json:"id"`
		CaseNumber    string `json:"case_number"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", "", victimBody(), &created, "Idempotency-Key", "victim-1")
	if created.TrackingToken == "" {
		t.Fatalf("the victim's own filing has no token: %+v", created)
	}
	var tr struct {
		Status   string `json:"status"`
		Messages []struct {
			Kind string `json:"kind"`
		} `json:"messages"`
	}
	waitStatus := func(want string) {
		t.Helper()
		eventually(t, want, func() bool {
			s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
			return tr.Status == want
		})
	}
	waitStatus(complaint.StatusAcknowledged)

	t.Run("repeat contact", func(t *testing.T) {
		var raw json.RawMessage
		s.must(200, "POST", "/v1/complaints", "", attackerBody(), &raw)
		noTokenIn(t, "repeat contact", raw, created.CaseNumber)
		links := trackingLinks(t, s, created.ID)
		if len(links) != 1 || !strings.Contains(links[0], "/track/"+created.TrackingToken) {
			t.Errorf("tracking links queued for the contact on file = %q", links)
		}
		// Once an hour at most: a stranger cannot flood the customer.
		s.must(200, "POST", "/v1/complaints", "", attackerBody(), nil)
		if n := len(trackingLinks(t, s, created.ID)); n != 1 {
			t.Errorf("%d tracking links after a second contact within the hour", n)
		}
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
		for _, m := range tr.Messages {
			if m.Kind == "tracking_link" {
				t.Error("the tracking page shows the tracking_link message")
			}
		}
	})

	t.Run("idempotency key", func(t *testing.T) {
		var raw json.RawMessage
		// The victim's key with another body: refused, nothing attached.
		if code := s.call("POST", "/v1/complaints", "", attackerBody(), &raw, "Idempotency-Key", "victim-1"); code != 422 ||
			!strings.Contains(string(raw), "idempotency key reused with a different request") {
			t.Errorf("the victim's key with another body = %d %s, want 422", code, raw)
		}
		// The very same request again (a retry, or a replay): the earlier
		// case, without its token.
		s.must(200, "POST", "/v1/complaints", "", victimBody(), &raw, "Idempotency-Key", "victim-1")
		noTokenIn(t, "replayed key", raw, created.CaseNumber)
	})

	t.Run("staff keep the token", func(t *testing.T) {
		var out struct {
			ID            string `json:"id"`
			TrackingToken string `json:"tracking_token"`
		}
		s.must(200, "POST", "/v1/complaints", agent, attackerBody(), &out)
		if out.ID != created.ID || out.TrackingToken != created.TrackingToken {
			t.Errorf("staff repeat contact = %+v, want the case and its token", out)
		}
	})

	t.Run("closed case is not reopened", func(t *testing.T) {
		s.must(200, "POST", "/v1/complaints/"+created.ID+"/findings", agent, map[string]any{"cause": "product.defect",
			"cause_detail": "product.defect.wrong_item", "responsibility": "company", "responsible_unit": "warehouse",
			"summary": "The warehouse picked the wrong item."}, nil)
		s.must(200, "POST", "/v1/complaints/"+created.ID+"/proposal", agent, map[string]any{
			"remedies": []map[string]any{{"type": "apology"}}, "message": "We apologise for the mix-up."}, nil)
		sup := s.token("sup-gia", "supervisor", "general")
		s.must(200, "GET", "/v1/me", sup, nil, nil)
		s.must(200, "POST", "/v1/complaints/"+created.ID+"/approvals", sup, map[string]any{"decision": "approve"}, nil)
		waitStatus(complaint.StatusAwaitingCustomer)
		s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, nil)
		waitStatus(complaint.StatusClosed)
		var raw json.RawMessage
		s.must(200, "POST", "/v1/complaints", "", attackerBody(), &raw)
		noTokenIn(t, "contact on a closed case", raw, created.CaseNumber)
		var out struct {
			Status        string `json:"status"`
			RepeatContact bool   `json:"repeat_contact"`
		}
		_ = json.Unmarshal(raw, &out)
		if out.Status != complaint.StatusClosed || !out.RepeatContact {
			t.Errorf("answer %s, want the closed case and the contact recorded", raw)
		}
		// Recorded (the audit trail has it, not reopening), and still closed
		// with its survey running.
		eventually(t, "the repeat contact recorded", func() bool {
			evs, err := s.app.Store.Events(t.Context(), created.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range evs {
				if e.Type == "repeat_contact" && strings.Contains(string(e.Payload), `"reopened": false`) {
					n++
				}
			}
			return n > 0
		})
		time.Sleep(time.Second)
		cs, err := s.app.Store.GetCase(t.Context(), created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cs.Status != complaint.StatusClosed || cs.SurveyStatus == nil || *cs.SurveyStatus == "" {
			t.Errorf("after an anonymous contact the case is %s, survey %v: reopened by a stranger", cs.Status, cs.SurveyStatus)
		}
		// The survey still runs: the customer answers it and the case ends.
		// The anonymous contact on a closed case is a new path through the
		// workflow: its history joins the replay test's.
		var msgs struct {
			Messages []struct{ Kind, Body string } `json:"messages"`
		}
		var surveyToken string
		eventually(t, "survey sent", func() bool {
			s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &msgs)
			for _, m := range msgs.Messages {
				if m.Kind == "survey" {
					surveyToken = regexp.MustCompile(`/survey/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Body)[1]
				}
			}
			return surveyToken != ""
		})
		eventually(t, "survey answered", func() bool {
			return s.call("POST", "/v1/surveys/"+surveyToken, "", map[string]any{"score": 4}, nil) == 200
		})
		saveHistory(t, s, cs.WorkflowID, "anonymous-contact-on-closed-case")
	})
}

// TestIdempotencyKeyWithADifferentRequest reuses a staff member's key on
// a decision with another body: the second note is not silently dropped
// but refused with 422; the same request again gets the earlier result;
// another staff member's same key is theirs.
func TestIdempotencyKeyWithADifferentRequest(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-ann", "agent", "billing")
	other := s.token("agent-ava", "agent", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", other, nil, nil)
	body := maps.Clone(complaintBody)
	body["customer"] = map[string]any{"id": "cust-idem", "name": "Li Lei", "email": "li.lei@example.com"}
	var created struct {
		ID string `json:"id"`
	}
	s.must(201, "POST", "/v1/complaints", agent, body, &created, "Idempotency-Key", "intake-1")
	// The same key and body written differently (spacing, key order) is
	// the same request.
	s.must(200, "POST", "/v1/complaints", agent, body, &created, "Idempotency-Key", "intake-1")
	changed := maps.Clone(body)
	changed["subject"] = "Another matter altogether"
	s.must(422, "POST", "/v1/complaints", agent, changed, nil, "Idempotency-Key", "intake-1")

	notes := func() int {
		evs, err := s.app.Store.Events(t.Context(), created.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Type == "note" {
				n++
			}
		}
		return n
	}
	path := "/v1/complaints/" + created.ID + "/notes"
	eventually(t, "registered", func() bool {
		return s.call("POST", path, agent, map[string]any{"text": "Called the customer."}, nil, "Idempotency-Key", "note-1") == 200
	})
	s.must(200, "POST", path, agent, map[string]any{"text": "Called the customer."}, nil, "Idempotency-Key", "note-1")
	var raw json.RawMessage
	if code := s.call("POST", path, agent, map[string]any{"text": "Customer sent the receipt."}, &raw, "Idempotency-Key", "note-1"); code != 422 ||
		!strings.Contains(string(raw), "idempotency key reused with a different request") {
		t.Errorf("a second note under the same key = %d %s, want 422", code, raw)
	}
	// Another member's key is another request: their note is kept.
	s.must(200, "POST", path, other, map[string]any{"text": "Refund checked."}, nil, "Idempotency-Key", "note-1")
	eventually(t, "two notes", func() bool { return notes() == 2 })
	// A request refused as invalid frees its key for the corrected one.
	s.must(422, "POST", path, agent, map[string]any{"text": ""}, nil, "Idempotency-Key", "note-2")
	s.must(200, "POST", path, agent, map[string]any{"text": "Customer sent the receipt."}, nil, "Idempotency-Key", "note-2")
	eventually(t, "three notes", func() bool { return notes() == 3 })
}

// TestLegacyWorkflowIDStillTakesRepeatContacts: a case opened before
// workflow ids were keyed runs under the unkeyed id; a repeat contact on
// its matter must reach it rather than open a second case. New matters
// get keyed ids that the unkeyed hash of customer and order does not
// give.
func TestLegacyWorkflowIDStillTakesRepeatContacts(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-ann", "agent", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	legacy := func(customer, ref string) string {
		h := sha256.Sum256([]byte(customer + "\x00" + strings.ToLower(strings.TrimSpace(ref))))
		return "complaint:m-" + hex.EncodeToString(h[:12])
	}
	// The old case, started as the API used to start it.
	cmp := complaint.Complaint{CaseID: "0b7c2a52-5a8e-4c1e-9a59-7d1f6f3c0001",
		Customer: complaint.Customer{ID: "cust-legacy", Name: "Old Customer", Email: "old@example.com"},
		Channel:  "web", Subject: "Late delivery", Description: "The parcel is two weeks late.", OrderRef: "ORD-OLD-1",
		Language: "en", Profile: "default", ReceivedAt: time.Now().UTC()}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := s.app.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: legacy("cust-legacy", "ORD-OLD-1"),
		TaskQueue: s.app.Config.TaskQueue}, workflows.WorkflowName, workflows.NewInput(cmp)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the old case registered", func() bool {
		_, err := s.app.Store.GetCase(t.Context(), cmp.CaseID)
		return err == nil
	})
	body := map[string]any{"customer": map[string]any{"id": "cust-legacy", "name": "Old Customer", "email": "old@example.com"},
		"channel": "phone", "subject": "Still late", "description": "Calling again about the parcel.", "order_ref": "ord-old-1", "language": "en"}
	var rep struct {
		ID            string `json:"id"`
		RepeatContact bool   `json:"repeat_contact"`
	}
	s.must(200, "POST", "/v1/complaints", agent, body, &rep)
	if rep.ID != cmp.CaseID || !rep.RepeatContact {
		t.Errorf("repeat contact on a legacy case = %+v, want case %s", rep, cmp.CaseID)
	}

	// A new matter: its workflow id is keyed.
	body["customer"] = map[string]any{"id": "cust-new", "name": "New Customer", "email": "new@example.com"}
	body["order_ref"] = "ORD-NEW-1"
	var created struct {
		ID string `json:"id"`
	}
	s.must(201, "POST", "/v1/complaints", agent, body, &created)
	cs, err := s.app.Store.GetCase(t.Context(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cs.WorkflowID == legacy("cust-new", "ORD-NEW-1") || !strings.HasPrefix(cs.WorkflowID, "complaint:k-") {
		t.Errorf("workflow id %s can be confirmed from the customer and order alone", cs.WorkflowID)
	}
}
