// Command complaints runs the complaint-handling system.
//
//	complaints dev                 everything in one process (make run)
//	complaints api                 the HTTP API (production)
//	complaints worker              the Temporal worker (production)
//	complaints migrate up|down|status
//	complaints audit verify [--case ID]
//	complaints token --sub alice --role manager [--team billing] [--ttl 12h]
//	complaints temporal-server     the Temporal server alone, on DATABASE_URL's PostgreSQL
//	complaints bench [--quick] [--out bench-report.json]
//	complaints health URL          exit status of a health check (container images without curl)
//	complaints cluster             PostgreSQL, the Temporal server, 2 workers and 2 APIs as processes (make cluster)
//	complaints chaos [--small]     faults under load, checked (make chaos)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/bench"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/internal/temporalui"
	"github.com/complaint-handling/complaints/workflows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "complaints:", err)
		os.Exit(1)
	}
}

const usage = `usage: complaints <command>

commands:
  dev        run PostgreSQL, Temporal, the worker and the API in one process
  api        run the HTTP API against DATABASE_URL and TEMPORAL_ADDRESS
  worker     run the Temporal worker against DATABASE_URL and TEMPORAL_ADDRESS
  migrate    up | down | status: manage the application schema (as MIGRATE_DATABASE_URL's
             owner when set)
  audit      verify [--case ID]: recompute the audit trail's hash chain of one case or all;
             exit 1 naming the first broken seq of each broken case
  token      mint a staff token: --sub alice --role manager [--team billing]
  temporal-server
             the Temporal server alone, persisting to DATABASE_URL's PostgreSQL server,
             frontend on TEMPORAL_FRONTEND_ADDR
  bench      the load generator: [--quick] [--out bench-report.json] (see BENCHMARKS.md)
  health     URL: exit 0 if URL (a /readyz or /healthz) answers 200 - for container
             health checks in images without curl
  cluster    the production topology as local processes: PostgreSQL, the Temporal
             server, 2 workers and 2 API instances, each on a port of its own
  chaos      kill workers, APIs and the Temporal server, restart PostgreSQL and let the
             payment provider misbehave under load; then check nothing was lost,
             paid twice or left stuck: [--small] [--out chaos-report.json]
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := newLogger(stderr, cfg.LogLevel)
	switch args[0] {
	case "dev":
		return serve(ctx, cfg, app.Options{Run: app.RunAPI | app.RunWorker, Embedded: true}, logger, stdout, true)
	case "api":
		if err := cfg.RequireExternal(); err != nil {
			return err
		}
		return serve(ctx, cfg, app.Options{Run: app.RunAPI}, logger, stdout, false)
	case "worker":
		if err := cfg.RequireExternal(); err != nil {
			return err
		}
		return serve(ctx, cfg, app.Options{Run: app.RunWorker}, logger, stdout, false)
	case "bench-worker":
		// The worker with short per-step clocks, for the benchmark's
		// whole lifecycles only (started by `complaints bench`).
		if err := cfg.RequireExternal(); err != nil {
			return err
		}
		return serve(ctx, cfg, app.Options{Run: app.RunWorker, Profiles: bench.ShortClocks()}, logger, stdout, false)
	case "bench":
		return runBench(ctx, args[1:], getenv, stdout)
	case "health":
		return health(ctx, args[1:], stdout)
	case "cluster":
		return runCluster(ctx, args[1:], cfg, stdout)
	case "chaos":
		return runChaos(ctx, args[1:], stdout)
	case "temporal-server":
		return temporalServer(ctx, cfg, logger)
	case "migrate":
		return migrate(ctx, cfg, args[1:], stdout, logger)
	case "audit":
		return audit(ctx, cfg, args[1:], stdout, logger)
	case "token":
		return token(cfg, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// serve starts the system and blocks until SIGINT/SIGTERM, then shuts
// down gracefully.
func serve(ctx context.Context, cfg config.Config, opts app.Options, logger *slog.Logger, stdout io.Writer, dev bool) error {
	started := time.Now()
	logger.Info("starting", "config", cfg.String())
	if dev && cfg.TemporalUIURL == "" && cfg.TemporalUIAddr != "off" {
		cfg.TemporalUIURL = temporalui.URLFor(cfg.TemporalUIAddr)
	}
	a, err := app.Start(ctx, cfg, opts, logger)
	if err != nil {
		return err
	}
	if dev {
		// The UI is a convenience: the system runs without it (a port
		// taken by another process, say), and says so.
		ui, err := startTemporalUI(ctx, a)
		if err != nil {
			logger.Warn("the Temporal UI is not served", "addr", a.Config.TemporalUIAddr, "err", err)
			a.Config.TemporalUIAddr = "off"
		}
		if ui != nil {
			defer ui.Stop()
		}
		printBanner(stdout, a, time.Since(started))
	} else {
		logger.Info("ready", "addr", a.APIAddr, "startup", time.Since(started).String())
	}
	<-ctx.Done()
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownDrain+cfg.ShutdownTimeout)
	defer cancel()
	a.Shutdown(sctx)
	logger.Info("stopped")
	return nil
}

func printBanner(w io.Writer, a *app.App, took time.Duration) {
	base := "http://" + config.DisplayAddr(a.APIAddr)
	temporal := a.Config.TemporalAddress
	if a.TServer != nil {
		temporal = a.TServer.HostPort() + " (embedded, namespace " + a.Config.TemporalNamespace + ")"
	}
	db := "external DATABASE_URL"
	if a.PG != nil {
		db = fmt.Sprintf("127.0.0.1:%d (embedded, data in %s)", a.PG.Port(), a.PG.DataDir())
	}
	fmt.Fprintf(w, `
