// Package devstack is the development stack of `make run`
// (`complaints-dev dev`): it starts PostgreSQL (under DATA_DIR) and an
// embedded Temporal server on it when the configuration names none, then
// the application (internal/app) on them, the worker and the API in one
// process. It links the Temporal server and the PostgreSQL launcher, so
// only the tooling binary (cmd/complaints-dev) and tests import it; the
// production binary does not.
package devstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/internal/temporalui"
	"github.com/complaint-handling/complaints/workflows"
)

// Stack is a running dev stack. PG and Temporal are nil when the
// configuration named an external database or Temporal cluster.
type Stack struct {
	Config   config.Config
	Logger   *slog.Logger
	PG       *pgserver.Server
	Temporal *temporalserver.Server
	App      *app.App
	// UI is the Temporal Web UI, nil when off or not served.
	UI       *temporalui.Server
	closeFns []func()
}

// Options say what the stack's application runs.
type Options struct {
	// App is passed to app.Start (its DevSecrets is always set).
	App app.Options
}

// Start brings the stack up, one part after another, each on what the
// parts before it started: PostgreSQL, Temporal, the application. A new
// part (a Temporal Web UI, say) is one more step in this list, with its
// stop registered through closeLater. On error everything started is
// stopped.
func Start(ctx context.Context, cfg config.Config, opts Options, logger *slog.Logger) (_ *Stack, err error) {
	s := &Stack{Config: cfg, Logger: logger}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	for _, step := range []func(context.Context) error{s.startPostgres, s.startTemporal} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	if s.Config.TemporalUIURL == "" && s.Config.TemporalUIAddr != "off" {
		// The case view links engineers to the UI this stack serves.
		s.Config.TemporalUIURL = temporalui.URLFor(s.Config.TemporalUIAddr)
	}
	s.devInbound()
	ao := opts.App
	ao.DevSecrets = true
	a, err := app.Start(ctx, s.Config, ao, logger)
	if err != nil {
		return nil, err
	}
	s.App = a
	s.startTemporalUI(ctx)
	return s, nil
}

// startTemporalUI serves the Temporal Web UI (TEMPORAL_UI_ADDR, unless
// off), pointed at the stack's Temporal frontend and at the API's codec
// endpoint. The UI is a convenience: the system runs without it (a port
// taken by another process, say), and says so.
func (s *Stack) startTemporalUI(ctx context.Context) {
	a := s.App
	if a.Config.TemporalUIAddr == "off" {
		return
	}
	ui, err := temporalui.Start(ctx, temporalui.Options{Addr: a.Config.TemporalUIAddr, TemporalAddress: a.Config.TemporalAddress,
		Namespace: a.Config.TemporalNamespace, CodecEndpoint: a.Config.PublicBaseURL + "/codec"})
	if err != nil {
		s.Logger.Warn("the Temporal UI is not served", "addr", a.Config.TemporalUIAddr, "err", err)
		a.Config.TemporalUIAddr = "off"
		return
	}
	s.UI = ui
	s.closeLater(ui.Stop)
}

// engineerLines are the banner's lines for engineers: the Temporal Web UI
// and the embedded Temporal server's own metrics.
func (s *Stack) engineerLines() string {
	var b strings.Builder
	a := s.App
	if a.Config.TemporalUIURL != "" && a.Config.TemporalUIAddr != "off" {
		fmt.Fprintf(&b, "  Temporal UI  %s (payloads decoded for engineers: docs/engineers.md)\n", a.Config.TemporalUIURL)
	}
	if s.Temporal != nil && s.Temporal.MetricsAddr() != "" {
		fmt.Fprintf(&b, "  Engine       http://%s/metrics (the Temporal server's metrics)\n", s.Temporal.MetricsAddr())
	}
	return b.String()
}

// startPostgres starts the private PostgreSQL cluster under DATA_DIR when
// DATABASE_URL is empty: its superuser owns the tables and migrates, the
// application runs as the role that may only read and append to the
// audit trail.
func (s *Stack) startPostgres(ctx context.Context) error {
	if s.Config.DatabaseURL != "" {
		return nil
	}
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(s.Config.DataDir, "postgres"), Logger: s.Logger})
	if err != nil {
		return err
	}
	s.PG = pg
	s.closeLater(func() {
		if err := pg.Stop(); err != nil {
			s.Logger.Warn("stop postgres", "err", err)
		}
	})
	if err := pg.EnsureDatabase(ctx, "complaints"); err != nil {
		return err
	}
	if err := pg.EnsureAppRole(ctx); err != nil {
		return err
	}
	s.Config.MigrateDatabaseURL, s.Config.DatabaseURL = pg.URL("complaints"), pg.AppURL("complaints")
	return nil
}

