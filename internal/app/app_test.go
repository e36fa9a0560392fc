package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/bench"
	"github.com/complaint-handling/complaints/internal/classify"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/internal/testenv"
	"github.com/complaint-handling/complaints/workflows"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// embedded is the package's Temporal server, on the package's PostgreSQL.
var embedded struct {
	once sync.Once
	ts   *temporalserver.Server
	err  error
}

// shared is the classifier's segmenter, loaded once for the package's
// stacks (its dictionary takes a second and a hundred megabytes).
var shared struct {
	once sync.Once
	seg  *classify.Segmenter
	err  error
}

func segmenter(t *testing.T) *classify.Segmenter {
	t.Helper()
	shared.once.Do(func() { shared.seg, shared.err = classify.NewSegmenter() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.seg
}

// temporalServer starts the package's embedded Temporal server the first
// time a test asks (testenv.Main stops it after the tests), and returns it.
// Under -short it skips t, as env.Postgres does.
func temporalServer(t *testing.T) *temporalserver.Server {
	t.Helper()
	pg := env.Postgres(t)
	embedded.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		embedded.ts, embedded.err = temporalserver.Start(ctx, temporalserver.Options{
			DatabaseURL: pg.URL("postgres"), Namespace: "complaints",
			SearchAttributes: workflows.SearchAttributeTypes(), LogFile: filepath.Join(env.Dir, "temporal.log"),
		})
		if embedded.err == nil {
			env.AtExit(func() { _ = embedded.ts.Stop() })
		}
	})
	if embedded.err != nil {
		t.Fatalf("the embedded Temporal server could not start: %v", embedded.err)
	}
	return embedded.ts
}

const (
	jwtSecret   = "test-jwt-secret-0123456789abcdef0123456789"
	tokenSecret = "test-token-secret-0123456789abcdef012345678"
)

// shortClocks are the default profiles with clocks short enough for a
// whole case, survey included, to run in real time (those of the bench
// worker).
func shortClocks() map[string]complaint.Clocks { return bench.ShortClocks() }

// failOncePayments pays through the real ledger, then reports a failure
// the first time for each key, as a provider whose answer is lost after it
// paid: the activity is retried and must not pay twice.
type failOncePayments struct {
	activities.LedgerPayments
	seen  sync.Map
	fails atomic.Int32
	// gate, when set, runs before each payment (a slow provider).
	gate atomic.Pointer[func(context.Context) error]
}

func (f *failOncePayments) Pay(ctx context.Context, p activities.Payment) error {
	if g := f.gate.Load(); g != nil {
		if err := (*g)(ctx); err != nil {
			return err
		}
	}
	if err := f.LedgerPayments.Pay(ctx, p); err != nil {
		return err
	}
	if _, again := f.seen.LoadOrStore(p.IdempotencyKey, true); !again {
		f.fails.Add(1)
		return errors.New("connection reset after the payment was made (injected)")
	}
	return nil
}

type stack struct {
	t        *testing.T
	router   routers.Router
	app      *app.App
	base     string
	payments *failOncePayments
}

func startStack(t *testing.T, overrides ...string) *stack {
	t.Helper()
	return startStackWith(t, shortClocks(), overrides...)
}

// startStackWith is startStack with the given clock profiles.
func startStackWith(t *testing.T, profiles map[string]complaint.Clocks, overrides ...string) *stack {
	t.Helper()
	return startStackOpts(t, profiles, app.Options{}, overrides...)
}

