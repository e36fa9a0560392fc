package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/complaint-handling/complaints/internal/store"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// IntakeReport is the intake scenario: complaints filed over HTTP at each
// concurrency level, beside the two ceilings measured at the same levels
// in the same run.
type IntakeReport struct {
	Levels []IntakeLevel `json:"levels"`
	// The best levels of each.
	ComplaintsPerS           float64 `json:"complaints_per_s"`
	CeilingTemporalStartPerS float64 `json:"ceiling_temporal_start_per_s"`
	CeilingPGInsertPerS      float64 `json:"ceiling_pg_insert_per_s"`
	RatioToTemporal          float64 `json:"ratio_to_temporal"`
	RatioToTemporalSameLevel float64 `json:"ratio_to_temporal_same_level"`
	BestConcurrency          int     `json:"best_concurrency"`
	HalfPeakRatePerS         float64 `json:"half_peak_rate_per_s"`
	HalfPeakP50Ms            float64 `json:"half_peak_p50_ms"`
	HalfPeakP99Ms            float64 `json:"half_peak_p99_ms"`
	HalfPeakErrors           int     `json:"half_peak_errors"`
}

// IntakeLevel is one concurrency level.
type IntakeLevel struct {
	Concurrency              int     `json:"concurrency"`
	ComplaintsPerS           float64 `json:"complaints_per_s"`
	P50Ms                    float64 `json:"p50_ms"`
	P99Ms                    float64 `json:"p99_ms"`
	Errors                   int     `json:"errors"`
	FirstError               string  `json:"first_error,omitempty"`
	CeilingTemporalStartPerS float64 `json:"ceiling_temporal_start_per_s"`
	TemporalP99Ms            float64 `json:"temporal_p99_ms"`
	CeilingPGInsertPerS      float64 `json:"ceiling_pg_insert_per_s"`
	PGP99Ms                  float64 `json:"pg_p99_ms"`
}

const noopQueue = "bench-noop"

// benchNoop is the ceiling's workflow: it does nothing, so starting it
// costs what the engine costs.
func benchNoop(ctx workflow.Context) error { return nil }

