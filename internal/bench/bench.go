// Package bench is the load generator behind `make bench` and `make
// bench-quick` (`complaints-dev bench`). It starts the system as production
// runs it - PostgreSQL, the Temporal server, a worker process and an API
// process - drives it over HTTP with complaints from the CFPB sample, and
// measures intake against the engine's own ceilings, whole lifecycles,
// and a large number of open cases and case rows. Performance is judged as
// ratios taken side by side in one run, because absolute figures drift on
// shared machines; the targets are in the report, never in tests. The
// package also holds the supervised multi-process topology of `make
// cluster` (cluster.go) and the fault injection of `make chaos` (chaos*.go):
// tooling all, linked by cmd/complaints-dev only, never by the production
// binary.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/classify"
	"github.com/complaint-handling/complaints/internal/clock"
)

// Options say what to run and at which sizes.
type Options struct {
	// Binary is the complaints binary that runs the worker and the API.
	Binary string
	// Dir holds the benchmark's PostgreSQL cluster and the logs.
	Dir string
	// Data is the CFPB sample the complaints come from.
	Data string
	// EvalSet is the classifier's evaluation set (default: the one beside
	// Data, testdata/classify/eval.jsonl).
	EvalSet string
	// Scenarios to run: intake, lifecycle, scale (all when empty).
	Scenarios []string
	// DatabaseURL and TemporalAddress use running servers instead of
	// embedded ones.
	DatabaseURL, TemporalAddress string

	Levels         []int         // intake concurrency levels
	IntakeDuration time.Duration // per level and per ceiling
	LifecycleCases int           // whole cases at LifecycleConc
	LifecycleConc  int
	ParkConc       int           // concurrency of filing the open cases
	HalfRateFor    time.Duration // the paced runs at half the peak rate
	OpenCases      []int         // open cases parked, in steps
	ReportRows     []int         // case rows for the report queries, in steps

	// Tuning of the system under test.
	HistoryShards         int32
	TemporalMaxConns      int
	TemporalDynamicConfig map[string]any
	ExtraEnv              []string // added to the worker's and the API's environment

	Out    string    // the JSON report
	Stdout io.Writer // the table and the progress bar
}

// Full is `make bench`; Quick is `make bench-quick` (under 3 minutes).
func Full() Options {
	return Options{Levels: []int{1, 8, 32, 128}, IntakeDuration: 20 * time.Second, LifecycleCases: 1000, LifecycleConc: 32,
		HalfRateFor: 30 * time.Second, OpenCases: []int{100_000}, ReportRows: []int{1_000_000}, ParkConc: 8}
}

func Quick() Options {
	return Options{Levels: []int{1, 8, 32, 128}, IntakeDuration: 2 * time.Second, LifecycleCases: 64, LifecycleConc: 32,
		HalfRateFor: 4 * time.Second, OpenCases: []int{10_000}, ReportRows: []int{100_000}, ParkConc: 8}
}

// Report is bench-report.json.
type Report struct {
	Machine   Machine           `json:"machine"`
	Commit    string            `json:"commit"`
	Versions  map[string]string `json:"versions"`
	Settings  map[string]any    `json:"settings"`
	StartedAt time.Time         `json:"started_at"`
	Seconds   float64           `json:"seconds"`
	Intake    *IntakeReport     `json:"intake,omitempty"`
	Lifecycle *LifecycleReport  `json:"lifecycle,omitempty"`
	Scale     []ScaleReport     `json:"scale,omitempty"`
	Reports   []ReportsReport   `json:"reports,omitempty"`
	// Classification is the classifier on its evaluation set.
	Classification *classify.EvalReport `json:"classification,omitempty"`
	Targets        []Target             `json:"targets"`
}

// Machine is where the figures were taken.
type Machine struct {
	Cores    int     `json:"cores"`
	MemoryGB float64 `json:"memory_gb"`
	CPU      string  `json:"cpu"`
	Kernel   string  `json:"kernel"`
	Hostname string  `json:"hostname"`
}

// Target is one target of the benchmark issue and whether it was met.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Goal  string  `json:"goal"`
	Met   bool    `json:"met"`
}

type runner struct {
	o           Options
	s           *stack
	api         *apiClient
	src         *complaintSource
	p           *progress
	intakeToken string
	staff       staffTokens
	rep         *Report
}

