// Command complaints-dev is the tooling binary of the complaint-handling
// system: the production binary's commands (which its child processes
// run) and the development and test tools.
//
//	complaints-dev dev                 everything in one process (make run)
//	complaints-dev temporal-server     the Temporal server alone, on DATABASE_URL's PostgreSQL
//	complaints-dev bench [--quick] [--out bench-report.json]
//	complaints-dev bench-worker        the worker with the benchmark's short clocks
//	complaints-dev cluster             PostgreSQL, the Temporal server, 2 workers and 2 APIs as processes (make cluster)
//	complaints-dev chaos [--small]     faults under load, checked (make chaos)
//	complaints-dev send-mail [--from a@b --subject S --body T | --file m.eml]   a test mail to the inbound listener
//	complaints-dev api | worker | migrate | audit | token | health   as the production binary
//
// Without DATABASE_URL, its migrate and audit work on the dev cluster under
// DATA_DIR (the production binary's refuse).
package main

import (
	"context"
	"errors"
	"time"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/bench"
	"github.com/complaint-handling/complaints/internal/cli"
	"github.com/complaint-handling/complaints/internal/devstack"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/workflows"
)

const prog = "complaints-dev"

func main() { cli.Main(prog, commands()) }

func commands() []cli.Command {
	return append([]cli.Command{
		{Name: "dev", Usage: "run PostgreSQL, Temporal, the worker and the API in one process (make run)", Run: dev},
		{Name: "temporal-server", Usage: "the Temporal server alone, persisting to DATABASE_URL's PostgreSQL server,\n             frontend on TEMPORAL_FRONTEND_ADDR", Run: temporalServer},
		{Name: "bench", Usage: "the load generator: [--quick] [--out bench-report.json] (see BENCHMARKS.md)",
			Run: func(ctx context.Context, e cli.Env, args []string) error {
				return runBench(ctx, args, e.Getenv, e.Stdout)
			}},
		{Name: "bench-worker", Usage: "the worker with short per-step clocks (started by bench and chaos)",
			Run: func(ctx context.Context, e cli.Env, _ []string) error {
				return cli.Serve(ctx, e, app.Options{Run: app.RunWorker, Profiles: bench.ShortClocks()})
			}},
		{Name: "cluster", Usage: "the production topology as local processes: PostgreSQL, the Temporal\n             server, 2 workers and 2 API instances, each on a port of its own",
			Run: func(ctx context.Context, e cli.Env, args []string) error {
				return runCluster(ctx, args, e.Config, e.Stdout)
			}},
		{Name: "chaos", Usage: "kill workers, APIs and the Temporal server, restart PostgreSQL and let the\n             payment provider misbehave under load; then check nothing was lost,\n             paid twice or left stuck: [--small] [--out chaos-report.json]",
			Run: func(ctx context.Context, e cli.Env, args []string) error { return runChaos(ctx, args, e.Stdout) }},
		{Name: "send-mail", Usage: "send a test mail to the inbound listener (make run's 127.0.0.1:2525):\n             [--from a@example.com] [--subject S] [--body T] [--in-reply-to ID] [--file m.eml]", Run: sendMail},
	}, cli.Production(devstack.Database)...)
}

// dev runs the dev stack until SIGINT/SIGTERM, then shuts it down
// gracefully.
func dev(ctx context.Context, e cli.Env, _ []string) error {
	started := time.Now()
	e.Logger.Info("starting", "config", e.Config.String())
	s, err := devstack.Start(ctx, e.Config, devstack.Options{App: app.Options{Run: app.RunAPI | app.RunWorker}}, e.Logger)
	if err != nil {
		return err
	}
	s.PrintBanner(ctx, e.Stdout, time.Since(started))
	<-ctx.Done()
	e.Logger.Info("shutting down")
	sctx, cancel := cli.ShutdownContext(e.Config)
	defer cancel()
	s.Shutdown(sctx)
	e.Logger.Info("stopped")
	return nil
}

// temporalServer runs the Temporal server as a process of its own: it
// persists to the PostgreSQL server of DATABASE_URL (databases temporal and
// temporal_visibility, created or upgraded at start; the user must be able
// to create databases the first time), listens on TEMPORAL_FRONTEND_ADDR,
// registers TEMPORAL_NAMESPACE with the search attributes, and stops on
// SIGINT or SIGTERM. Workers and API instances reach it through
// TEMPORAL_ADDRESS.
func temporalServer(ctx context.Context, e cli.Env, _ []string) error {
	cfg := e.Config
	if cfg.DatabaseURL == "" {
		return errors.New("temporal-server needs DATABASE_URL: a postgres:// URL of the PostgreSQL server Temporal persists to")
	}
	started := time.Now()
	ts, err := temporalserver.Start(ctx, temporalserver.Options{
		DatabaseURL: cfg.DatabaseURL, FrontendAddress: cfg.TemporalFrontend, Namespace: cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributeTypes(),
	})
	if err != nil {
		return err
	}
	e.Logger.Info("temporal server ready", "frontend", ts.HostPort(), "namespace", ts.Namespace(),
		"startup", time.Since(started).String())
	<-ctx.Done()
	e.Logger.Info("shutting down")
	return ts.Stop()
}