// startTemporal starts the embedded Temporal server on the stack's
// PostgreSQL when TEMPORAL_ADDRESS is empty.
func (s *Stack) startTemporal(ctx context.Context) error {
	if s.Config.TemporalAddress != "" {
		return nil
	}
	if s.PG == nil {
		return fmt.Errorf("TEMPORAL_ADDRESS is required with an external DATABASE_URL")
	}
	ts, err := temporalserver.Start(ctx, temporalserver.Options{
		DatabaseURL: s.PG.URL("postgres"), FrontendAddress: s.Config.TemporalFrontend, Namespace: s.Config.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributeTypes(), LogFile: filepath.Join(s.Config.DataDir, "temporal.log"),
	})
	if err != nil {
		return err
	}
	s.Temporal = ts
	s.closeLater(func() {
		if err := ts.Stop(); err != nil {
			s.Logger.Warn("stop temporal", "err", err)
		}
	})
	s.Config.TemporalAddress = ts.HostPort()
	return nil
}

func (s *Stack) closeLater(fn func()) { s.closeFns = append(s.closeFns, fn) }

// Shutdown stops the application gracefully (app.App.Shutdown), then what
// the stack started, in reverse order.
func (s *Stack) Shutdown(ctx context.Context) {
	if s.App != nil {
		s.App.Shutdown(ctx)
	}
	s.Close()
}

// Close stops what the stack started, in reverse order (the application
// first, without its drain).
func (s *Stack) Close() {
	if s.App != nil {
		s.App.Close()
	}
	for i := len(s.closeFns) - 1; i >= 0; i-- {
		s.closeFns[i]()
	}
	s.closeFns = nil
}

// Database returns the owner's URL of the application database for the
// commands that work on it alone (migrate, audit verify): DATABASE_URL's
// (MIGRATE_DATABASE_URL's for migrate when set), or else the dev cluster
// under DATA_DIR, started for the command and stopped by stop.
func Database(ctx context.Context, cfg config.Config, logger *slog.Logger, url string) (_ string, stop func(), err error) {
	if url != "" {
		return url, func() {}, nil
	}
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(cfg.DataDir, "postgres"), Logger: logger})
	if err != nil {
		return "", nil, err
	}
	if err := pg.EnsureDatabase(ctx, "complaints"); err != nil {
		_ = pg.Stop()
		return "", nil, err
	}
	return pg.URL("complaints"), func() { _ = pg.Stop() }, nil
}

// PrintBanner writes what a developer needs after `make run`: where each
// part answers, and staff tokens to sign in with.
func (s *Stack) PrintBanner(ctx context.Context, w io.Writer, took time.Duration) {
	a := s.App
	base := "http://" + config.DisplayAddr(a.APIAddr)
	temporal := a.Config.TemporalAddress
	if s.Temporal != nil {
		temporal = s.Temporal.HostPort() + " (embedded, namespace " + a.Config.TemporalNamespace + ")"
	}
	db := "external DATABASE_URL"
	if s.PG != nil {
		db = fmt.Sprintf("127.0.0.1:%d (embedded, data in %s)", s.PG.Port(), s.PG.DataDir())
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
%s%s
%s
Press Ctrl-C to stop.
`, took.Round(time.Millisecond), base, base, base, base, base, base, temporal, db, s.engineerLines(), inboundLines(a), devTokens(ctx, a, base))
}

// devTokens are ready staff tokens for trying the console, printed only
// when this process signs its own tokens (not with an identity provider's
// JWKS): a development convenience, never written to the logs. Their
// members are registered confirmed, as an admin would, so cases are
// assigned to them.
func devTokens(ctx context.Context, a *app.App, base string) string {
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
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := a.Store.RegisterStaff(rctx, p.sub, "", p.role, "billing")
			cancel()
			if err != nil {
				a.Logger.Warn("dev staff not registered", "staff", p.sub, "err", err)
			}
		}
		fmt.Fprintf(&b, "  %-10s %s\n", p.role, tok)
	}
	return b.String() + "More: " + how
}
