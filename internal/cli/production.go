package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/store"
)

// DatabaseFunc returns the URL the migrate and audit commands connect to:
// url (the configured one) when set; what else, is the binary's choice
// (the production binary has nothing else, the tooling binary starts the
// dev cluster). stop releases what it started.
type DatabaseFunc func(ctx context.Context, cfg config.Config, logger *slog.Logger, url string) (_ string, stop func(), err error)

// ExternalDatabase is the production binary's DatabaseFunc: the configured
// URL, or an error saying which setting is missing.
func ExternalDatabase(_ context.Context, _ config.Config, _ *slog.Logger, url string) (string, func(), error) {
	if url == "" {
		return "", nil, errors.New("DATABASE_URL (or MIGRATE_DATABASE_URL): required (`complaints-dev` works on the dev cluster under DATA_DIR)")
	}
	return url, func() {}, nil
}

// Production is the production binary's commands; db says what migrate
// and audit connect to without a configured URL.
func Production(db DatabaseFunc) []Command {
	return []Command{
		{Name: "api", Usage: "run the HTTP API against DATABASE_URL and TEMPORAL_ADDRESS",
			Run: func(ctx context.Context, e Env, _ []string) error { return Serve(ctx, e, app.Options{Run: app.RunAPI}) }},
		{Name: "worker", Usage: "run the Temporal worker against DATABASE_URL and TEMPORAL_ADDRESS",
			Run: func(ctx context.Context, e Env, _ []string) error {
				return Serve(ctx, e, app.Options{Run: app.RunWorker})
			}},
		{Name: "migrate", Usage: "up | down | status: manage the application schema (as MIGRATE_DATABASE_URL's\n             owner when set)",
			Run: func(ctx context.Context, e Env, args []string) error { return migrate(ctx, e, db, args) }},
		{Name: "audit", Usage: "verify [--case ID]: recompute the audit trail's hash chain of one case or all;\n             exit 1 naming the first broken seq of each broken case",
			Run: func(ctx context.Context, e Env, args []string) error { return audit(ctx, e, db, args) }},
		{Name: "token", Usage: "mint a staff token: --sub alice --role manager [--team billing]",
			Run: func(_ context.Context, e Env, args []string) error { return token(e, args) }},
		{Name: "health", Usage: "URL: exit 0 if URL (a /readyz or /healthz) answers 200 - for container\n             health checks in images without curl",
			Run: func(ctx context.Context, e Env, args []string) error { return health(ctx, args, e.Stdout) }},
	}
}

func migrate(ctx context.Context, e Env, db DatabaseFunc, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: complaints migrate up|down|status")
	}
	// The owner migrates: MIGRATE_DATABASE_URL, else DATABASE_URL.
	url := e.Config.MigrateDatabaseURL
	if url == "" {
		url = e.Config.DatabaseURL
	}
	url, stop, err := db(ctx, e.Config, e.Logger, url)
	if err != nil {
		return err
	}
	defer stop()
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
	return m.Status(ctx, e.Stdout)
}

// audit runs `complaints audit verify [--case ID]`: it recomputes the
// audit trail's hash chain of one case or of all, prints what it checked
// and every case whose chain is broken with its first broken seq, and
// fails (exit status 1) when any is.
func audit(ctx context.Context, e Env, db DatabaseFunc, args []string) error {
	const use = "usage: complaints audit verify [--case ID]"
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(use)
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(e.Stdout)
	caseID := fs.String("case", "", "check only this case (its id)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errors.New(use)
	}
	if *caseID != "" {
		if _, err := uuid.Parse(*caseID); err != nil {
			return fmt.Errorf("--case: %q is not a case id", *caseID)
		}
	}
	url, stop, err := db(ctx, e.Config, e.Logger, e.Config.DatabaseURL)
	if err != nil {
		return err
	}
	defer stop()
	st, err := store.Open(ctx, url, 2)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.VerifyAudit(ctx, *caseID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("audit verify: no case %s", *caseID)
	}
	if err != nil {
		return err
	}
	for _, b := range rep.Breaks {
		fmt.Fprintf(e.Stdout, "BROKEN %s\n", b)
	}
	fmt.Fprintf(e.Stdout, "checked %d events of %d cases: %d broken\n", rep.Events, rep.Cases, len(rep.Breaks))
	if len(rep.Breaks) > 0 {
		b := rep.Breaks[0]
		return fmt.Errorf("audit trail broken in %d cases: the first, case %s, at seq %d", len(rep.Breaks), b.CaseID, b.Seq)
	}
	return nil
}

// token mints a staff token with the configured secret (in dev, the one
// kept in DATA_DIR/secrets.json).
func token(e Env, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	sub := fs.String("sub", "", "staff id (the token's sub)")
	role := fs.String("role", "", "agent, supervisor, manager, director, admin or auditor")
	team := fs.String("team", "", "team id, e.g. billing")
	name := fs.String("name", "", "display name")
	ttl := fs.Duration("ttl", 12*time.Hour, "validity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := e.Config.JWTSecret
	if secret == "" {
		s, err := app.ReadSecrets(e.Config.DataDir)
		if err != nil {
			return fmt.Errorf("no JWT_SECRET set and no dev secret in %s (run `make run` once): %w", e.Config.DataDir, err)
		}
		secret = s.JWT
	}
	tok, err := auth.Mint([]byte(secret), *sub, *role, *team, *name, *ttl, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, tok)
	return nil
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
