package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// Fault kinds the chaos run injects.
const (
	FaultWorker   = "kill-worker" // kill -9 a worker process
	FaultAPI      = "kill-api"    // kill -9 an API instance with requests in flight
	FaultPostgres = "restart-postgres"
	FaultTemporal = "kill-temporal" // kill -9 the Temporal server process
)

// ChaosOptions size a chaos run (`make chaos`, and the smaller one in
// `make test`).
type ChaosOptions struct {
	Binary, Dir, Data string
	// Cases is the least number of scripted cases: the load goes on
	// until every fault has been injected and recovered from.
	Cases       int
	Concurrency int
	// Faults are injected in this order at random moments, one at a
	// time, each after the system recovered from the one before.
	Faults []string
	// Pause is the range of the load-only time before each fault.
	PauseMin, PauseMax time.Duration
	// PaymentTimeout is the workers' PAYMENTS_TIMEOUT; the provider's
	// slow answers take 1.5 times as long.
	PaymentTimeout time.Duration
	Seed           uint64
	Out            string
	Stdout         io.Writer
}

// ChaosSmall is the run inside `make test`; ChaosFull is `make chaos`.
func ChaosSmall() ChaosOptions {
	return ChaosOptions{Cases: 24, Concurrency: 6, Faults: []string{FaultWorker, FaultAPI, FaultPostgres, FaultTemporal, FaultWorker},
		PauseMin: 2 * time.Second, PauseMax: 4 * time.Second, PaymentTimeout: time.Second}
}

func ChaosFull() ChaosOptions {
	return ChaosOptions{Cases: 300, Concurrency: 12,
		Faults: []string{FaultWorker, FaultAPI, FaultPostgres, FaultWorker, FaultTemporal, FaultAPI, FaultWorker,
			FaultPostgres, FaultTemporal, FaultWorker, FaultAPI, FaultWorker},
		PauseMin: 5 * time.Second, PauseMax: 15 * time.Second, PaymentTimeout: time.Second}
}

// ChaosReport is chaos-report.json.
type ChaosReport struct {
	// The figures.
	Cases              int     `json:"cases"`
	Faults             int     `json:"faults"`
	Lost               int     `json:"lost"`
	DuplicatedPayments int     `json:"duplicated_payments"`
	Stuck              int     `json:"stuck"`
	MaxRecoveryS       float64 `json:"max_recovery_s"`

	// What else was checked.
	Accepted          int            `json:"accepted"`          // filings answered 2xx (cases and probes)
	Probes            int            `json:"probes"`            // complaints filed to time the recoveries
	DuplicatedCases   int            `json:"duplicated_cases"`  // one filing, more than one case
	WrongState        int            `json:"wrong_state"`       // not in the state their script drove them to
	AuditGaps         int            `json:"audit_gaps"`        // cases whose trail has a gap or lacks a step
	LedgerMismatches  int            `json:"ledger_mismatches"` // ledger and provider disagree
	MissingPayments   int            `json:"missing_payments"`  // approved refunds never paid
	ScriptErrors      int            `json:"script_errors"`     // scripts that gave up (the checks above still count them)
	FirstScriptError  string         `json:"first_script_error,omitempty"`
	ClientRetries     int64          `json:"client_retries"`     // requests sent again after no answer or a 5xx
	ConflictsOnRetry  int64          `json:"conflicts_on_retry"` // a retry found the decision already taken
	ConflictRetries   int64          `json:"conflict_retries"`   // decisions sent again after a 409
	Provider          ProviderCounts `json:"provider"`
	SupervisorRestart map[string]int `json:"supervisor_restarts"`
	FaultLog          []FaultRecord  `json:"fault_log"`
	StuckDetail       []string       `json:"stuck_detail,omitempty"`
	ProblemDetail     []string       `json:"problem_detail,omitempty"`
	CaseP50S          float64        `json:"case_p50_s"` // a script, filing to its last answer
	CaseMaxS          float64        `json:"case_max_s"`
	// SlowestCase is the longest script, step by step (seconds each).
	SlowestCase string `json:"slowest_case"`
	// SelfCheck says the checks found the defects planted after the run.
	SelfCheck string  `json:"self_check"`
	Seed      uint64  `json:"seed"`
	Seconds   float64 `json:"seconds"`
}

