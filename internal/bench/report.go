package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// targets are the benchmark issue's targets, checked against a report.
func targets(r *Report) []Target {
	var t []Target
	add := func(name string, v float64, goal string, met bool) { t = append(t, Target{name, v, goal, met}) }
	classificationTargets(r.Classification, add)
	if i := r.Intake; i != nil {
		add("intake ratio_to_temporal", i.RatioToTemporal, ">= 0.8", i.RatioToTemporal >= 0.8)
		add("intake p99_ms at half the peak rate", i.HalfPeakP99Ms, "< 100", i.HalfPeakP99Ms > 0 && i.HalfPeakP99Ms < 100)
	}
	if l := r.Lifecycle; l != nil {
		add("lifecycle update_p99_ms at half the peak rate", l.HalfPeakUpdateP99Ms, "< 50", l.HalfPeakUpdateP99Ms > 0 && l.HalfPeakUpdateP99Ms < 50)
		add("lifecycle history_events_per_case", l.HistoryEventsPerCase, "<= 60", l.HistoryEventsPerCase > 0 && l.HistoryEventsPerCase <= 60)
	}
	for _, s := range r.Scale {
		add(fmt.Sprintf("scale worker_rss_mb at %d open", s.OpenCases), s.WorkerRSSMB, "< 1024", s.WorkerRSSMB < 1024)
		add(fmt.Sprintf("scale list_p99_ms at %d open", s.OpenCases), s.ListP99Ms, "< 50", s.ListP99Ms < 50)
	}
	for _, q := range r.Reports {
		add(fmt.Sprintf("report_ms at %d rows", q.Rows), q.ReportMs, "< 500", q.ReportMs < 500)
	}
	return t
}

// printReport prints the report as tables.
func printReport(w io.Writer, r *Report) {
	fmt.Fprintf(w, "\nBenchmark at %s: %d cores, %.1f GB, %s; %s\n", r.Commit, r.Machine.Cores, r.Machine.MemoryGB, r.Machine.CPU, r.Versions["go"])
	if i := r.Intake; i != nil {
		fmt.Fprintf(w, "\nIntake (POST /v1/complaints over HTTP) beside the ceilings on the same servers\n")
		fmt.Fprintf(w, "  %-5s %14s %9s %9s %18s %18s\n", "conc", "complaints/s", "p50 ms", "p99 ms", "temporal start/s", "pg insert/s")
		for _, l := range i.Levels {
			fmt.Fprintf(w, "  %-5d %14.1f %9.1f %9.1f %18.1f %18.1f\n", l.Concurrency, l.ComplaintsPerS, l.P50Ms, l.P99Ms, l.CeilingTemporalStartPerS, l.CeilingPGInsertPerS)
		}
		fmt.Fprintf(w, "  ratio_to_temporal %.2f (best intake / best start; %.2f at the same level); at half the peak (%.1f/s) p99 %.1f ms\n",
			i.RatioToTemporal, i.RatioToTemporalSameLevel, i.HalfPeakRatePerS, i.HalfPeakP99Ms)
	}
	if l := r.Lifecycle; l != nil {
		fmt.Fprintf(w, "\nLifecycle (file, findings, proposal, approval, payment, accept, survey; short clocks)\n")
		fmt.Fprintf(w, "  %d cases at concurrency %d: %.2f cases/s; staff decisions p99 %.1f ms at the peak, %.1f ms at half (%.2f cases/s)\n",
			l.Cases, l.Concurrency, l.CasesPerS, l.UpdateP99Ms, l.HalfPeakUpdateP99Ms, l.HalfPeakRatePerS)
		fmt.Fprintf(w, "  history events per case %.1f (max %d); first sampled case: %s\n", l.HistoryEventsPerCase, l.HistoryEventsMax, eventTypes(l.HistoryEventTypes))
	}
	for _, s := range r.Scale {
		fmt.Fprintf(w, "\nScale: %d open cases (%d awaiting approval, %d awaiting the customer)\n", s.OpenCases, s.AwaitingApproval, s.AwaitingCustomer)
		fmt.Fprintf(w, "  worker RSS %.0f MiB (peak %.0f); %.0f B/case application, %.0f B/case Temporal; list p50 %.1f ms p99 %.1f ms\n",
			s.WorkerRSSMB, s.WorkerPeakRSSMB, s.PGBytesPerCase, s.TemporalBytesPerCase, s.ListP50Ms, s.ListP99Ms)
	}
	for _, q := range r.Reports {
		fmt.Fprintf(w, "\nReports over %d case rows: slowest median %.0f ms\n", q.Rows, q.ReportMs)
		for _, k := range slices.Sorted(maps.Keys(q.Queries)) {
			fmt.Fprintf(w, "  %-34s %8.1f ms\n", k, q.Queries[k])
		}
	}
	printClassification(w, r.Classification)
	fmt.Fprintf(w, "\nTargets\n")
	for _, t := range r.Targets {
		mark := "met"
		if !t.Met {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "  %-48s %10.2f  %-8s %s\n", t.Name, t.Value, t.Goal, mark)
	}
	fmt.Fprintf(w, "\nTook %.0f s.\n", r.Seconds)
}

func eventTypes(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", strings.TrimPrefix(k, "EVENT_TYPE_"), m[k]))
	}
	return strings.Join(parts, ", ")
}
