package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/complaint-handling/complaints/complaint"
	wf "github.com/complaint-handling/complaints/workflows"
)

// metricCounts keeps what the workflow counted, by metric name and tags.
type metricCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

func (m *metricCounts) get(name string, tags map[string]string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[metricKey(name, tags)]
}

func metricKey(name string, tags map[string]string) string {
	var parts []string
	for k, v := range tags {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// countingHandler is a metrics handler that records counters only.
type countingHandler struct {
	m    *metricCounts
	tags map[string]string
}

func (h countingHandler) WithTags(t map[string]string) client.MetricsHandler {
	tags := maps.Clone(h.tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, t)
	return countingHandler{m: h.m, tags: tags}
}

type counterFunc func(int64)

func (f counterFunc) Inc(n int64) { f(n) }

func (h countingHandler) Counter(name string) client.MetricsCounter {
	key := metricKey(name, h.tags)
	return counterFunc(func(n int64) {
		h.m.mu.Lock()
		defer h.m.mu.Unlock()
		h.m.n[key] += n
	})
}

func (h countingHandler) Gauge(name string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge(name)
}
func (h countingHandler) Timer(name string) client.MetricsTimer {
	return client.MetricsNopHandler.Timer(name)
}

// newRejectingHarness is a harness whose database refuses, with the
// SQLSTATE PostgreSQL gives a NUL byte in text (22021), to insert any
// audit event whose type is in the table reject_events: a real permanent
// refusal by PostgreSQL, raised where the case's writes go.
func newRejectingHarness(t *testing.T, reject ...string) (*harness, *metricCounts) {
	t.Helper()
	st := env.NewStore(t)
	ctx := context.Background()
	// The trigger is the owner's (the application's role may create
	// none); it runs as the role that inserts, which may read its table.
	owner := env.OwnerPool(t, st)
	if _, err := owner.Exec(ctx, `
CREATE TABLE reject_events (type text PRIMARY KEY);
GRANT SELECT ON reject_events TO PUBLIC;
CREATE FUNCTION reject_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM reject_events WHERE type = NEW.type) THEN
        RAISE EXCEPTION 'invalid byte sequence for encoding "UTF8": 0x00' USING ERRCODE = '22021';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER reject_events BEFORE INSERT ON case_events FOR EACH ROW EXECUTE FUNCTION reject_events();`); err != nil {
		t.Fatal(err)
	}
	for _, r := range reject {
		if _, err := owner.Exec(ctx, `INSERT INTO reject_events VALUES ($1)`, r); err != nil {
			t.Fatal(err)
		}
	}
	m := &metricCounts{n: map[string]int64{}}
	h := newHarnessOn(t, st, func(s *testsuite.WorkflowTestSuite) { s.SetMetricsHandler(countingHandler{m: m}) })
	return h, m
}

// repair lets the database take every event again.
func (h *harness) repair() {
	h.t.Helper()
	if _, err := env.OwnerPool(h.t, h.st).Exec(context.Background(), `DELETE FROM reject_events`); err != nil {
		h.t.Fatal(err)
	}
}

// records is what PostgreSQL holds of the case.
type records struct {
	exists  bool
	status  string
	lastSeq int
	seqs    []int
	types   []string
}

func (h *harness) records() records {
	h.t.Helper()
	ctx := context.Background()
	var r records
	err := h.st.Pool.QueryRow(ctx, `SELECT status, last_seq FROM cases WHERE id = $1`, h.in.CaseID).Scan(&r.status, &r.lastSeq)
	switch {
	case err != nil && strings.Contains(err.Error(), "no rows"):
	case err != nil:
		h.t.Fatal(err)
	default:
		r.exists = true
	}
	rows, err := h.st.Pool.Query(ctx, `SELECT seq, type FROM case_events WHERE case_id = $1 ORDER BY seq`, h.in.CaseID)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var typ string
		if err := rows.Scan(&seq, &typ); err != nil {
			h.t.Fatal(err)
		}
		r.seqs = append(r.seqs, seq)
		r.types = append(r.types, typ)
	}
	return r
}

func (h *harness) state() complaint.State {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(wf.QueryState)
	if err != nil {
		h.t.Fatalf("query: %v", err)
	}
	var st complaint.State
	if err := v.Get(&st); err != nil {
		h.t.Fatal(err)
	}
	return st
}

// agree checks that the workflow's state, the case row and the audit trail
// say the same: events numbered 1..n with no gap, n the workflow's
// sequence and the row's, the same status, and no event of type refused.
func (h *harness) agree(when string, refused string) (complaint.State, records) {
	h.t.Helper()
	st, r := h.state(), h.records()
	for i, s := range r.seqs {
		if s != i+1 {
			h.t.Errorf("%s: audit sequence has a gap: %v", when, r.seqs)
			break
		}
	}
	if len(r.seqs) != st.EventSeq || r.lastSeq != st.EventSeq {
		h.t.Errorf("%s: workflow sequence %d, row's %d, events %v", when, st.EventSeq, r.lastSeq, r.seqs)
	}
	if r.status != st.Status {
		h.t.Errorf("%s: workflow status %s, row's %s", when, st.Status, r.status)
	}
	for _, typ := range r.types {
		if typ == refused {
			h.t.Errorf("%s: the refused %s event was written: %v", when, refused, r.types)
		}
	}
	if h.env.IsWorkflowCompleted() {
		h.t.Errorf("%s: the workflow ended", when)
	}
	return st, r
}

// TestStoreRejectedUpdateIsUndone refuses, in PostgreSQL, the write of
// each kind of change a person makes, and checks that the update fails
// with StoreRejected while the workflow keeps running with the state it
// had (same status and sequence as the row and the trail: no gap), that
// the refusal is counted, and that the same update succeeds once the
// database takes it, under the refused change's sequence number.
func TestStoreRejectedUpdateIsUndone(t *testing.T) {
	type act struct {
		name string
		arg  any
	}
	repeat := func() complaint.Complaint {
		return complaint.Complaint{CaseID: "6f1c0a52-0000-4000-8000-000000000002", Customer: complaint.Customer{ID: "cust-1", Name: "Li Lei", Phone: "+86 138 0000 0000"},
			Channel: "phone", Subject: "Still charged twice", Description: "Calling again about order A-100.", OrderRef: "A-100", Language: "en",
			Profile: "default", ReceivedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	}
	toFindings := []act{{wf.UpdateFindings, complaint.FindingsRequest{Actor: actor("agent-ann"), Findings: findings}}}
	toProposal := append(toFindings, act{wf.UpdateProposal, complaint.ProposalRequest{Actor: actor("agent-ann"), Remedies: refund(50000), Message: "We refund the duplicate charge."}})
	toCustomer := append(toProposal, act{wf.UpdateApproval, complaint.ApprovalRequest{Actor: actor("sup-sue"), Decision: "approve"}})
	tests := []struct {
		change string // the refused event type
		setup  []act
		update act
		// then, after the successful retry: withdraw (open case) or not.
		withdraw bool
		// at is when the refused update is sent.
		at time.Duration
	}{
		{"assigned", nil, act{wf.UpdateAssign, complaint.AssignRequest{Actor: actor("sup-sue"), Assignee: "sup-sam"}}, true, hr},
		{"transferred", nil, act{wf.UpdateTransfer, complaint.TransferRequest{Actor: actor("sup-sue"), Assignee: "sup-sam", Reason: "workload"}}, true, hr},
		{"note", nil, act{wf.UpdateNote, complaint.NoteRequest{Actor: actor("agent-ann"), Text: "Called the customer."}}, true, hr},
		{"info_requested", nil, act{wf.UpdateRequestInfo, complaint.InfoRequest{Actor: actor("agent-ann"), Question: "Which card was charged?"}}, true, hr},
		{"info_received", []act{{wf.UpdateRequestInfo, complaint.InfoRequest{Actor: actor("agent-ann"), Question: "Which card?"}}},
			act{wf.UpdateCustomerInfo, complaint.CustomerInfo{Answer: "The Visa ending 1234."}}, true, hr},
		{"escalated", nil, act{wf.UpdateEscalate, complaint.EscalateRequest{Actor: actor("sup-sue"), Reason: "regulator asked"}}, true, hr},
		{"classification_override", nil, act{wf.UpdateClassification, complaint.ClassificationRequest{Actor: actor("sup-sue"), Category: complaint.Categories()[0], Severity: complaint.Severities()[0], Reason: "read again"}}, true, hr},
		{"findings", nil, toFindings[0], true, hr},
		{"proposed", toFindings, toProposal[1], true, hr},
		{"approval_given", toProposal, toCustomer[2], true, hr},
		{"closed", toCustomer, act{wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}}, false, hr},
		{"appealed", toCustomer, act{wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "reject", Comment: "Not enough."}}, true, hr},
		{"repeat_contact", nil, act{wf.UpdateIntake, repeat()}, true, hr},
		{"withdrawn", nil, act{wf.UpdateWithdraw, complaint.WithdrawRequest{Reason: "solved elsewhere"}}, false, hr},
		{"survey_answered", append(toCustomer, act{wf.UpdateCustomerResponse, complaint.CustomerResponse{Decision: "accept"}}),
			act{wf.UpdateSurvey, complaint.SurveyAnswer{Score: 4, Comment: "fine"}}, false, 4 * 24 * hr},
	}
	for _, tt := range tests {
		t.Run(tt.change, func(t *testing.T) {
			h, m := newRejectingHarness(t, tt.change)
			for i, a := range tt.setup {
				h.at(time.Duration(i+1)*10*time.Minute, a.name, a.arg, "")
			}
			var before complaint.State
			h.env.RegisterDelayedCallback(func() { before, _ = h.agree("before", tt.change) }, tt.at-time.Minute)
			h.at(tt.at, tt.update.name, tt.update.arg, "SQLSTATE 22021")
			var checks int
			h.env.RegisterDelayedCallback(func() {
				checks++
				st, _ := h.agree("after the refusal", tt.change)
				if st.Status != before.Status || st.EventSeq != before.EventSeq || st.Assignee != before.Assignee ||
					st.Level != before.Level || st.Category != before.Category || (st.Findings == nil) != (before.Findings == nil) ||
					st.ProposalCount != before.ProposalCount || st.SurveyStatus != before.SurveyStatus || len(st.RepeatContacts) != len(before.RepeatContacts) {
					t.Errorf("state after the refusal = %+v\nwant as before  %+v", st, before)
				}
				if n := m.get("complaints_store_rejected", map[string]string{"change": tt.change}); n != 1 {
					t.Errorf("complaints_store_rejected{change=%s} = %d, want 1", tt.change, n)
				}
				if tt.change == "approval_given" && len(h.ledger()) != 0 {
					t.Errorf("a refused approval paid: %+v", h.ledger())
				}
				h.repair()
			}, tt.at+10*time.Minute)
			retry := tt.at + hr
			h.at(retry, tt.update.name, tt.update.arg, "")
			h.env.RegisterDelayedCallback(func() {
				// The retried change follows the events from before under
				// the refused one's number (an appeal, an approval or a
				// customer's acceptance writes more after it).
				checks++
				_, r := h.agree("after the retry", "")
				if len(r.types) <= before.EventSeq || r.types[before.EventSeq] != tt.change {
					t.Errorf("events %v: want %s as event %d, the refused number", r.types, tt.change, before.EventSeq+1)
				}
			}, retry+10*time.Minute)
			if tt.withdraw {
				h.at(retry+hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
			}
			final := h.run()
			// A retried withdrawal or survey answer ends the case: the
			// check after the retry is then made here.
			if checks == 0 {
				t.Errorf("the workflow ended before the refusal could be checked")
			}
			r := h.records()
			if len(r.types) <= before.EventSeq || r.types[before.EventSeq] != tt.change || r.status != final.Status || r.lastSeq != final.EventSeq {
				t.Errorf("at the end: row %s #%d, workflow %s #%d, events %v; want %s as event %d", r.status, r.lastSeq,
					final.Status, final.EventSeq, r.types, tt.change, before.EventSeq+1)
			}
		})
	}
}

// TestStoreRejectedSystemChangeWaitsForRepair refuses the workflow's own
// changes (the registration, the acknowledgement): the workflow keeps the
// case where it is, counts the refusal again at every hourly retry,
// refuses updates meanwhile as blocked (so nothing is written
// after the refused change, which keeps its number), and goes on once the
// database takes the change.
func TestStoreRejectedSystemChangeWaitsForRepair(t *testing.T) {
	for _, change := range []string{"received", "acknowledged"} {
		t.Run(change, func(t *testing.T) {
			h, m := newRejectingHarness(t, change)
			h.env.RegisterDelayedCallback(func() {
				st, r := h.state(), h.records()
				switch change {
				case "received":
					if r.exists || st.Registered {
						t.Errorf("refused registration: row exists %v, registered %v", r.exists, st.Registered)
					}
				case "acknowledged":
					if r.status != complaint.StatusReceived || r.lastSeq != 2 || len(r.seqs) != 2 || st.EventSeq != 3 {
						t.Errorf("refused acknowledgement: row %s #%d, events %v, workflow #%d", r.status, r.lastSeq, r.seqs, st.EventSeq)
					}
				}
				if h.env.IsWorkflowCompleted() {
					t.Error("the workflow ended")
				}
			}, 30*time.Minute)
			h.at(40*time.Minute, wf.UpdateNote, complaint.NoteRequest{Actor: actor("agent-ann"), Text: "a note while blocked"}, "CaseBlocked")
			h.env.RegisterDelayedCallback(func() {
				if n := m.get("complaints_store_rejected", map[string]string{"change": change}); n != 2 {
					t.Errorf("complaints_store_rejected{change=%s} after two tries = %d, want 2", change, n)
				}
				h.repair()
			}, 90*time.Minute)
			h.env.RegisterDelayedCallback(func() {
				st, r := h.agree("after the repair", "")
				if st.Status != complaint.StatusAcknowledged || !r.exists {
					t.Errorf("after the repair: status %s, row exists %v", st.Status, r.exists)
				}
			}, 2*hr+15*time.Minute)
			h.at(3*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
			st := h.run()
			if st.Status != complaint.StatusWithdrawn {
				t.Errorf("final status %s", st.Status)
			}
		})
	}
}

// TestAppErrorKinds checks each error kind crosses Temporal with its type,
// an invalid request with every bad field.
func TestAppErrorKinds(t *testing.T) {
	tests := []struct {
		err    error
		typ    string
		fields int
	}{
		{complaint.ValidateFindings(complaint.Findings{Cause: "a\x00", Responsibility: "nobody"}), wf.ErrTypeInvalid, 4},
		{complaint.ValidateProposal(complaint.ProposalRequest{Remedies: []complaint.Remedy{{Type: "cash", Amount: -1, Note: "\ufffd"}}}), wf.ErrTypeInvalid, 4},
		{fmt.Errorf("%w: needs a manager", complaint.ErrAuthority), wf.ErrTypeForbidden, 0},
		{complaint.ErrSelfApproval, wf.ErrTypeForbidden, 0},
		{fmt.Errorf("%w: the case is closed", complaint.ErrWrongState), wf.ErrTypeWrongState, 0},
		{fmt.Errorf("%w: waiting for repair", complaint.ErrCaseBlocked), wf.ErrTypeCaseBlocked, 0},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			err := wf.AppError(tt.err)
			if got := wf.ErrorType(err); got != tt.typ {
				t.Fatalf("type of %v = %q, want %q", tt.err, got, tt.typ)
			}
			if got := len(wf.InvalidFields(err)); got < tt.fields {
				t.Errorf("fields of %v = %d, want at least %d", err, got, tt.fields)
			}
			if tt.typ == wf.ErrTypeInvalid && !errors.Is(tt.err, complaint.ErrInvalid) {
				t.Error("not ErrInvalid")
			}
		})
	}
}