// Run runs the scenarios and writes the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = []string{"intake", "lifecycle", "scale"}
	}
	rep := &Report{Machine: machine(), Commit: commit(), Versions: versions(), StartedAt: time.Now().UTC(),
		Settings: map[string]any{"levels": o.Levels, "intake_seconds": o.IntakeDuration.Seconds(), "lifecycle_cases": o.LifecycleCases,
			"lifecycle_concurrency": o.LifecycleConc, "open_cases": o.OpenCases, "report_rows": o.ReportRows,
			"history_shards": o.HistoryShards, "temporal_max_conns": o.TemporalMaxConns, "temporal_dynamic_config": o.TemporalDynamicConfig,
			"extra_env": o.ExtraEnv}}
	src, err := loadComplaints(o.Data)
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, src: src, p: newProgress(o.Stdout), rep: rep}
	if o.EvalSet == "" {
		o.EvalSet = evalSetBeside(o.Data)
	}
	if rep.Classification, err = evaluateClassifier(o.EvalSet); err != nil {
		return nil, err
	}
	r.p.say("Starting PostgreSQL, Temporal, the worker and the API (%s)...", o.Dir)
	s, err := startStack(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	r.s = s
	r.api = newAPIClient(s.apiBase)
	if err := s.startWorker(ctx, false); err != nil {
		return nil, err
	}
	if err := s.startAPI(ctx); err != nil {
		return nil, err
	}
	if err := r.registerStaff(ctx); err != nil {
		return nil, err
	}
	if pv, err := s.pgVersion(ctx); err == nil {
		rep.Versions["postgresql"] = pv
	}
	for _, sc := range o.Scenarios {
		var err error
		switch sc {
		case "intake":
			rep.Intake, err = r.intake(ctx)
		case "lifecycle":
			rep.Lifecycle, err = r.lifecycle(ctx)
		case "scale":
			err = r.scale(ctx)
		default:
			err = fmt.Errorf("unknown scenario %q (intake, lifecycle, scale)", sc)
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", sc, err)
		}
		for name, c := range map[string]*child{"worker": s.worker, "api": s.api} {
			if c != nil {
				_ = c.saveMetrics(filepath.Join(o.Dir, name+"-metrics-"+sc+".txt"))
			}
		}
	}
	rep.Seconds = time.Since(rep.StartedAt).Seconds()
	rep.Targets = targets(rep)
	printReport(o.Stdout, rep)
	if o.Out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.Out, append(b, '\n'), 0o644); err != nil {
			return rep, err
		}
		r.p.say("Report written to %s", o.Out)
	}
	return rep, nil
}

func (s *stack) pgVersion(ctx context.Context) (string, error) {
	var v string
	err := s.store.Pool.QueryRow(ctx, `SHOW server_version`).Scan(&v)
	return v, err
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				fmt.Sscanf(strings.TrimPrefix(l, "MemTotal:"), "%f", &kb)
			}
		}
		m.MemoryGB = float64(int(kb/1024/1024*10)) / 10
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if i := strings.Index(l, ":"); i > 0 {
					m.CPU = strings.TrimSpace(l[i+1:])
				}
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Hostname, _ = os.Hostname()
	return m
}

// commit is the git commit of the working tree (with "+dirty" when it has
// changes), or the one the binary was built from.
func commit() string {
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		c := strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
			c += "+dirty"
		}
		return c
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func versions() map[string]string {
	v := map[string]string{"go": runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "go.temporal.io/server", "go.temporal.io/sdk", "github.com/jackc/pgx/v5", "github.com/gin-gonic/gin":
				v[d.Path] = d.Version
			}
		}
	}
	return v
}

// ShortClocks are the clock profiles of the bench worker: the default
// profiles with the per-step windows short enough for a whole case,
// survey included, to run in seconds. Only `complaints-dev bench-worker` uses
// them; they are never a production setting.
func ShortClocks() map[string]complaint.Clocks {
	p := complaint.Profiles()
	for k, c := range p {
		c.Approval = clock.Within(time.Minute)
		c.Confirm, c.ConfirmNotice = clock.Within(time.Minute), 20*time.Second
		c.SurveyDelay, c.SurveyReminder, c.SurveyExpiry = time.Second, time.Minute, 2*time.Minute
		p[k] = c
	}
	return p
}