// startStackOpts is startStackWith with options (a chat client) beyond
// the ones every stack gets.
func startStackOpts(t *testing.T, profiles map[string]complaint.Clocks, opts app.Options, overrides ...string) *stack {
	t.Helper()
	ts := temporalServer(t)
	// The application runs as the role that may only read and append to
	// the audit trail; the owner migrates.
	appURL, ownerURL := env.NewDatabaseURLs(t)
	// Each test has its own TOKEN_SECRET, which keys the matter workflow
	// ids: the package's tests share one Temporal namespace, and an
	// anonymous filing's customer id is derived from its email, so two
	// tests filing for the same address and order would otherwise meet in
	// one workflow.
	cfg, err := config.Load(func(k string) string {
		for i := 0; i+1 < len(overrides); i += 2 {
			if overrides[i] == k {
				return overrides[i+1]
			}
		}
		return map[string]string{
			// The tests poll the tracking page; the limit has its own test.
			"PUBLIC_RATE":  "0",
			"DATABASE_URL": appURL, "MIGRATE_DATABASE_URL": ownerURL, "TEMPORAL_ADDRESS": ts.HostPort(), "TEMPORAL_NAMESPACE": ts.Namespace(),
			"TEMPORAL_TASK_QUEUE": "q-" + strings.ReplaceAll(t.Name(), "/", "-"), "HTTP_ADDR": "127.0.0.1:0",
			"JWT_SECRET": jwtSecret, "TOKEN_SECRET": tokenSecret + "-" + t.Name(), "DATA_DIR": t.TempDir(),
			"PAYLOAD_KEYS": testenv.PayloadKeys, "PAYLOAD_KEY_ID": testenv.PayloadKeyID,
			"DECISION_SIGNING_KEY": testenv.DecisionSigningKey,
			// Members first seen from a token take cases at once; the
			// confirmation rule has its own test.
			"STAFF_AUTO_CONFIRM": "on",
			// Tests written before the team rule act across teams; the
			// rule has its own tests (TestRoleMatrix, the masking test).
			"TEAM_ISOLATION": "off",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t}
	run := app.RunAPI | app.RunWorker
	for i := 0; i+1 < len(overrides); i += 2 {
		// TEST_RUN=api runs no worker here: the test runs its own.
		if overrides[i] == "TEST_RUN" && overrides[i+1] == "api" {
			run = app.RunAPI
		}
	}
	opts.Run, opts.Profiles = run, profiles
	if opts.Segmenter == nil {
		opts.Segmenter = segmenter(t)
	}
	opts.Payments = func(st *store.Store) activities.Payments {
		s.payments = &failOncePayments{LedgerPayments: activities.LedgerPayments{Store: st}}
		return s.payments
	}
	a, err := app.Start(context.Background(), cfg, opts, testenv.Logger(t))
	if err != nil {
		t.Fatalf("app.Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	s.app, s.base = a, "http://"+a.APIAddr
	doc, err := apiserver.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if s.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *stack) token(sub, role, team string) string {
	tok, err := auth.Mint([]byte(jwtSecret), sub, role, team, "", time.Hour, time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// call sends a JSON request and decodes the JSON answer into out (if not
// nil); it returns the status code.
func (s *stack) call(method, path, token string, body any, out any, headers ...string) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	s.checkAgainstSpec(req, resp, raw)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	if resp.StatusCode >= 400 && out == nil {
		s.t.Logf("%s %s -> %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

func (s *stack) must(want int, method, path, token string, body any, out any, headers ...string) {
	s.t.Helper()
	var raw json.RawMessage
	got := s.call(method, path, token, body, &raw, headers...)
	if got != want {
		s.t.Fatalf("%s %s = %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// eventually polls cond for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var complaintBody = map[string]any{
	"customer":       map[string]any{"id": "cust-42", "name": "Zhang Wei", "phone": "+86 139 1234 5678", "email": "zhang.wei@example.com"},
	"channel":        "web",
	"subject":        "Refund not received",
	"description":    "I returned the faulty kettle three weeks ago and the refund never arrived on my bill.",
	"desired_remedy": "refund of 150 yuan",
	"order_ref":      "ORD-2026-7781",
	"product":        "kettle",
	"region":         "Shanghai",
	"branch":         "SH-01",
	"language":       "en",
}

// TestWholeCaseThroughTheAPI files a complaint, investigates, proposes a
// refund above the agent's authority, has it approved by a supervisor,
// accepted by the customer and surveyed, against the real Temporal server
// and PostgreSQL; then it checks the rows.
func TestWholeCaseThroughTheAPI(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-ann", "agent", "billing")
	sup := s.token("sup-sue", "supervisor", "billing")
	// Staff register on first sign-in, before the case arrives.
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", sup, nil, nil)

	var created struct {
		ID            string `json:"id"`
		CaseNumber    string `json:"case_number"`
		Status        string `json:"status"`
		TrackingToken string `json:"tracking_token"`
		TrackingURL   string `json:"tracking_url"`
		RepeatContact bool   `json:"repeat_contact"`
	}
	s.must(201, "POST", "/v1/complaints", "", complaintBody, &created, "Idempotency-Key", "req-1")
	if !regexp.MustCompile(`^CMP-\d{8}-\d{6}$`).MatchString(created.CaseNumber) {
		t.Errorf("case number %q", created.CaseNumber)
	}
	// The same Idempotency-Key again: the same case, 200 (anonymous: its
	// number, the link going to the contact on file).
	var again struct {
		CaseNumber    string `json:"case_number"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(200, "POST", "/v1/complaints", "", complaintBody, &again, "Idempotency-Key", "req-1")
	if again.CaseNumber != created.CaseNumber || again.TrackingToken != "" {
		t.Errorf("idempotent retry answered %+v, want case %s without its token", again, created.CaseNumber)
	}
	var ack struct {
		Status string `json:"status"`
	}
	eventually(t, "acknowledged", func() bool {
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &ack)
		return ack.Status == complaint.StatusAcknowledged
	})
	// A second complaint on the same order: a repeat contact on this case.
	repeat := map[string]any{}
	for k, v := range complaintBody {
		repeat[k] = v
	}
	repeat["channel"], repeat["subject"] = "phone", "Calling again about my refund"
	var rep struct {
		CaseNumber    string `json:"case_number"`
		RepeatContact bool   `json:"repeat_contact"`
	}
	s.must(200, "POST", "/v1/complaints", "", repeat, &rep)
	if rep.CaseNumber != created.CaseNumber || !rep.RepeatContact {
		t.Errorf("repeat contact answered %+v", rep)
	}

	var list struct {
		Complaints []struct {
			ID            string `json:"id"`
			CustomerPhone string `json:"customer_phone"`
		} `json:"complaints"`
	}
	s.must(200, "GET", "/v1/complaints?category=billing", agent, nil, &list)
	if len(list.Complaints) != 1 || strings.Contains(list.Complaints[0].CustomerPhone, "1234") {
		t.Fatalf("list = %+v", list)
	}
	id := created.ID
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", agent, map[string]any{"cause": "refund.delayed",
		"cause_detail": "refund.delayed.return_not_scanned", "responsibility": "company", "responsible_unit": "returns desk",
		"summary": "The return was received but not scanned, so the refund was never triggered."}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", agent, map[string]any{
		"remedies": []map[string]any{{"type": "refund", "amount": 15000, "currency": "CNY"}, {"type": "apology"}},
		"message":  "We are refunding 150.00 CNY today and apologise for the delay."}, nil)
	// The agent may not approve money, let alone their own proposal.
	s.must(403, "POST", "/v1/complaints/"+id+"/approvals", agent, map[string]any{"decision": "approve"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/approvals", sup, map[string]any{"decision": "approve", "comment": "ok"}, nil)

	var tr struct {
		Status       string                        `json:"status"`
		SurveyStatus string                        `json:"survey_status"`
		Messages     []struct{ Kind, Body string } `json:"messages"`
		Proposal     *struct{ Message string }     `json:"proposal"`
	}
	track := func() {
		tr.Messages = nil
		s.must(200, "GET", "/v1/track/"+created.TrackingToken, "", nil, &tr)
	}
	eventually(t, "awaiting_customer", func() bool { track(); return tr.Status == complaint.StatusAwaitingCustomer })
	if tr.Proposal == nil || !strings.Contains(tr.Proposal.Message, "150.00") {
		t.Errorf("tracking proposal = %+v", tr.Proposal)
	}
	s.must(200, "POST", "/v1/track/"+created.TrackingToken+"/response", "", map[string]any{"decision": "accept"}, nil)
	var surveyToken string
	eventually(t, "survey sent", func() bool {
		track()
		for _, m := range tr.Messages {
			if m.Kind == "survey" {
				surveyToken = regexp.MustCompile(`/survey/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Body)[1]
				// The link works outside the tracking page too (an email, a
				// text message): it is absolute.
				if !strings.Contains(m.Body, s.base+"/survey/"+surveyToken) {
					t.Errorf("the survey message's link is not absolute: %q", m.Body)
				}
			}
		}
		return surveyToken != "" && tr.SurveyStatus == complaint.SurveySent
	})
	s.must(200, "POST", "/v1/surveys/"+surveyToken, "", map[string]any{"score": 5, "comment": "Sorted quickly"}, nil)

	// The rows: one case, its events in order, exactly one ledger entry.
	ctx := context.Background()
	pool := s.app.Store.Pool
	var cases int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&cases)
	if cases != 1 {
		t.Errorf("cases = %d, want 1", cases)
	}
	var events []string
	eventually(t, "survey answered in the audit trail", func() bool {
		evs, err := s.app.Store.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		events = events[:0]
		for _, e := range evs {
			events = append(events, e.Type)
		}
		return len(events) > 0 && events[len(events)-1] == "survey_answered"
	})
	want := "received,classified,acknowledged,repeat_contact,findings,proposed,approval_given,executed,closed,survey_sent,survey_answered"
	if got := strings.Join(events, ","); got != want {
		t.Errorf("events =\n %s\nwant\n %s", got, want)
	}
	ledger, err := s.app.Store.LedgerForCase(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 1 || ledger[0].Amount != 15000 || ledger[0].Kind != "payout" {
		t.Errorf("ledger = %+v, want one payout of 15000", ledger)
	}
	if s.payments.fails.Load() != 1 {
		t.Errorf("injected payment failures = %d, want 1 (the retry path was not exercised)", s.payments.fails.Load())
	}
	var status, survey string
	_ = pool.QueryRow(ctx, `SELECT status, survey_status FROM cases WHERE id = $1`, id).Scan(&status, &survey)
	if status != "closed" || survey != "answered" {
		t.Errorf("case row status=%s survey=%s", status, survey)
	}
	cs, _ := s.app.Store.GetCase(ctx, id)
	saveHistory(t, s, cs.WorkflowID, "whole-case")

	noPersonalDataInTemporal(t, s, cs.WorkflowID, "Zhang Wei", "+86 139 1234 5678", "zhang.wei@example.com")

	// The workflow's own counters (emitted through the replay-safe
	// handler) and the SDK's metrics reach /metrics.
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`complaints_received_total{`, `complaints_remedies_executed_total{`, `complaints_closed_total{`,
		`temporal_workflow_task_execution_latency_seconds_bucket{`, `complaints_http_requests_total{code="2xx",method="POST",route="/v1/complaints"}`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestInfoRefusalAppealWithdrawThroughTheAPI drives a second path: a
// request for information answered, a refusal signed off by a supervisor,
// the customer's appeal, an escalation, and a withdrawal.
func TestInfoRefusalAppealWithdrawThroughTheAPI(t *testing.T) {
	s := startStack(t)
	agent := s.token("agent-bob", "agent", "service")
	sup := s.token("sup-sam", "supervisor", "service")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	body := map[string]any{
		"customer": map[string]any{"id": "cust-7", "name": "王芳", "phone": "13912345678"},
		"channel":  "phone", "subject": "客服态度差", "description": "客服挂我电话，态度很差，要求每天给我打电话提醒",
		"desired_remedy": "道歉并赔偿", "language": "zh", "received_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
	}
	var created struct {
		ID            string `json:"id"`
		TrackingToken string `json:"tracking_token"`
	}
	s.must(201, "POST", "/v1/complaints", agent, body, &created)
	id, tok := created.ID, created.TrackingToken
	waitStatus := func(want string) {
		var tr struct {
			Status   string `json:"status"`
			Question string `json:"question"`
		}
		eventually(t, want, func() bool {
			s.must(200, "GET", "/v1/track/"+tok, "", nil, &tr)
			if tr.Status != want {
				t.Logf("status %s", tr.Status)
			}
			return tr.Status == want
		})
	}
	waitStatus(complaint.StatusAcknowledged)
	s.must(200, "POST", "/v1/complaints/"+id+"/request-info", agent, map[string]any{"question": "请提供通话时间"}, nil)
	waitStatus(complaint.StatusAwaitingInfo)
	s.must(200, "POST", "/v1/track/"+tok+"/info", "", map[string]any{"answer": "11月20日上午10点"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", agent, map[string]any{"cause": "service.expectation",
		"cause_detail": "service.expectation.daily_reminder", "responsibility": "customer",
		"summary": "The reminders were all sent as the policy requires; a daily call was never promised."}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", agent, map[string]any{
		"refusal_reason": "每日电话提醒不在服务承诺范围内", "message": "经核实，我们已按规定提醒，无法满足每日电话的要求。"}, nil)
	s.must(403, "POST", "/v1/complaints/"+id+"/approvals", agent, map[string]any{"decision": "approve"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/approvals", sup, map[string]any{"decision": "approve"}, nil)
	defer func() {
		if t.Failed() {
			cs, _ := s.app.Store.GetCase(context.Background(), id)
			it := s.app.Temporal.GetWorkflowHistory(context.Background(), cs.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, _ := it.Next()
				t.Logf("%d %s %v", ev.EventId, ev.EventType, ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
			}
		}
	}()
	waitStatus(complaint.StatusAwaitingCustomer)
	s.must(422, "POST", "/v1/track/"+tok+"/response", "", map[string]any{"decision": "reject"}, nil)
	s.must(200, "POST", "/v1/track/"+tok+"/response", "", map[string]any{"decision": "reject", "comment": "不接受"}, nil)
	waitStatus(complaint.StatusInvestigating)
	s.must(200, "POST", "/v1/complaints/"+id+"/escalate", sup, map[string]any{"reason": "customer insists; manager to review"}, nil)
	s.must(200, "POST", "/v1/track/"+tok+"/withdraw", "", map[string]any{"reason": "算了"}, nil)
	s.must(409, "POST", "/v1/track/"+tok+"/withdraw", "", nil, nil)

	evs, err := s.app.Store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	want := "received,classified,acknowledged,info_requested,info_received,findings,proposed,approval_given,executed,appealed,appeal_assigned,escalated,withdrawn"
	if got := strings.Join(types, ","); got != want {
		t.Errorf("events =\n %s\nwant\n %s", got, want)
	}
	if evs[0].Actor != "agent-bob" {
		t.Errorf("received by %q, want the agent who entered it", evs[0].Actor)
	}
	var cs store.Case
	if cs, err = s.app.Store.GetCase(context.Background(), id); err != nil || cs.Status != "withdrawn" || cs.Level != "manager" {
		t.Errorf("case = %s level %s, %v", cs.Status, cs.Level, err)
	}
	saveHistory(t, s, cs.WorkflowID, "info-refusal-appeal-withdraw")
}

// saveHistory writes the workflow's history to workflows/testdata for the
// replay test when UPDATE_HISTORIES=1 (run after changing the workflow
// only with a GetVersion guard, then commit the new files beside the old).
func saveHistory(t *testing.T, s *stack, workflowID, name string) {
	t.Helper()
	if os.Getenv("UPDATE_HISTORIES") != "1" {
		return
	}
	// Let the workflow finish so the history is complete.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.app.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil)
	it := s.app.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "workflows", "testdata", name+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStaffRegistrationAndAdmin: staff register from their token on first
// use; an admin deactivates one, who is then refused; only admins manage.
func TestStaffRegistrationAndAdmin(t *testing.T) {
	s := startStack(t)
	admin := s.token("root-ada", "admin", "")
	agent := s.token("agent-al", "agent", "quality")
	s.must(401, "GET", "/v1/complaints", "", nil, nil)
	s.must(401, "GET", "/v1/complaints", "not-a-token", nil, nil)
	expired, _ := auth.Mint([]byte(jwtSecret), "agent-al", "agent", "quality", "", time.Minute, time.Now().Add(-time.Hour))
	s.must(401, "GET", "/v1/complaints", expired, nil, nil)
	s.must(200, "GET", "/v1/complaints", agent, nil, nil)
	var list struct {
		Staff []struct {
			ID, Role, Team string
			Active         bool
		} `json:"staff"`
	}
	s.must(200, "GET", "/v1/staff", admin, nil, &list)
	if len(list.Staff) != 2 {
		t.Fatalf("staff = %+v", list.Staff)
	}
	s.must(403, "PATCH", "/v1/staff/agent-al", agent, map[string]any{"active": false}, nil)
	s.must(422, "PATCH", "/v1/staff/agent-al", admin, map[string]any{"team": "no-such-team"}, nil)
	s.must(400, "PATCH", "/v1/staff/agent-al", admin, map[string]any{"activ": false}, nil)
	s.must(200, "PATCH", "/v1/staff/agent-al", admin, map[string]any{"active": false}, nil)
	s.must(403, "GET", "/v1/complaints", agent, nil, nil)
	s.must(404, "PATCH", "/v1/staff/nobody", admin, map[string]any{"active": true}, nil)
}

// noPersonalDataInTemporal checks the raw history (as the server stores and
// serves it, before any decoding) and the Temporal database's history and
// mutable-state blobs for the customer's personal data in plain text.
func noPersonalDataInTemporal(t *testing.T, s *stack, workflowID string, secrets ...string) {
	t.Helper()
	ctx := context.Background()
	resp, err := s.app.Temporal.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: s.app.Config.TemporalNamespace, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID}, MaximumPageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(resp.GetHistory())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetHistory().GetEvents()) < 10 {
		t.Fatalf("history has only %d events", len(resp.GetHistory().GetEvents()))
	}
	conn, err := pgx.Connect(ctx, env.Postgres(t).URL("temporal"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, secret := range secrets {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("raw history holds %q in plain text", secret)
		}
		var n int
		if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM history_node WHERE position($1::bytea in data) > 0)
		    + (SELECT count(*) FROM executions WHERE position($1::bytea in data) > 0 OR position($1::bytea in state) > 0)`,
			[]byte(secret)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("the Temporal database holds %q in plain text in %d rows", secret, n)
		}
	}
}

// TestPublicRateLimit: unauthenticated callers over the limit get 429 with
// Retry-After; staff with a valid token are not held.
func TestPublicRateLimit(t *testing.T) {
	s := startStack(t, "PUBLIC_RATE", "0.5", "PUBLIC_RATE_BURST", "3")
	for i := range 3 {
		s.must(404, "GET", "/v1/track/no-such-token", "", nil, nil)
		_ = i
	}
	req, _ := http.NewRequest("GET", s.base+"/v1/track/no-such-token", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("4th call = %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	agent := s.token("agent-rl", "agent", "billing")
	for range 5 {
		s.must(201, "POST", "/v1/complaints", agent, map[string]any{
			"customer": map[string]any{"id": "c-rl", "name": "N", "email": "n@example.com"}, "channel": "phone",
			"subject": "s", "description": "d"}, nil)
	}
}

// checkAgainstSpec validates a response against the OpenAPI document: its
// status must be documented for the route and its body must match.
func (s *stack) checkAgainstSpec(req *http.Request, resp *http.Response, body []byte) {
	s.t.Helper()
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		s.t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		s.t.Errorf("%s %s -> %d does not match the OpenAPI document: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

// TestConfiguredAuthorityMatrix: AUTHORITY_MATRIX replaces the default
// limits (here a supervisor may approve only up to 50.00).
func TestConfiguredAuthorityMatrix(t *testing.T) {
	s := startStack(t, "AUTHORITY_MATRIX", `{"limits":{"agent":0,"supervisor":5000,"manager":1000000,"director":-1},"four_eyes_above":5000000,"refusal_sign_off_role":"supervisor"}`)
	agent, sup, mgr := s.token("a-1", "agent", "billing"), s.token("s-1", "supervisor", "billing"), s.token("m-1", "manager", "billing")
	for _, tok := range []string{agent, sup, mgr} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	var created struct {
		ID string `json:"id"`
	}
	s.must(201, "POST", "/v1/complaints", "", map[string]any{"customer": map[string]any{"id": "c-9", "name": "N", "email": "n@example.com"},
		"channel": "email", "subject": "Overcharged", "description": "I was charged twice on my bill", "language": "en"}, &created)
	id := created.ID
	eventually(t, "acknowledged", func() bool {
		var cs store.Case
		cs, _ = s.app.Store.GetCase(context.Background(), id)
		return cs.Status == complaint.StatusAcknowledged
	})
	s.must(200, "POST", "/v1/complaints/"+id+"/findings", agent, map[string]any{"cause": "billing.duplicate", "cause_detail": "billing.duplicate.retry",
		"responsibility": "company", "responsible_unit": "payments", "summary": "charged twice"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/proposal", agent, map[string]any{"remedies": []map[string]any{{"type": "refund", "amount": 10000, "currency": "CNY"}},
		"message": "Refund of 100.00"}, nil)
	var p apiserver.Problem
	s.must(403, "POST", "/v1/complaints/"+id+"/approvals", sup, map[string]any{"decision": "approve"}, &p)
	if !strings.Contains(p.Detail, "manager") {
		t.Errorf("refusal detail = %q", p.Detail)
	}
	s.must(200, "POST", "/v1/complaints/"+id+"/approvals", mgr, map[string]any{"decision": "approve"}, nil)
}

// TestReadmeWalkthrough runs scripts/walkthrough.sh, the curl walk-through
// the README documents, against the real stack (short clocks), and checks
// the case ended as the script drove it.
func TestReadmeWalkthrough(t *testing.T) {
	s := startStack(t)
	bin := filepath.Join(t.TempDir(), "complaints")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/complaints").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", "../../scripts/walkthrough.sh")
	cmd.Env = append(os.Environ(), "B="+s.base, "COMPLAINTS="+bin, "JWT_SECRET="+jwtSecret, "SURVEY_WAIT=20", "RUN=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "walkthrough complete") {
		t.Fatalf("walkthrough: %v\n%s", err, out)
	}
	var status, survey string
	eventually(t, "survey answered", func() bool {
		_ = s.app.Store.Pool.QueryRow(context.Background(), `SELECT status, COALESCE(survey_status, '') FROM cases WHERE order_ref = 'E-1'`).Scan(&status, &survey)
		return status == "closed" && survey == "answered"
	})
}

// TestBadInputAndDecisions: bad input of every kind gets a 4xx problem
// naming the field, never a 5xx; and the remaining staff decisions (assign,
// notes, transfer, classification) work through the API.
func TestBadInputAndDecisions(t *testing.T) {
	s := startStack(t, "MAX_BODY_BYTES", "2048")
	agent, sup := s.token("ag-1", "agent", "billing"), s.token("su-1", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", agent, nil, nil)
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	raw := func(method, path, token, body string) (int, apiserver.Problem) {
		req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		s.checkAgainstSpec(req, resp, b)
		var p apiserver.Problem
		_ = json.Unmarshal(b, &p)
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode >= 400 && ct != "application/problem+json" {
			t.Errorf("%s %s: content type %q", method, path, ct)
		}
		return resp.StatusCode, p
	}
	good := `{"customer":{"id":"c-b","name":"N","email":"n@example.com"},"channel":"web","subject":"s","description":"d"}`
	for _, tt := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"malformed", `{"customer":`, 400, ""},
		{"not an object", `[1,2]`, 400, ""},
		{"trailing data", good + ` {}`, 400, ""},
		{"unknown field", strings.Replace(good, `"channel"`, `"chanel"`, 1), 400, "chanel"},
		{"wrong type", strings.Replace(good, `"subject":"s"`, `"subject":5`, 1), 400, "subject"},
		{"invalid utf-8", strings.Replace(good, `"d"`, "\"\xff\xfe\"", 1), 422, "description"},
		{"empty required", strings.Replace(good, `"subject":"s"`, `"subject":" "`, 1), 422, "subject"},
		{"unknown enum", strings.Replace(good, `"web"`, `"pigeon"`, 1), 422, "channel"},
		{"bad email", strings.Replace(good, `n@example.com`, `not-an-email`, 1), 422, "customer.email"},
		{"too long", strings.Replace(good, `"subject":"s"`, `"subject":"`+strings.Repeat("x", 201)+`"`, 1), 422, "subject"},
		{"customer may not backdate", strings.Replace(good, `"description":"d"`, `"description":"d","received_at":"2026-01-01T00:00:00Z"`, 1), 422, "received_at"},
		{"too large", strings.Replace(good, `"d"`, `"`+strings.Repeat("x", 3000)+`"`, 1), 413, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, p := raw("POST", "/v1/complaints", "", tt.body)
			if code != tt.status {
				t.Fatalf("status %d, want %d (%+v)", code, tt.status, p)
			}
			if tt.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field) {
				t.Errorf("errors %+v, want field %s", p.Errors, tt.field)
			}
		})
	}
	if code, _ := raw("POST", "/v1/complaints", agent, strings.Replace(good, `"description":"d"`, `"description":"d","received_at":"2999-01-01T00:00:00Z"`, 1)); code != 422 {
		t.Errorf("future received_at by staff: %d", code)
	}
	if code, p := raw("GET", "/v1/complaints?limit=0&breached=maybe", agent, ""); code != 422 || len(p.Errors) != 2 {
		t.Errorf("bad query: %d %+v", code, p)
	}

	var created struct {
		ID string `json:"id"`
	}
	s.must(201, "POST", "/v1/complaints", "", json.RawMessage(good), &created)
	id := created.ID
	eventually(t, "acknowledged", func() bool {
		cs, _ := s.app.Store.GetCase(context.Background(), id)
		return cs.Status == complaint.StatusAcknowledged
	})
	if code, p := raw("POST", "/v1/complaints/"+id+"/proposal", agent, `{"remedies":[{"type":"refund","amount":-5,"currency":"CNY"}],"message":"m"}`); code != 422 || p.Errors[0].Field != "remedies[0].amount" {
		t.Errorf("negative amount: %d %+v", code, p)
	}
	if code, _ := raw("POST", "/v1/complaints/"+id+"/proposal", agent, `{"remedies":[{"type":"refund","amount":100,"currency":"CNY"}],"message":"m"}`); code != 409 {
		t.Errorf("proposal before findings: %d, want 409", code)
	}
	s.must(200, "POST", "/v1/complaints/"+id+"/assign", sup, map[string]any{"assignee": "ag-1"}, nil)
	s.must(422, "POST", "/v1/complaints/"+id+"/assign", sup, map[string]any{"assignee": "nobody"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/notes", agent, map[string]any{"text": "called the customer"}, nil)
	s.must(200, "POST", "/v1/complaints/"+id+"/classification", sup, map[string]any{"category": "billing", "severity": "high", "reason": "regulator copied"}, nil)
	var view struct {
		Assignee *string `json:"assignee"`
		Team     *string `json:"team"`
		Severity string  `json:"severity"`
		Timeline []struct {
			Type string `json:"type"`
		} `json:"timeline"`
	}
	s.must(200, "POST", "/v1/complaints/"+id+"/transfer", sup, map[string]any{"team": "service", "reason": "it is about the call centre"}, &view)
	if view.Team == nil || *view.Team != "service" || view.Severity != "high" {
		t.Errorf("after transfer: team %v severity %s", view.Team, view.Severity)
	}
	var types []string
	for _, e := range view.Timeline {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); !strings.Contains(got, "assigned,note,classification_override,transferred") {
		t.Errorf("timeline = %s", got)
	}
}
