package app_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
	"github.com/complaint-handling/complaints/workflows"
)

// awaitingApproval files a complaint for customerID and takes it to a
// 2,000.00 CNY refund awaiting approval: beyond a supervisor's authority,
// within a manager's. It returns the case id.
func awaitingApproval(t *testing.T, s *stack, customerID string) string {
	t.Helper()
	agent := s.token("agent-ann", "agent", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	body := maps.Clone(complaintBody)
	// An anonymous filing's customer id is derived from its email: one
	// address per customer keeps their cases apart.
	body["customer"] = map[string]any{"id": customerID, "name": "Li Na", "email": customerID + "@example.com"}
	var created struct{ ID string }
	s.must(201, "POST", "/v1/complaints", "", body, &created)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/findings", agent, map[string]any{"cause": "refund.delayed",
		"cause_detail": "refund.delayed.return_not_scanned", "responsibility": "company", "responsible_unit": "returns desk",
		"summary": "The return was received but not scanned."}, nil)
	s.must(200, "POST", "/v1/complaints/"+created.ID+"/proposal", agent, map[string]any{
		"remedies": []map[string]any{{"type": "refund", "amount": 200000, "currency": "CNY"}}, "message": "Refunding 2,000.00 CNY."}, nil)
	return created.ID
}

// dialAttacker is a Temporal client of someone who reached the frontend:
// with dc as its data converter (nil: the SDK's plaintext default) and the
// given interceptors, but never the API's signing interceptor.
func dialAttacker(t *testing.T, s *stack, dc *codec.Codec, ics ...interceptor.ClientInterceptor) client.Client {
	t.Helper()
	o := client.Options{HostPort: s.app.Config.TemporalAddress, Namespace: s.app.Config.TemporalNamespace,
		Interceptors: ics, Logger: tlog.NewStructuredLogger(testenv.Logger(t))}
	if dc != nil {
		o.DataConverter = dc.DataConverter()
	}
	c, err := client.Dial(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// forgedEnvelope signs an envelope for the update with a key of the
// attacker's choosing.
type forgedEnvelope struct {
	interceptor.ClientInterceptorBase
	interceptor.ClientOutboundInterceptorBase
	key []byte
}

func (f *forgedEnvelope) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	o := &forgedEnvelope{key: f.key}
	o.ClientOutboundInterceptorBase.Next = next
	return o
}

func (f *forgedEnvelope) UpdateWorkflow(ctx context.Context, in *interceptor.ClientUpdateWorkflowInput) (client.WorkflowUpdateHandle, error) {
	s := envelope.Signer{Key: f.key, Now: time.Now}
	return envelope.ClientInterceptor(s).InterceptClient(f.ClientOutboundInterceptorBase.Next).
		UpdateWorkflow(envelope.WithActor(ctx, envelope.Actor{ID: "mallory", Role: "director"}), in)
}

// TestForgedDecisionsAtTheFrontDoor performs the attacks of issue #18 on
// the real stack: a 2,000.00 CNY refund that needs a manager is approved
// by "mallory", a director nobody authenticated, through the Temporal
// frontend: in plaintext (no payload key), with the stolen payload key but
// no signature, with the payload key and a signature under a guessed key;
// and a manager's genuine signed approval of another case is replayed, its
// encrypted input and envelope copied from that case's history, onto this
// case and, renamed, as a withdrawal. Every one is refused by the worker;
// nothing is paid, the audit trail names nobody but the staff who acted,
// and the refusals are counted. Each attack has a case of its own, so
// each one shows on its own what it would do without the lock it meets.
func TestForgedDecisionsAtTheFrontDoor(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var targets []string
	newTarget := func(customerID string) store.Case {
		t.Helper()
		id := awaitingApproval(t, s, customerID)
		cs, err := s.app.Store.GetCase(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, id)
		return cs
	}
	forged := complaint.ApprovalRequest{Actor: complaint.Actor{ID: "mallory", Role: "director"}, Decision: "approve", Comment: "ok"}
	keys, _ := codec.ParseKeys(testenv.PayloadKeys)
	stolen, err := codec.New(testenv.PayloadKeyID, keys)
	if err != nil {
		t.Fatal(err)
	}
	attacks := []struct {
		name   string
		client client.Client
		want   string
	}{
		{"plaintext, no payload key", dialAttacker(t, s, nil), "payload refused"},
		{"stolen payload key, unsigned", dialAttacker(t, s, stolen), "(unsigned)"},
		{"stolen payload key, signed with a guessed key", dialAttacker(t, s, stolen, &forgedEnvelope{key: []byte(strings.Repeat("g", 40))}), "(bad_signature)"},
	}
	for i, a := range attacks {
		cs := newTarget(fmt.Sprintf("cust-frontdoor-forged-%d", i))
		t.Run(a.name, func(t *testing.T) {
			h, err := a.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: cs.WorkflowID, FirstExecutionRunID: cs.FirstRunID,
				UpdateName: workflows.UpdateApproval, Args: []any{forged}, WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			if err == nil || !strings.Contains(err.Error(), a.want) {
				t.Fatalf("forged approval: %v; want a refusal containing %q", err, a.want)
			}
		})
	}

	// A manager approves another case through the API; its signed
	// approval is then replayed from that case's history.
	other := awaitingApproval(t, s, "cust-frontdoor-signed")
	mgr := s.token("mgr-max", "manager", "billing")
	s.must(200, "GET", "/v1/me", mgr, nil, nil)
	s.must(200, "POST", "/v1/complaints/"+other+"/approvals", mgr, map[string]any{"decision": "approve", "comment": "ok"}, nil)
	var ocs store.Case
	eventually(t, "the approved case paid and awaiting its customer", func() bool {
		var err error
		ocs, err = s.app.Store.GetCase(ctx, other)
		return err == nil && ocs.Status == complaint.StatusAwaitingCustomer
	})
	var approval *updatepb.Input
	it := s.app.Temporal.GetWorkflowHistory(ctx, ocs.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if in := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput(); in.GetName() == workflows.UpdateApproval {
			approval = in
		}
	}
	if approval == nil || approval.GetHeader().GetFields()[envelope.HeaderKey] == nil {
		t.Fatalf("no signed approval in the history of %s: %v", ocs.WorkflowID, approval)
	}
	third := newTarget("cust-frontdoor-replayed")
	replays := []struct {
		name, workflowID, runID, update, want string
	}{
		{"onto another case", third.WorkflowID, third.FirstRunID, workflows.UpdateApproval, "(wrong_target)"},
		{"as another update", ocs.WorkflowID, ocs.FirstRunID, workflows.UpdateWithdraw, "(wrong_target)"},
	}
	plain := dialAttacker(t, s, nil)
	for i, r := range replays {
		t.Run("replayed "+r.name, func(t *testing.T) {
			resp, err := plain.WorkflowService().UpdateWorkflowExecution(ctx, &workflowservice.UpdateWorkflowExecutionRequest{
				Namespace:           s.app.Config.TemporalNamespace,
				WorkflowExecution:   &commonpb.WorkflowExecution{WorkflowId: r.workflowID},
				FirstExecutionRunId: r.runID,
				WaitPolicy:          &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED},
				Request: &updatepb.Request{Meta: &updatepb.Meta{UpdateId: "replay-" + string(rune('a'+i))},
					Input: &updatepb.Input{Name: r.update, Header: approval.GetHeader(), Args: approval.GetArgs()}},
			})
			if f := resp.GetOutcome().GetFailure(); err == nil && f != nil {
				// A rejection comes back as the outcome's failure.
				err = errors.New(f.GetMessage())
			}
			if err == nil || !strings.Contains(err.Error(), r.want) {
				t.Fatalf("replayed approval: %v; want a refusal containing %q", err, r.want)
			}
		})
	}

	// Nothing happened: every target still awaits approval, nothing is
	// paid, the audit trail names no mallory and records no approval; the
	// approved case is not withdrawn.
	for _, id := range targets {
		if c, err := s.app.Store.GetCase(ctx, id); err != nil || c.Status != complaint.StatusAwaitingApproval {
			t.Errorf("case %s is %q (%v), want %s", id, c.Status, err, complaint.StatusAwaitingApproval)
		}
		if l, err := s.app.Store.LedgerForCase(ctx, id); err != nil || len(l) != 0 {
			t.Errorf("ledger of case %s: %+v %v; want nothing paid", id, l, err)
		}
		events, err := s.app.Store.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Actor == "mallory" || strings.Contains(string(e.Payload), "mallory") || e.Type == "approval_given" {
				t.Errorf("the audit trail of case %s records a forged decision: %+v", id, e)
			}
		}
	}
	if c, err := s.app.Store.GetCase(ctx, other); err != nil || c.Status != complaint.StatusAwaitingCustomer {
		t.Errorf("the approved case %s is %q (%v), want it still awaiting its customer", other, c.Status, err)
	}
	got := gathered(t, s)
	for _, m := range []string{`complaints_codec_rejected_payloads_total{reason="plaintext"}`, `complaints_decision_rejected_total{reason="unsigned"}`,
		`complaints_decision_rejected_total{reason="bad_signature"}`, `complaints_decision_rejected_total{reason="wrong_target"}`} {
		if got[m] < 1 {
			t.Errorf("%s = %v, want at least 1", m, got[m])
		}
	}
}

// gathered returns the process's counters and gauges by name{labels}.
func gathered(t *testing.T, s *stack) map[string]float64 {
	t.Helper()
	mfs, err := s.app.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			key := mf.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			out[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return out
}