// FaultRecord is one injected fault and the recovery from it.
type FaultRecord struct {
	Kind   string  `json:"kind"`
	Target string  `json:"target"`
	AtS    float64 `json:"at_s"` // seconds into the run
	// ServiceS is the time until a new complaint was accepted again
	// (through PostgreSQL, Temporal, a worker and an API); RestoredS the
	// time until the failed part itself was ready again.
	ServiceS   float64 `json:"service_s"`
	RestoredS  float64 `json:"restored_s"`
	RecoveryS  float64 `json:"recovery_s"`
	InFlight   int64   `json:"requests_in_flight"`
	FirstError string  `json:"error,omitempty"`
}

// RunChaos starts the cluster (2 workers, 2 APIs, the Temporal server and
// PostgreSQL as processes, a payment provider that misbehaves), drives
// whole cases through both APIs while injecting the faults, then checks
// from PostgreSQL, Temporal and the provider that nothing was lost, paid
// twice or left stuck.
func RunChaos(ctx context.Context, o ChaosOptions) (*ChaosReport, error) {
	started := time.Now()
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	say := func(format string, args ...any) {
		fmt.Fprintf(o.Stdout, "%6.1fs  %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
	}
	src, err := loadComplaints(o.Data)
	if err != nil {
		return nil, err
	}
	provider, err := startProvider(o.PaymentTimeout*3/2, rand.New(rand.NewPCG(o.Seed+1, o.Seed+2)))
	if err != nil {
		return nil, err
	}
	defer provider.close()
	say("payment provider on %s: 8%% answer 500, 5%% time out, 5%% succeed after the client gave up", provider.url)
	cl, err := StartCluster(ctx, ClusterOptions{Binary: o.Binary, Dir: o.Dir, Workers: 2, APIs: 2, WorkerCommand: "bench-worker",
		Env: []string{"PAYMENTS_URL=" + provider.url, "PAYMENTS_TIMEOUT=" + o.PaymentTimeout.String(), "PUBLIC_RATE=0",
			"SYSTEMIC_DETECTOR=off", "SHUTDOWN_TIMEOUT=10s"},
		Logf: say})
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	d := &driver{cl: cl, provider: provider, src: src, rep: &ChaosReport{Seed: o.Seed, SupervisorRestart: map[string]int{}}, filed: map[string]filedCase{}}
	for _, a := range cl.APIs {
		d.apis = append(d.apis, newAPIClient("http://"+a.Addr))
	}
	if err := d.tokens(); err != nil {
		return nil, err
	}
	if err := d.registerStaff(ctx); err != nil {
		return nil, err
	}

	// The load: scripted cases from Concurrency clients until every
	// fault is done and at least Cases were started.
	var faultsDone atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				i := int(next.Add(1))
				if i > o.Cases && faultsDone.Load() {
					return
				}
				d.script(loadCtx, i)
			}
		}()
	}

	for _, kind := range o.Faults {
		pause := o.PauseMin + time.Duration(rng.Int64N(int64(o.PauseMax-o.PauseMin)+1))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		rec := d.inject(ctx, kind, rng, started)
		say("%-16s %-10s recovered in %.1f s (service %.1f s, restored %.1f s; %d requests in flight)",
			rec.Kind, rec.Target, rec.RecoveryS, rec.ServiceS, rec.RestoredS, rec.InFlight)
		d.rep.FaultLog = append(d.rep.FaultLog, rec)
	}
	faultsDone.Store(true)
	say("faults done; waiting for the scripts in flight")
	wg.Wait()
	say("%d scripted cases driven; checking", d.rep.Cases)
	if err := d.verify(ctx, say); err != nil {
		return nil, err
	}
	if err := d.selfCheck(ctx); err != nil {
		return nil, err
	}
	say("self-check: %s", d.rep.SelfCheck)
	rep := d.rep
	rep.Faults = len(rep.FaultLog)
	for _, f := range rep.FaultLog {
		rep.MaxRecoveryS = max(rep.MaxRecoveryS, f.RecoveryS)
	}
	for _, p := range append(append([]*Proc{cl.Temporal}, cl.Workers...), cl.APIs...) {
		rep.SupervisorRestart[p.Name] = p.Restarts()
	}
	rep.Provider = provider.counts()
	r := result{lat: d.durations}
	rep.CaseP50S = round2(r.Percentile(50) / 1000)
	rep.Seconds = round1(time.Since(started).Seconds())
	printChaos(o.Stdout, rep)
	if o.Out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.Out, append(b, '\n'), 0o644); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// filedCase is a filing that was answered 2xx.
type filedCase struct {
	ID, Customer, Script, Tracking string
}