func (b *runner) intake(ctx context.Context) (*IntakeReport, error) {
	rep := &IntakeReport{}
	// The ceiling's workflows run on a worker of their own in this
	// process, so the server does a start and a workflow task for each,
	// as it does for a complaint.
	w := sdkworker.New(b.s.tc, noopQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(benchNoop, workflow.RegisterOptions{Name: "BenchNoop"})
	if err := w.Start(); err != nil {
		return nil, err
	}
	defer w.Stop()
	ceilingStore, err := store.Open(ctx, b.s.appURL, int32(min(slices.Max(b.o.Levels), 64)))
	if err != nil {
		return nil, err
	}
	defer ceilingStore.Close()
	pool := ceilingStore.Pool
	// The ceiling inserts into a table shaped like cases, with the same
	// indexes, dropped afterwards: tens of thousands of rows inserted and
	// deleted in cases itself would leave it bloated and autovacuum
	// running under the scenarios that follow.
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_ceiling_cases;
CREATE TABLE bench_ceiling_cases (LIKE cases INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`); err != nil {
		return nil, err
	}
	defer pool.Exec(context.Background(), `DROP TABLE IF EXISTS bench_ceiling_cases`)
	run := time.Now().UnixNano()
	// The intake levels first, then the run at half the peak, then the
	// ceilings: the ceilings leave the server thousands of workflows and
	// visibility records to finish, which would slow whatever ran next.
	for _, c := range b.o.Levels {
		lvl := IntakeLevel{Concurrency: c}
		r := closedLoop(ctx, b.p, fmt.Sprintf("intake c=%d", c), c, b.o.IntakeDuration, 0, func(ctx context.Context, i int) error {
			_, err := b.file(ctx, fmt.Sprintf("intake%d", c), i)
			return err
		})
		lvl.ComplaintsPerS, lvl.P50Ms, lvl.P99Ms, lvl.Errors, lvl.FirstError = round1(r.PerSecond()), r.Percentile(50), r.Percentile(99), r.Errors, r.FirstError
		rep.Levels = append(rep.Levels, lvl)
		b.p.say("intake c=%-3d  %7.1f complaints/s  p50 %6.1f ms  p99 %6.1f ms  errors %d", c, lvl.ComplaintsPerS, lvl.P50Ms, lvl.P99Ms, lvl.Errors)
		if lvl.ComplaintsPerS > rep.ComplaintsPerS {
			rep.ComplaintsPerS, rep.BestConcurrency = lvl.ComplaintsPerS, c
		}
		if err := b.settle(ctx); err != nil {
			return nil, err
		}
	}
	// Latency at half the peak rate, with arrivals paced whatever the
	// answers take (an open loop, as real customers arrive).
	rep.HalfPeakRatePerS = round1(rep.ComplaintsPerS / 2)
	if rep.HalfPeakRatePerS > 0 {
		h := openLoop(ctx, b.p, fmt.Sprintf("intake at %.0f/s", rep.HalfPeakRatePerS), rep.HalfPeakRatePerS, b.o.HalfRateFor, func(ctx context.Context, i int) error {
			_, err := b.file(ctx, "intakehalf", i)
			return err
		})
		rep.HalfPeakP50Ms, rep.HalfPeakP99Ms, rep.HalfPeakErrors = h.Percentile(50), h.Percentile(99), h.Errors
		b.p.say("intake at half the peak (%.1f/s): p50 %.1f ms, p99 %.1f ms, errors %d", rep.HalfPeakRatePerS, rep.HalfPeakP50Ms, rep.HalfPeakP99Ms, h.Errors)
	}
	for i, c := range b.o.Levels {
		lvl := &rep.Levels[i]
		if err := b.settle(ctx); err != nil {
			return nil, err
		}
		t := closedLoop(ctx, b.p, fmt.Sprintf("ceiling temporal c=%d", c), c, b.o.IntakeDuration, 0, func(ctx context.Context, i int) error {
			_, err := b.s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: fmt.Sprintf("noop-%d-%d-%d", run, c, i), TaskQueue: noopQueue,
			}, "BenchNoop")
			return err
		})
		lvl.CeilingTemporalStartPerS, lvl.TemporalP99Ms = round1(t.PerSecond()), t.Percentile(99)
		g := closedLoop(ctx, b.p, fmt.Sprintf("ceiling postgres c=%d", c), c, b.o.IntakeDuration, 0, func(ctx context.Context, i int) error {
			return insertCase(ctx, pool, fmt.Sprintf("PGB-%d-%d-%d", run, c, i), b.src, i)
		})
		lvl.CeilingPGInsertPerS, lvl.PGP99Ms = round1(g.PerSecond()), g.Percentile(99)
		b.p.say("ceilings c=%-3d  temporal start %7.1f/s (p99 %.1f ms) | postgres insert %8.1f/s (p99 %.1f ms)",
			c, lvl.CeilingTemporalStartPerS, lvl.TemporalP99Ms, lvl.CeilingPGInsertPerS, lvl.PGP99Ms)
		if c == rep.BestConcurrency && lvl.CeilingTemporalStartPerS > 0 {
			rep.RatioToTemporalSameLevel = round2(lvl.ComplaintsPerS / lvl.CeilingTemporalStartPerS)
		}
		rep.CeilingTemporalStartPerS = max(rep.CeilingTemporalStartPerS, lvl.CeilingTemporalStartPerS)
		rep.CeilingPGInsertPerS = max(rep.CeilingPGInsertPerS, lvl.CeilingPGInsertPerS)
	}
	if err := b.settle(ctx); err != nil {
		return nil, err
	}
	if rep.CeilingTemporalStartPerS > 0 {
		rep.RatioToTemporal = round2(rep.ComplaintsPerS / rep.CeilingTemporalStartPerS)
	}
	return rep, nil
}

// insertCase is the PostgreSQL ceiling: one plain INSERT of a case row
// with a realistic body, as the register activity writes it (without the
// event rows and the workflow around it).
func insertCase(ctx context.Context, pool *pgxpool.Pool, number string, src *complaintSource, i int) error {
	body, cust := src.body("pg", i)
	_, err := pool.Exec(ctx, `INSERT INTO bench_ceiling_cases (id, case_number, workflow_id, tracking_token_hash, customer_id, customer_name, customer_email,
    channel, subject, description, product, region, language, status, received_at)
VALUES (gen_random_uuid(), $1, $1, convert_to($1, 'UTF8'), $2, $3, $4, $5, $6, $7, $8, $9, 'en', 'received', now())`,
		number, cust, body["customer"].(map[string]any)["name"], body["customer"].(map[string]any)["email"], body["channel"],
		body["subject"], body["description"], body["product"], body["region"])
	return err
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// settle waits until the server has finished the work a run left behind:
// no ceiling workflow still running and every case filed registered, so
// the next run is measured on a quiet system (at most two minutes).
func (b *runner) settle(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		n, err := b.s.tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Query: "WorkflowType = 'BenchNoop' AND ExecutionStatus = 'Running'"})
		if err != nil {
			return fmt.Errorf("count running workflows: %w", err)
		}
		if n.GetCount() == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	time.Sleep(500 * time.Millisecond)
	return nil
}
