package main

// The commands that run the system under load or as a topology of its own:
// bench (make bench), cluster (make cluster) and chaos (make chaos).

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/internal/bench"
	"github.com/complaint-handling/complaints/internal/config"
)

// runBench runs the load generator (make bench, make bench-quick).
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "the quick sizes (make bench-quick): under 3 minutes")
	out := fs.String("out", "bench-report.json", "where to write the JSON report")
	scenarios := fs.String("scenarios", "intake,lifecycle,scale", "which scenarios to run")
	data := fs.String("data", "testdata/cfpb/complaints-2023-sample.csv", "the CFPB sample the complaints come from")
	dir := fs.String("dir", "", "working folder for PostgreSQL and the logs (default: a new temporary folder, removed afterwards)")
	shards := fs.Int("history-shards", 4, "the embedded Temporal server's history shards")
	conns := fs.Int("temporal-conns", 20, "the embedded Temporal server's connections per store")
	levels := fs.String("levels", "", "intake concurrency levels, e.g. 1,8,32,128 (default: those of the size)")
	intakeFor := fs.Duration("intake-for", 0, "how long each intake level and ceiling runs (default: that of the size)")
	lifecycleCases := fs.Int("lifecycle-cases", 0, "whole cases in the lifecycle scenario (default: that of the size)")
	halfFor := fs.Duration("half-for", 0, "how long the runs at half the peak rate last (default: that of the size)")
	openCases := fs.Int("open-cases", 0, "open cases to park in the scale scenario (default: that of the size)")
	reportRows := fs.Int("report-rows", 0, "case rows for the report queries (default: that of the size)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the load generator and the embedded Temporal server) to the file")
	var env, dyn multiFlag
	fs.Var(&env, "env", "KEY=VALUE for the worker and the API (repeatable), e.g. WORKER_CACHE_SIZE=2000")
	fs.Var(&dyn, "dynamic-config", "key=integer for the embedded Temporal server (repeatable), e.g. frontend.rps=5000")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := bench.Full()
	if *quick {
		o = bench.Quick()
	}
	o.Out, o.Data, o.Stdout = *out, *data, stdout
	if *levels != "" {
		o.Levels = nil
		for _, l := range strings.Split(*levels, ",") {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 {
				return fmt.Errorf("--levels %q: want positive integers separated by commas", *levels)
			}
			o.Levels = append(o.Levels, n)
		}
	}
	if *intakeFor > 0 {
		o.IntakeDuration = *intakeFor
	}
	if *lifecycleCases > 0 {
		o.LifecycleCases = *lifecycleCases
	}
	if *halfFor > 0 {
		o.HalfRateFor = *halfFor
	}
	if *openCases > 0 {
		o.OpenCases = []int{*openCases}
	}
	if *reportRows > 0 {
		o.ReportRows = []int{*reportRows}
	}
	o.Scenarios = strings.Split(*scenarios, ",")
	o.HistoryShards, o.TemporalMaxConns, o.ExtraEnv = int32(*shards), *conns, env
	o.DatabaseURL, o.TemporalAddress = getenv("DATABASE_URL"), getenv("TEMPORAL_ADDRESS")
	o.TemporalDynamicConfig = map[string]any{}
	for _, kv := range dyn {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return fmt.Errorf("--dynamic-config %q: want key=integer", kv)
		}
		o.TemporalDynamicConfig[k] = n
	}
	exe, workDir, cleanup, err := binaryAndDir(*dir, "complaints-bench-*")
	if err != nil {
		return err
	}
	defer cleanup()
	o.Binary, o.Dir = exe, workDir
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	_, err = bench.Run(ctx, o)
	return err
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runCluster runs the local multi-process topology until SIGINT/SIGTERM
// (make cluster). Its data stays in --dir across runs.
func runCluster(ctx context.Context, args []string, cfg config.Config, stdout io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	dir := fs.String("dir", filepath.Join(cfg.DataDir, "cluster"), "PostgreSQL's data, the secrets and the processes' logs")
	workers := fs.Int("workers", 2, "worker processes")
	apis := fs.Int("apis", 2, "API instances")
	apiPort := fs.Int("api-port", 8100, "the first API instance's port (the next count up)")
	workerPort := fs.Int("worker-port", 8110, "the first worker's health and metrics port")
	temporalPort := fs.Int("temporal-port", 7300, "the Temporal server's frontend port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	started := time.Now()
	logf := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	cl, err := bench.StartCluster(ctx, bench.ClusterOptions{Binary: exe, Dir: *dir, Workers: *workers, APIs: *apis,
		APIPort: *apiPort, WorkerPort: *workerPort, TemporalPort: *temporalPort, Logf: logf})
	if err != nil {
		return err
	}
	defer cl.Close()
	fmt.Fprintf(stdout, "\nThe cluster is ready (started in %s). Each process is restarted if it exits; try kill -9 on one.\n\n",
		time.Since(started).Round(time.Millisecond))
	for _, p := range cl.APIs {
		fmt.Fprintf(stdout, "  %-10s http://%s/console/   (pid %d)\n", p.Name, p.Addr, p.PID())
	}
	for _, p := range cl.Workers {
		fmt.Fprintf(stdout, "  %-10s http://%s/metrics    (pid %d)\n", p.Name, p.Addr, p.PID())
	}
	fmt.Fprintf(stdout, "  %-10s %s, namespace %s   (pid %d)\n  postgres   127.0.0.1:%d (data in %s)\n  logs       %s\n\n",
		cl.Temporal.Name, cl.Temporal.Addr, cl.Namespace, cl.Temporal.PID(), cl.PostgresPort(), filepath.Join(*dir, "postgres"), *dir)
	for _, r := range []string{"agent", "supervisor", "manager"} {
		tok, err := cl.Token("cluster-"+r, r, "billing", 12*time.Hour)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-10s %s\n", r, tok)
	}
	fmt.Fprintln(stdout, "\nStaff tokens above (team billing, valid 12h). Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return nil
}

// runChaos runs the fault-injection test (make chaos).
func runChaos(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	small := fs.Bool("small", false, "the small run of make test (24 cases, 5 faults)")
	out := fs.String("out", "chaos-report.json", "where to write the JSON report")
	data := fs.String("data", "testdata/cfpb/complaints-2023-sample.csv", "the CFPB sample the complaints come from")
	dir := fs.String("dir", "", "working folder (default: a new temporary folder, removed afterwards)")
	cases := fs.Int("cases", 0, "the least number of scripted cases (default: that of the size)")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "the random seed (faults' moments and victims, the provider's misbehaviour)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := bench.ChaosFull()
	if *small {
		o = bench.ChaosSmall()
	}
	if *cases > 0 {
		o.Cases = *cases
	}
	exe, workDir, cleanup, err := binaryAndDir(*dir, "complaints-chaos-*")
	if err != nil {
		return err
	}
	defer cleanup()
	o.Binary, o.Dir, o.Data, o.Out, o.Seed, o.Stdout = exe, workDir, *data, *out, *seed, stdout
	rep, err := bench.RunChaos(ctx, o)
	if err != nil {
		return err
	}
	if bad := rep.Problems(); bad > 0 {
		return fmt.Errorf("chaos: %d problems (see %s)", bad, *out)
	}
	return nil
}

// binaryAndDir returns this binary's path (the child processes run it) and
// the working folder: dir, or a new temporary one that cleanup removes.
func binaryAndDir(dir, pattern string) (exe, workDir string, cleanup func(), err error) {
	cleanup = func() {}
	if exe, err = os.Executable(); err != nil {
		return "", "", cleanup, err
	}
	if dir != "" {
		return exe, dir, cleanup, nil
	}
	if workDir, err = os.MkdirTemp("", pattern); err != nil {
		return "", "", cleanup, err
	}
	return exe, workDir, func() { os.RemoveAll(workDir) }, nil
}
