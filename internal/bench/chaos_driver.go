package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

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
	err = poll(ctx, 3*time.Minute, func() (bool, error) { err := track(); return tr.Status == "awaiting_customer", err })
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
	if err := poll(ctx, 3*time.Minute, func() (bool, error) {
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

// poll checks cond every 100 ms for up to limit (a customer refreshing
// the tracking page).
func poll(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
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
		case <-time.After(100 * time.Millisecond):
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