Complaint handling is ready (started in %s).

  API          %s/v1/complaints
  Console      %s/console/
  Customer     %s/
  Health       %s/healthz   %s/readyz
  Metrics      %s/metrics
  Temporal     %s
  PostgreSQL   %s
%s
%s
Press Ctrl-C to stop.
`, took.Round(time.Millisecond), base, base, base, base, base, base, temporal, db, engineerLines(a), devTokens(a, base))
}

// startTemporalUI serves the Temporal Web UI for the dev stack
// (TEMPORAL_UI_ADDR; nil when off), pointed at its Temporal frontend and at
// the API's codec endpoint.
func startTemporalUI(ctx context.Context, a *app.App) (*temporalui.Server, error) {
	if a.Config.TemporalUIAddr == "off" {
		return nil, nil
	}
	hostPort := a.Config.TemporalAddress
	if a.TServer != nil {
		hostPort = a.TServer.HostPort()
	}
	return temporalui.Start(ctx, temporalui.Options{Addr: a.Config.TemporalUIAddr, TemporalAddress: hostPort,
		Namespace: a.Config.TemporalNamespace, CodecEndpoint: a.Config.PublicBaseURL + "/codec"})
}

// engineerLines are the banner's lines for engineers: the Temporal Web UI
// and the embedded Temporal server's own metrics.
func engineerLines(a *app.App) string {
	var b strings.Builder
	if a.Config.TemporalUIURL != "" && a.Config.TemporalUIAddr != "off" {
		fmt.Fprintf(&b, "  Temporal UI  %s (payloads decoded for engineers: docs/engineers.md)\n", a.Config.TemporalUIURL)
	}
	if a.TServer != nil && a.TServer.MetricsAddr() != "" {
		fmt.Fprintf(&b, "  Engine       http://%s/metrics (the Temporal server's metrics)\n", a.TServer.MetricsAddr())
	}
	return b.String()
}

// devTokens are ready staff tokens for trying the console, printed only
// when this process signs its own tokens (not with an identity provider's
// JWKS): a development convenience, never written to the logs. Their
// members are registered confirmed, as an admin would, so cases are
// assigned to them.
func devTokens(a *app.App, base string) string {
	how := `Staff tokens: go run ./cmd/complaints token --sub alice --role manager --team billing
  (or: make token ROLE=manager)
