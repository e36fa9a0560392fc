package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// TestCurrenciesAndAuthorityOnTheStack: a deployment in CNY that also
// pays in JPY (at 0.048 CNY a yen). Codes that are not money (ZZZ, XXX),
// a currency it does not accept (USD) and 100.5 yen are refused with 422
// naming the field; 100,000 JPY (4,800.00 CNY) is beyond a supervisor and
// approved by a manager, then paid in yen. The application's database role
// cannot truncate the audit trail, and the case's trail verifies.
func TestCurrenciesAndAuthorityOnTheStack(t *testing.T) {
	s := startStack(t, "CURRENCIES", "CNY,JPY", "CURRENCY_RATES", "JPY=0.048")
	ctx := context.Background()
	agent, sup, mgr := s.token("a-cur", "agent", "billing"), s.token("s-cur", "supervisor", "billing"), s.token("m-cur", "manager", "billing")
	for _, tok := range []string{agent, sup, mgr} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	var created struct {
		ID string `json:"id"`
	}
	s.must(201, "POST", "/v1/complaints", "", map[string]any{"customer": map[string]any{"id": "c-cur", "name": "N", "email": "n@example.com"},
		"channel": "email", "subject": "Overcharged in yen", "description": "I was charged twice on my bill", "language": "en"}, &created)
	id := created.ID
	eventually(t, "acknowledged", func() bool {
		cs, _ := s.app.Store.GetCase(ctx, id)
		return cs.Status == complaint.StatusAcknowledged
	})
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", agent, map[string]any{"cause": "billing.duplicate", "cause_detail": "billing.duplicate.retry",
		"responsibility": "company", "responsible_unit": "payments", "summary": "charged twice"}, nil)

	for _, tc := range []struct {
		name, body, field string
	}{
		{"ZZZ is no currency", `{"type":"refund","amount":1000,"currency":"ZZZ"}`, "remedies[0].currency"},
		{"XXX is ISO's no currency", `{"type":"refund","amount":1000,"currency":"XXX"}`, "remedies[0].currency"},
		{"USD is not configured", `{"type":"refund","amount":1000,"currency":"USD"}`, "remedies[0].currency"},
		{"100.5 yen", `{"type":"refund","amount":100.5,"currency":"JPY"}`, "remedies[0].amount"},
		{"half a fen", `{"type":"refund","amount":1000.5,"currency":"CNY"}`, "remedies[0].amount"},
	} {
		// s.call reports through the test itself, so no subtests here.
		var p apiserver.Problem
		code := s.call("POST", "/v1/complaints/"+id+"/proposal", agent, json.RawMessage(`{"message":"Refund","remedies":[`+tc.body+`]}`), &p)
		named := false
		for _, f := range p.Errors {
			named = named || f.Field == tc.field
		}
		if code != 422 || !named {
			t.Errorf("%s: %d %+v; want 422 naming %s", tc.name, code, p, tc.field)
		}
	}
	if cs, _ := s.app.Store.GetCase(ctx, id); cs.Status != complaint.StatusInvestigating && cs.Status != complaint.StatusAcknowledged {
		t.Fatalf("after refused proposals the case is %s", cs.Status)
	}

	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", agent, map[string]any{"remedies": []map[string]any{{"type": "refund", "amount": 100000, "currency": "JPY"}},
		"message": "Refund of 100,000 yen"}, nil)
	var p apiserver.Problem
	s.must(403, "POST", "/v1/complaints/"+id+"/approvals", sup, map[string]any{"decision": "approve"}, &p)
	if !strings.Contains(p.Detail, "manager") || !strings.Contains(p.Detail, "100,000 JPY") {
		t.Errorf("the supervisor's refusal says %q; want the amount in yen and that a manager must approve", p.Detail)
	}
	s.must(200, "POST", "/v1/complaints/"+id+"/approvals", mgr, map[string]any{"decision": "approve"}, nil)
	var ledger []store.LedgerEntry
	eventually(t, "paid in yen", func() bool {
		ledger, _ = s.app.Store.LedgerForCase(ctx, id)
		return len(ledger) == 1
	})
	if ledger[0].Amount != 100000 || ledger[0].Currency != "JPY" {
		t.Errorf("ledger = %+v; want 100000 JPY", ledger)
	}

	var user string
	if err := s.app.Store.Pool.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != "complaints_app" {
		t.Errorf("the application connects as %q, %v; want complaints_app", user, err)
	}
	_, err := s.app.Store.Pool.Exec(ctx, `TRUNCATE case_events CASCADE`)
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.Code != "42501" {
		t.Errorf("TRUNCATE case_events as the application: %v; want permission denied", err)
	}
	rep, err := s.app.Store.VerifyAudit(ctx, id)
	if err != nil || len(rep.Breaks) != 0 || rep.Events < 5 {
		t.Errorf("the case's audit trail: %+v, %v; want it whole", rep, err)
	}
}
