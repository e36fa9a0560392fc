package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchRunsEndToEnd builds the binary and runs `complaints bench` at a
// tiny size, as `make bench` runs it (its own PostgreSQL and Temporal, a
// worker and an API process), and checks the report: every scenario ran
// without an error, each figure the benchmark issue names is there, and a
// happy-path case stays within its history budget. It asserts no speed:
// the figures themselves belong to BENCHMARKS.md, not to tests.
func TestBenchRunsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := binary(t)
	report := filepath.Join(dir, "bench-report.json")
	cmd := exec.Command(bin, "bench", "--levels", "1,4", "--intake-for", "1s", "--lifecycle-cases", "6", "--half-for", "2s",
		"--open-cases", "250", "--report-rows", "3000", "--out", report, "--dir", filepath.Join(dir, "work"),
		"--data", "../../testdata/cfpb/complaints-2023-sample.csv")
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("complaints bench: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Machine struct{ Cores int }
		Commit  string
		Intake  struct {
			Levels []struct {
				Concurrency              int
				ComplaintsPerS           float64 `json:"complaints_per_s"`
				P50Ms                    float64 `json:"p50_ms"`
				P99Ms                    float64 `json:"p99_ms"`
				Errors                   int
				CeilingTemporalStartPerS float64 `json:"ceiling_temporal_start_per_s"`
				CeilingPGInsertPerS      float64 `json:"ceiling_pg_insert_per_s"`
			}
			RatioToTemporal float64 `json:"ratio_to_temporal"`
			HalfPeakErrors  int     `json:"half_peak_errors"`
		}
		Lifecycle struct {
			CasesPerS            float64 `json:"cases_per_s"`
			UpdateP99Ms          float64 `json:"update_p99_ms"`
			HistoryEventsPerCase float64 `json:"history_events_per_case"`
			HistoryEventsMax     int     `json:"history_events_max"`
			HistorySampled       int     `json:"history_sampled"`
			Errors               int
		}
		Scale []struct {
			OpenCases            int `json:"open_cases"`
			Errors               int
			WorkerRSSMB          float64 `json:"worker_rss_mb"`
			PGBytesPerCase       float64 `json:"pg_bytes_per_case"`
			TemporalBytesPerCase float64 `json:"temporal_bytes_per_case"`
			ListP99Ms            float64 `json:"list_p99_ms"`
		}
		Reports []struct {
			Rows            int
			Queries         map[string]float64 `json:"queries_ms"`
			ReportMs        float64            `json:"report_ms"`
			SummaryCatchUpS *float64           `json:"summary_catch_up_s"`
		}
		Targets []struct{ Name string }
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Machine.Cores == 0 || r.Commit == "" {
		t.Errorf("machine %+v, commit %q", r.Machine, r.Commit)
	}
	if len(r.Intake.Levels) != 2 {
		t.Fatalf("intake levels = %+v", r.Intake.Levels)
	}
	for _, l := range r.Intake.Levels {
		if l.ComplaintsPerS <= 0 || l.P50Ms <= 0 || l.P99Ms < l.P50Ms || l.Errors != 0 || l.CeilingTemporalStartPerS <= 0 || l.CeilingPGInsertPerS <= 0 {
			t.Errorf("intake level %+v", l)
		}
	}
	if r.Intake.RatioToTemporal <= 0 || r.Intake.HalfPeakErrors != 0 {
		t.Errorf("intake ratio %v, errors at half the peak %d", r.Intake.RatioToTemporal, r.Intake.HalfPeakErrors)
	}
	l := r.Lifecycle
	if l.CasesPerS <= 0 || l.Errors != 0 || l.UpdateP99Ms <= 0 || l.HistorySampled == 0 {
		t.Errorf("lifecycle %+v", l)
	}
	// The history budget of a happy-path case (BENCHMARKS.md): a change
	// that adds events to every case shows here. The same code measured
	// 64 at 00:47 UTC and 66 at 01:25 UTC (the cases' clock watchers set
	// their timers by the business calendar, so the time of day a case is
	// filed moves a timer or two).
	if l.HistoryEventsMax > 66 || l.HistoryEventsPerCase < 40 {
		t.Errorf("history events per case %.1f (max %d), want at most 66", l.HistoryEventsPerCase, l.HistoryEventsMax)
	}
	if len(r.Scale) != 1 || r.Scale[0].OpenCases < 250 || r.Scale[0].Errors != 0 || r.Scale[0].WorkerRSSMB <= 0 ||
		r.Scale[0].PGBytesPerCase <= 0 || r.Scale[0].TemporalBytesPerCase <= 0 || r.Scale[0].ListP99Ms <= 0 {
		t.Errorf("scale %+v", r.Scale)
	}
	if len(r.Reports) != 1 || r.Reports[0].Rows != 3000 || len(r.Reports[0].Queries) != 7 || r.Reports[0].ReportMs <= 0 ||
		r.Reports[0].SummaryCatchUpS == nil {
		t.Errorf("reports %+v", r.Reports)
	}
	var names []string
	for _, tg := range r.Targets {
		names = append(names, tg.Name)
	}
	// Seven speed and size targets, and the classifier's safety recall.
	if len(r.Targets) != 8 || names[0] != "classification safety_recall_pct" {
		t.Errorf("targets: %s", strings.Join(names, "; "))
	}
}