// driver runs the scripted cases against the cluster's API instances.
type driver struct {
	cl       *Cluster
	provider *provider
	src      *complaintSource
	apis     []*apiClient
	next     atomic.Uint64 // round robin over the instances
	inFlight atomic.Int64
	intake   string
	staff    staffTokens
	mu       sync.Mutex
	rep      *ChaosReport
	filed    map[string]filedCase
	// durations of the scripts, filing to last answer
	durations []time.Duration
}

func (d *driver) tokens() (err error) {
	mint := func(sub, role, team string) string {
		t, e := d.cl.Token(sub, role, team, 24*time.Hour)
		if e != nil {
			err = e
		}
		return t
	}
	d.intake = mint("intake-desk", "agent", "general")
	d.staff = staffTokens{agent: mint("agent-general-1", "agent", "general"), supervisor: mint("sup-general", "supervisor", "general"),
		manager: mint("mgr-ops", "manager", "general")}
	return err
}

// registerStaff signs the staff in once (they register on first use):
// an agent and a supervisor in every team, so cases are assigned at
// intake, and the manager who approves.
func (d *driver) registerStaff(ctx context.Context) error {
	toks := []string{d.staff.agent, d.staff.supervisor, d.staff.manager, d.intake}
	for _, team := range []string{"quality", "service", "delivery", "billing", "safety"} {
		for _, r := range []string{"agent", "supervisor"} {
			t, err := d.cl.Token(r+"-"+team, r, team, 24*time.Hour)
			if err != nil {
				return err
			}
			toks = append(toks, t)
		}
	}
	for _, tok := range toks {
		if status, _, err := d.do(ctx, "GET", "/v1/me", tok, nil, nil, ""); err != nil || status != http.StatusOK {
			return fmt.Errorf("register staff: %d %v", status, err)
		}
	}
	return nil
}

// errAmbiguous marks an attempt whose outcome is unknown: no answer, or a
// 5xx or 429 (the request may or may not have taken effect).
var errAmbiguous = errors.New("no definite answer")