`
	if a.Config.JWTJWKSURL != "" || a.Secrets.JWT == "" {
		return how
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Sign in at %s/console/ with one of these staff tokens (team billing, valid 12h):\n", base)
	for _, p := range []struct{ sub, role string }{{"ann", "agent"}, {"sue", "supervisor"}, {"max", "manager"}, {"eve", "engineer"}} {
		tok, err := auth.Mint([]byte(a.Secrets.JWT), p.sub, p.role, "billing", "", 12*time.Hour, time.Now())
		if err != nil {
			return how
		}
		if a.Store != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := a.Store.RegisterStaff(ctx, p.sub, "", p.role, "billing")
			cancel()
			if err != nil {
				a.Logger.Warn("dev staff not registered", "staff", p.sub, "err", err)
			}
		}
		fmt.Fprintf(&b, "  %-10s %s\n", p.role, tok)
	}
	return b.String() + "More: " + how
}

func migrate(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, logger *slog.Logger) error {
	if len(args) != 1 {
		return errors.New("usage: complaints migrate up|down|status")
	}
	// The owner migrates: MIGRATE_DATABASE_URL, else DATABASE_URL.
	url := cfg.MigrateDatabaseURL
	if url == "" {
		url = cfg.DatabaseURL
	}
	if url == "" {
		pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(cfg.DataDir, "postgres"), Logger: logger})
		if err != nil {
			return err
		}
		defer pg.Stop()
		if err := pg.EnsureDatabase(ctx, "complaints"); err != nil {
			return err
		}
		url = pg.URL("complaints")
	}
	st, err := store.Open(ctx, url, 2)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := store.NewMigrator(st.Pool)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		err = m.Up(ctx)
	case "down":
		err = m.Down(ctx)
	case "status":
	default:
		return fmt.Errorf("unknown migrate command %q", args[0])
	}
	if err != nil {
		return err
	}
	return m.Status(ctx, stdout)
}

// token mints a staff token with the configured secret (in dev, the one
// kept in DATA_DIR/secrets.json).
func token(cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	sub := fs.String("sub", "", "staff id (the token's sub)")
	role := fs.String("role", "", "agent, supervisor, manager, director, admin, auditor or engineer")
	team := fs.String("team", "", "team id, e.g. billing")
	name := fs.String("name", "", "display name")
	ttl := fs.Duration("ttl", 12*time.Hour, "validity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := cfg.JWTSecret
	if secret == "" {
		s, err := app.ReadSecrets(cfg.DataDir)
		if err != nil {
			return fmt.Errorf("no JWT_SECRET set and no dev secret in %s (run `make run` once): %w", cfg.DataDir, err)
		}
		secret = s.JWT
	}
	tok, err := auth.Mint([]byte(secret), *sub, *role, *team, *name, *ttl, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// temporalServer runs the Temporal server as a process of its own: it
// persists to the PostgreSQL server of DATABASE_URL (databases temporal and
// temporal_visibility, created or upgraded at start; the user must be able
// to create databases the first time), listens on TEMPORAL_FRONTEND_ADDR,
// registers TEMPORAL_NAMESPACE with the search attributes, and stops on
// SIGINT or SIGTERM. Workers and API instances reach it through
// TEMPORAL_ADDRESS.
func temporalServer(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
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
	logger.Info("temporal server ready", "frontend", ts.HostPort(), "namespace", ts.Namespace(),
		"startup", time.Since(started).String())
	<-ctx.Done()
	logger.Info("shutting down")
	return ts.Stop()
}

// health checks one URL for a container health check: exit status 0 when
// it answers 200 within 3 s.
func health(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: complaints health http://127.0.0.1:8080/readyz")
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", args[0], resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
