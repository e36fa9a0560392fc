package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
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

// Problems is the sum of every count that must be zero.
func (r *ChaosReport) Problems() int {
	return r.Lost + r.DuplicatedPayments + r.Stuck + r.DuplicatedCases + r.WrongState + r.AuditGaps + r.LedgerMismatches + r.MissingPayments
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