// do sends one logical request: the same body and Idempotency-Key on every
// attempt, to the API instances in turn (as a load balancer would after a
// failure), until a definite answer or three minutes. It returns the
// answer's status and whether an earlier attempt's outcome was unknown.
func (d *driver) do(ctx context.Context, method, path, token string, body, out any, key string) (int, bool, error) {
	d.inFlight.Add(1)
	defer d.inFlight.Add(-1)
	deadline := time.Now().Add(3 * time.Minute)
	backoff := 200 * time.Millisecond
	ambiguous := false
	var last error
	for attempt := 0; ; attempt++ {
		api := d.apis[d.next.Add(1)%uint64(len(d.apis))]
		status, err := api.send(ctx, method, path, token, body, out, "Idempotency-Key", key)
		if err == nil && status < 500 && status != http.StatusTooManyRequests {
			return status, ambiguous, nil
		}
		if err == nil {
			err = fmt.Errorf("%w: %s %s answered %d", errAmbiguous, method, path, status)
		}
		last, ambiguous = err, true
		if ctx.Err() != nil {
			return 0, ambiguous, ctx.Err()
		}
		if time.Now().After(deadline) {
			return 0, ambiguous, fmt.Errorf("gave up after %d attempts: %w", attempt+1, last)
		}
		atomic.AddInt64(&d.rep.ClientRetries, 1)
		select {
		case <-ctx.Done():
			return 0, ambiguous, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// decide sends a decision that must be answered 200. A 409 (not allowed
// in the case's current state) is tried again for up to 30 s, as a person
// would after a moment: under faults the case can still be catching up
// (an acknowledgement delayed by a PostgreSQL restart refuses findings).
// A 409 that lasts, after an attempt with no definite answer, means that
// attempt took effect; the checks at the end judge it either way.
func (d *driver) decide(ctx context.Context, method, path, token string, body any, key string) error {
	var first time.Time
	ambiguous := false
	for {
		status, amb, err := d.do(ctx, method, path, token, body, nil, key)
		ambiguous = ambiguous || amb
		switch {
		case err != nil:
			return err
		case status == http.StatusOK:
			return nil
		case status != http.StatusConflict:
			return fmt.Errorf("%s %s: %d", method, path, status)
		}
		if first.IsZero() {
			first = time.Now()
		}
		if time.Since(first) > 30*time.Second {
			if ambiguous {
				atomic.AddInt64(&d.rep.ConflictsOnRetry, 1)
				return nil
			}
			return fmt.Errorf("%s %s: 409 for 30 s", method, path)
		}
		atomic.AddInt64(&d.rep.ConflictRetries, 1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// file files complaint i and records it once answered 2xx.
func (d *driver) file(ctx context.Context, prefix string, i int, script string) (filedCase, error) {
	body, customer := d.src.body(prefix, i)
	var out created
	status, _, err := d.do(ctx, "POST", "/v1/complaints", d.intake, body, &out, customer)
	if err != nil {
		return filedCase{}, err
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return filedCase{}, fmt.Errorf("file: %d", status)
	}
	fc := filedCase{ID: out.ID, Customer: customer, Script: script, Tracking: out.TrackingToken}
	d.mu.Lock()
	d.filed[fc.ID] = fc
	d.rep.Accepted++
	d.mu.Unlock()
	return fc, nil
}

// script drives case i: three in four to the survey answer (findings,
// a refund proposed and approved, paid through the provider, accepted
// by the customer), one in four withdrawn by the customer.
func (d *driver) script(ctx context.Context, i int) {
	kind := "accept"
	if i%4 == 0 {
		kind = "withdraw"
	}
	d.mu.Lock()
	d.rep.Cases++
	d.mu.Unlock()
	t := time.Now()
	var steps []string
	step := func(name string) func() {
		t := time.Now()
		return func() { steps = append(steps, fmt.Sprintf("%s %.1f", name, time.Since(t).Seconds())) }
	}
	id, err := d.run(ctx, i, kind, step)
	took := time.Since(t)
	d.mu.Lock()
	d.durations = append(d.durations, took)
	if took.Seconds() > d.rep.CaseMaxS {
		d.rep.CaseMaxS = round2(took.Seconds())
		d.rep.SlowestCase = fmt.Sprintf("%s (%s): %s", id, kind, strings.Join(steps, ", "))
	}
	d.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		d.mu.Lock()
		d.rep.ScriptErrors++
		if d.rep.FirstScriptError == "" {
			d.rep.FirstScriptError = fmt.Sprintf("case %d (%s): %v", i, kind, err)
		}
		d.mu.Unlock()
	}
}

// run drives case i through its script and returns the case's id; step
// times the steps.
func (d *driver) run(ctx context.Context, i int, kind string, step func(string) func()) (string, error) {
	done := step("file")
	c, err := d.file(ctx, "chaos", i, kind)
	done()
	if err != nil {
		return "", err
	}
	key := func(step string) string { return c.Customer + ":" + step }
	if kind == "withdraw" {
		defer step("withdraw")()
		return c.ID, d.decide(ctx, "POST", "/v1/track/"+c.Tracking+"/withdraw", "", map[string]any{"reason": "sorted out with the branch"}, key("withdraw"))
	}
	steps := []struct {
		path, token string
		body        any
	}{
		{"findings", d.staff.agent, map[string]any{"cause": "refund.delayed", "cause_detail": "refund.delayed.manual_review",
			"responsibility": "company", "responsible_unit": "refunds desk", "summary": "The refund was held by a manual review."}},
		{"proposal", d.staff.agent, map[string]any{"remedies": []map[string]any{{"type": "refund", "amount": 5000, "currency": "CNY"}},
			"message": "We are refunding 50.00 today and apologise for the delay."}},
		{"approvals", d.staff.manager, map[string]any{"decision": "approve", "comment": "within policy"}},
	}
	for _, s := range steps {
		done := step(s.path)
		err := d.decide(ctx, "POST", "/v1/complaints/"+c.ID+"/"+s.path, s.token, s.body, key(s.path))
		done()
		if err != nil {
			return c.ID, fmt.Errorf("%s: %w", s.path, err)
		}
	}
	var tr struct {
		Status   string                        `json:"status"`
		Messages []struct{ Kind, Body string } `json:"messages"`
	}
	track := func() error {
		tr.Messages = nil
		status, _, err := d.do(ctx, "GET", "/v1/track/"+c.Tracking, "", nil, &tr, "")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("track: %d", status)
		}
		return err
	}
	done = step("paid")
	err = pollFor(ctx, 3*time.Minute, func() (bool, error) { err := track(); return tr.Status == "awaiting_customer", err })
	done()
	if err != nil {
		return c.ID, fmt.Errorf("awaiting the customer (status %s): %w", tr.Status, err)
	}
	done = step("accept")
	err = d.decide(ctx, "POST", "/v1/track/"+c.Tracking+"/response", "", map[string]any{"decision": "accept"}, key("accept"))
	done()
	if err != nil {
		return c.ID, fmt.Errorf("accept: %w", err)
	}
	var survey string
	defer step("survey")()
	if err := pollFor(ctx, 3*time.Minute, func() (bool, error) {
		err := track()
		for _, m := range tr.Messages {
			if s := surveyLink.FindStringSubmatch(m.Body); m.Kind == "survey" && s != nil {
				survey = s[1]
			}
		}
		return survey != "", err
	}); err != nil {
		return c.ID, fmt.Errorf("awaiting the survey: %w", err)
	}
	return c.ID, d.decide(ctx, "POST", "/v1/surveys/"+survey, "", map[string]any{"score": 4, "comment": "fine in the end"}, key("survey"))
}

// pollFor checks cond every 200 ms for up to limit.
func pollFor(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("timed out after %s", limit)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// inject injects one fault and measures the recovery from it.
func (d *driver) inject(ctx context.Context, kind string, rng *rand.Rand, started time.Time) FaultRecord {
	// Kill while requests are in flight (the load has quiet moments
	// between a case's steps).
	for wait := time.Now().Add(3 * time.Second); d.inFlight.Load() == 0 && time.Now().Before(wait); {
		time.Sleep(10 * time.Millisecond)
	}
	rec := FaultRecord{Kind: kind, AtS: round1(time.Since(started).Seconds()), InFlight: d.inFlight.Load()}
	t0 := time.Now()
	// Service: from the fault on, a new complaint is filed until one is
	// accepted (registered by a worker through Temporal and PostgreSQL).
	probed := make(chan error, 1)
	go func() {
		d.mu.Lock()
		d.rep.Probes++
		n := d.rep.Probes
		d.mu.Unlock()
		_, err := d.file(ctx, "probe", n, "probe")
		rec.ServiceS = round2(time.Since(t0).Seconds())
		probed <- err
	}()
	var victim *Proc
	var err error
	switch kind {
	case FaultWorker:
		victim = d.cl.Workers[rng.IntN(len(d.cl.Workers))]
	case FaultAPI:
		victim = d.cl.APIs[rng.IntN(len(d.cl.APIs))]
	case FaultTemporal:
		victim = d.cl.Temporal
	case FaultPostgres:
		rec.Target = "postgres"
		err = d.cl.RestartPostgres(ctx)
	default:
		err = fmt.Errorf("unknown fault %q", kind)
	}
	if victim != nil {
		rec.Target = victim.Name
		before := victim.Restarts()
		if err = victim.Kill(); err == nil {
			// The supervisor starts it again; then wait for it.
			for victim.Restarts() == before && time.Since(t0) < time.Minute {
				time.Sleep(50 * time.Millisecond)
			}
			err = victim.Ready(ctx, 3*time.Minute)
		}
	}
	rec.RestoredS = round2(time.Since(t0).Seconds())
	if perr := <-probed; perr != nil && err == nil {
		err = perr
	}
	rec.RecoveryS = max(rec.RestoredS, rec.ServiceS)
	if err != nil {
		rec.FirstError = err.Error()
	}
	return rec
}

// verify checks the outcome from PostgreSQL, Temporal and the provider.
func (d *driver) verify(ctx context.Context, say func(string, ...any)) error {
	rep := d.rep
	problem := func(counter *int, format string, args ...any) {
		*counter++
		if len(rep.ProblemDetail) < 50 {
			rep.ProblemDetail = append(rep.ProblemDetail, fmt.Sprintf(format, args...))
		}
	}
	pool := d.cl.Store.Pool
	target := map[string]string{"accept": "closed", "withdraw": "withdrawn"}

	// Every accepted filing is one case, once.
	for id, fc := range d.filed {
		var byID, byCustomer int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE id = $1), (SELECT count(*) FROM cases WHERE customer_id = $2)`,
			id, fc.Customer).Scan(&byID, &byCustomer); err != nil {
			return err
		}
		if byID == 0 {
			problem(&rep.Lost, "lost: case %s (%s) was accepted and is not in PostgreSQL", id, fc.Customer)
		} else if byCustomer > 1 {
			problem(&rep.DuplicatedCases, "duplicated: filing %s made %d cases", fc.Customer, byCustomer)
		}
	}

	// Every scripted case reaches its script's state (the last steps
	// run in the workflows after the scripts' final answers).
	wantState := func(fc filedCase) bool {
		var status string
		var survey *string
		err := pool.QueryRow(ctx, `SELECT status, survey_status FROM cases WHERE id = $1`, fc.ID).Scan(&status, &survey)
		if err != nil {
			return false
		}
		if fc.Script == "accept" {
			return status == "closed" && survey != nil && *survey == "answered"
		}
		return status == target[fc.Script]
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, fc := range d.filed {
		if fc.Script == "probe" {
			continue
		}
		for !wantState(fc) && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		if !wantState(fc) {
			problem(&rep.WrongState, "wrong state: %s case %s did not reach %s", fc.Script, fc.ID, target[fc.Script])
		}
	}

	// The workflows: the scripted ones finished, none failed, none
	// retrying a task or an activity without end.
	for id, fc := range d.filed {
		var wid string
		if err := pool.QueryRow(ctx, `SELECT workflow_id FROM cases WHERE id = $1`, id).Scan(&wid); err != nil {
			continue // counted as lost
		}
		reason := ""
		for range 50 { // the last workflow tasks may still be finishing
			reason = d.stuckReason(ctx, wid, fc.Script != "probe")
			if reason == "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if reason != "" {
			rep.Stuck++
			rep.StuckDetail = append(rep.StuckDetail, fmt.Sprintf("%s (%s): %s", wid, fc.Script, reason))
		}
	}

	// The audit trail: numbered 1..n without a gap, every step of the
	// script recorded, once.
	required := map[string][]string{
		"accept":   {"received", "acknowledged", "findings", "proposed", "approval_given", "executed", "closed", "survey_sent", "survey_answered"},
		"withdraw": {"received", "acknowledged", "withdrawn"},
		"probe":    {"received", "acknowledged"},
	}
	for id, fc := range d.filed {
		var n, lo, hi int
		var types []string
		err := pool.QueryRow(ctx, `SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0), coalesce(array_agg(type ORDER BY seq), '{}')
			FROM case_events WHERE case_id = $1`, id).Scan(&n, &lo, &hi, &types)
		if err != nil {
			return err
		}
		if n == 0 {
			continue // counted as lost
		}
		if lo != 1 || hi != n {
			problem(&rep.AuditGaps, "audit gap: case %s has %d events numbered %d..%d", id, n, lo, hi)
			continue
		}
		for _, t := range required[fc.Script] {
			if c := count(types, t); c != 1 {
				problem(&rep.AuditGaps, "audit: case %s (%s) has %d %q events: %s", id, fc.Script, c, t, strings.Join(types, ","))
				break
			}
		}
	}

	// Payments: the provider's record and the ledger agree, one payout
	// per approved refund, none twice.
	type money struct {
		caseID, remedy, kind string
		amount               int64
	}
	ledger := map[string]money{}
	rows, err := pool.Query(ctx, `SELECT idempotency_key, case_id::text, remedy_id, kind, amount_minor FROM ledger`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		var m money
		if err := rows.Scan(&k, &m.caseID, &m.remedy, &m.kind, &m.amount); err != nil {
			return err
		}
		ledger[k] = m
	}
	if err := rows.Err(); err != nil {
		return err
	}
	paid := d.provider.payments()
	paidCases := map[string]bool{}
	perRemedy := map[string]map[string]bool{}
	for k, p := range paid {
		l, ok := ledger[k]
		if !ok || l.amount != p.Amount || l.caseID != p.CaseID || l.kind != p.Kind {
			problem(&rep.LedgerMismatches, "mismatch: the provider paid %s (%s %d) and the ledger has %+v", k, p.Kind, p.Amount, l)
		}
		if p.Kind == "payout" {
			paidCases[p.CaseID] = true
		}
		r := p.CaseID + "/" + p.RemedyID + "/" + p.Kind
		if perRemedy[r] == nil {
			perRemedy[r] = map[string]bool{}
		}
		perRemedy[r][k] = true
	}
	for k := range ledger {
		if _, ok := paid[k]; !ok {
			problem(&rep.LedgerMismatches, "mismatch: the ledger has %s and the provider never paid it", k)
		}
	}
	for r, keys := range perRemedy {
		if len(keys) > 1 {
			rep.DuplicatedPayments += len(keys) - 1
			rep.ProblemDetail = append(rep.ProblemDetail, fmt.Sprintf("paid twice: %s under %d keys", r, len(keys)))
		}
	}
	for id, fc := range d.filed {
		if fc.Script == "accept" && !paidCases[id] {
			problem(&rep.MissingPayments, "unpaid: case %s was approved and its refund never paid", id)
		}
	}
	say("checked %d filings: lost %d, duplicated cases %d, wrong state %d, stuck %d, audit gaps %d, payments twice %d, ledger mismatches %d, unpaid %d",
		len(d.filed), rep.Lost, rep.DuplicatedCases, rep.WrongState, rep.Stuck, rep.AuditGaps, rep.DuplicatedPayments, rep.LedgerMismatches, rep.MissingPayments)
	return nil
}

// selfCheck plants three defects after the run - a filing answered 2xx
// that PostgreSQL lacks, a refund the provider pays a second time under
// another key, and a ledger row the provider never paid - and runs the
// checks again: they must find exactly those. A checker that cannot fail
// proves nothing.
func (d *driver) selfCheck(ctx context.Context) error {
	var paidCase providerPayment
	for _, p := range d.provider.payments() {
		if p.Kind == "payout" {
			paidCase = p
			break
		}
	}
	if paidCase.CaseID == "" {
		return errors.New("self-check: no refund was paid in the run")
	}
	real := d.rep
	d.rep = &ChaosReport{}
	defer func() { d.rep = real }()
	lost := "00000000-0000-4000-8000-00000000c4a0"
	d.filed[lost] = filedCase{ID: lost, Customer: "self-check-lost", Script: "probe"}
	defer delete(d.filed, lost)
	d.provider.mu.Lock()
	d.provider.paid["self-check-twice"] = paidCase
	d.provider.mu.Unlock()
	defer func() {
		d.provider.mu.Lock()
		delete(d.provider.paid, "self-check-twice")
		d.provider.mu.Unlock()
	}()
	if _, err := d.cl.Store.Pool.Exec(ctx, `INSERT INTO ledger (idempotency_key, case_id, remedy_id, kind, remedy_type, amount_minor, currency)
		VALUES ('self-check-unpaid', $1, 'self-check', 'payout', 'refund', 1, 'CNY')`, paidCase.CaseID); err != nil {
		return err
	}
	defer func() {
		_, _ = d.cl.Store.Pool.Exec(ctx, `DELETE FROM ledger WHERE idempotency_key = 'self-check-unpaid'`)
	}()
	if err := d.verify(ctx, func(string, ...any) {}); err != nil {
		return err
	}
	got := d.rep
	real.SelfCheck = fmt.Sprintf("passed: planted 1 lost filing, 1 second payment, 2 ledger mismatches; found %d, %d, %d",
		got.Lost, got.DuplicatedPayments, got.LedgerMismatches)
	if got.Lost != 1 || got.DuplicatedPayments != 1 || got.LedgerMismatches != 2 {
		real.SelfCheck = "FAILED" + strings.TrimPrefix(real.SelfCheck, "passed")
		return fmt.Errorf("self-check: %s", real.SelfCheck)
	}
	return nil
}

// stuckReason says why a case's workflow is stuck ("" when it is not):
// failed, terminated or timed out; a workflow task or an activity failing
// again and again; when finished is true, still running; otherwise,
// waiting with no timer.
func (d *driver) stuckReason(ctx context.Context, workflowID string, finished bool) string {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	desc, err := d.cl.TC.DescribeWorkflowExecution(dctx, workflowID, "")
	if err != nil {
		return "describe: " + err.Error()
	}
	st := desc.GetWorkflowExecutionInfo().GetStatus()
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return ""
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
	default:
		return "workflow " + st.String()
	}
	if t := desc.GetPendingWorkflowTask(); t != nil && t.GetAttempt() > 2 {
		return fmt.Sprintf("workflow task on attempt %d", t.GetAttempt())
	}
	for _, a := range desc.GetPendingActivities() {
		if a.GetAttempt() > 3 {
			return fmt.Sprintf("activity %s on attempt %d: %s", a.GetActivityType().GetName(), a.GetAttempt(), a.GetLastFailure().GetMessage())
		}
	}
	if finished {
		return "still running after its script ended"
	}
	// An open case waits for an input it expects (staff's, here) and
	// always on a timer too: its clocks. One with no timer would wait
	// for ever if the input never came.
	open := map[string]bool{}
	it := d.cl.TC.GetWorkflowHistory(dctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return "history: " + err.Error()
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			open[ev.GetTimerStartedEventAttributes().GetTimerId()] = true
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			delete(open, ev.GetTimerFiredEventAttributes().GetTimerId())
		case enumspb.EVENT_TYPE_TIMER_CANCELED:
			delete(open, ev.GetTimerCanceledEventAttributes().GetTimerId())
		}
	}
	if len(open) == 0 {
		return "waiting with no timer"
	}
	return ""
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func printChaos(w io.Writer, r *ChaosReport) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fault\ttarget\tat (s)\tin flight\tservice (s)\trestored (s)\trecovery (s)\t")
	for _, f := range r.FaultLog {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%d\t%.2f\t%.2f\t%.2f\t%s\n", f.Kind, f.Target, f.AtS, f.InFlight, f.ServiceS, f.RestoredS, f.RecoveryS, f.FirstError)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range []struct {
		k string
		v any
	}{{"cases driven", r.Cases}, {"faults injected", r.Faults}, {"lost (target 0)", r.Lost}, {"duplicated payments (target 0)", r.DuplicatedPayments},
		{"stuck (target 0)", r.Stuck}, {"max recovery (s)", r.MaxRecoveryS}, {"filings accepted (with probes)", r.Accepted},
		{"duplicated cases", r.DuplicatedCases}, {"wrong state", r.WrongState}, {"audit gaps", r.AuditGaps},
		{"ledger mismatches", r.LedgerMismatches}, {"unpaid refunds", r.MissingPayments}, {"scripts that gave up", r.ScriptErrors},
		{"client retries", r.ClientRetries}, {"script p50 / max (s)", fmt.Sprintf("%.1f / %.1f", r.CaseP50S, r.CaseMaxS)}, {"provider requests / 500s / timeouts / late successes", fmt.Sprintf("%d / %d / %d / %d",
			r.Provider.Requests, r.Provider.Errors, r.Provider.Timeouts, r.Provider.LateSuccesses)}} {
		fmt.Fprintf(tw, "%s\t%v\n", row.k, row.v)
	}
	tw.Flush()
	fmt.Fprintln(w, "slowest script:", r.SlowestCase)
	for _, p := range slices.Concat(r.StuckDetail, r.ProblemDetail) {
		fmt.Fprintln(w, "  ", p)
	}
}

// ProviderCounts are the payment provider's figures.
type ProviderCounts struct {
	Requests      int `json:"requests"`
	Paid          int `json:"paid"`           // distinct idempotency keys paid
	Repeats       int `json:"repeats"`        // requests for a key already paid (answered 200, not paid again)
	Errors        int `json:"errors_500"`     // answered 500 without paying
	Timeouts      int `json:"timeouts"`       // answered after the client's timeout, without paying
	LateSuccesses int `json:"late_successes"` // paid, answered after the client's timeout
}

// provider is the payment provider's stand-in: an HTTP server that pays
// each idempotency key once and misbehaves at random.
type provider struct {
	url  string
	srv  *http.Server
	slow time.Duration
	mu   sync.Mutex
	rng  *rand.Rand
	paid map[string]providerPayment
	n    ProviderCounts
}

type providerPayment struct {
	CaseID   string `json:"case_id"`
	RemedyID string `json:"remedy_id"`
	Amount   int64  `json:"amount"`
	Kind     string `json:"-"`
}

func startProvider(slow time.Duration, rng *rand.Rand) (*provider, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &provider{url: "http://" + l.Addr().String(), slow: slow, rng: rng, paid: map[string]providerPayment{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /payments", func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, "payout") })
	mux.HandleFunc("POST /reversals", func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, "reversal") })
	p.srv = &http.Server{Handler: mux}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

func (p *provider) serve(w http.ResponseWriter, r *http.Request, kind string) {
	key := r.Header.Get("Idempotency-Key")
	var pay providerPayment
	if err := json.NewDecoder(r.Body).Decode(&pay); err != nil || key == "" {
		http.Error(w, "bad payment", http.StatusBadRequest)
		return
	}
	pay.Kind = kind
	p.mu.Lock()
	p.n.Requests++
	roll := p.rng.Float64()
	_, done := p.paid[key]
	var payNow, late bool
	switch {
	case roll < 0.08:
		p.n.Errors++
	case roll < 0.13:
		p.n.Timeouts++
		late = true
	case roll < 0.18:
		p.n.LateSuccesses++
		payNow, late = true, true
	default:
		payNow = true
	}
	if payNow {
		if done {
			p.n.Repeats++
		} else {
			p.paid[key] = pay
			p.n.Paid++
		}
	}
	p.mu.Unlock()
	if late {
		select {
		case <-time.After(p.slow):
		case <-r.Context().Done():
		}
	}
	if !payNow {
		http.Error(w, "provider error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (p *provider) counts() ProviderCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *provider) payments() map[string]providerPayment {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.paid)
}

func (p *provider) close() { _ = p.srv.Close() }
