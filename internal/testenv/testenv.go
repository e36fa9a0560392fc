// Package testenv starts the real dependencies tests need: a throwaway
// PostgreSQL cluster (temporary folder, free port) with the application
// schema migrated once into a template database, and a fresh database
// cloned from it per test (internal/app starts its embedded Temporal
// server on the same cluster). The cluster starts when the first test of
// the package asks for it, so a package run whose tests need none starts
// none. The package links no Temporal server, so the test binaries of the
// packages that use it stay small and quick to link. Under go test -short (make
// test-short) a test that asks for one is skipped, saying so; otherwise,
// when something cannot start, the test fails: it never skips.
package testenv

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/store"
)

// Env is the package-wide PostgreSQL cluster, started by the first test
// that needs it and stopped by Main.
type Env struct {
	Dir     string
	counter atomic.Int64

	pgOnce sync.Once
	pg     *pgserver.Server
	pgErr  error

	mu     sync.Mutex
	atExit []func()
}

const templateDB = "complaints_template"

// SkipReason is why a test that needs PostgreSQL or Temporal skips under
// -short.
const SkipReason = "needs PostgreSQL/Temporal: skipped under -short (make test-short); make test runs it"

// SkipIfShort skips t under go test -short: for the tests that start
// PostgreSQL or Temporal themselves, without Env.
func SkipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip(SkipReason)
	}
}

// Main runs a test package's tests with an Env whose PostgreSQL starts
// when the first test asks for it, and stops what was started. Use it from
// TestMain: os.Exit(testenv.Main(m, &env)).
func Main(m *testing.M, env **Env) int {
	flag.Parse() // testing.Short() is read by the tests, after this.
	// The application's HTTP router runs in release mode, as the binaries
	// set it (gin's debug mode prints every route of every test's server).
	gin.SetMode(gin.ReleaseMode)
	dir, err := os.MkdirTemp("", "complaints-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	e := &Env{Dir: dir}
	*env = e
	code := m.Run()
	for i := len(e.atExit) - 1; i >= 0; i-- {
		e.atExit[i]()
	}
	if e.pg != nil {
		_ = e.pg.Stop()
	}
	return code
}

// Postgres returns the package's PostgreSQL cluster, starting it (with
// the application role and the migrated template) the first time. Under
// -short it skips t.
func (e *Env) Postgres(t testing.TB) *pgserver.Server {
	t.Helper()
	SkipIfShort(t)
	e.pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		e.pg, e.pgErr = pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(e.Dir, "pg")})
		if e.pgErr != nil {
			return
		}
		if e.pgErr = e.pg.EnsureAppRole(ctx); e.pgErr != nil {
			return
		}
		e.pgErr = e.prepareTemplate(ctx)
	})
	if e.pgErr != nil {
		t.Fatalf("testenv: PostgreSQL could not start: %v", e.pgErr)
	}
	return e.pg
}

func (e *Env) prepareTemplate(ctx context.Context) error {
	if err := e.pg.EnsureDatabase(ctx, templateDB); err != nil {
		return err
	}
	st, err := store.Open(ctx, e.pg.URL(templateDB), 4)
	if err != nil {
		return err
	}
	defer st.Close()
	return store.Migrate(ctx, st.Pool)
}

// NewDatabase creates a fresh, migrated database for one test and returns
// its URL for the application's role (pgserver.AppRole, which owns nothing
// and may only read and append to the audit trail), as the application
// connects in production; it is dropped when the test ends.
func (e *Env) NewDatabase(t testing.TB) string {
	t.Helper()
	app, _ := e.NewDatabaseURLs(t)
	return app
}

// NewDatabaseURLs creates a fresh, migrated database for one test and
// returns its URLs for the application's role and for the owner (the
// superuser, who runs migrations); it is dropped when the test ends.
func (e *Env) NewDatabaseURLs(t testing.TB) (app, owner string) {
	t.Helper()
	pg := e.Postgres(t)
	ctx := context.Background()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), e.counter.Add(1))
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatalf("testenv: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateDB)); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, pg.URL("postgres"))
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return pg.AppURL(name), pg.URL(name)
}

// NewStore opens a store on a fresh database as the application's role.
func (e *Env) NewStore(t testing.TB) *store.Store {
	t.Helper()
	return openStore(t, e.NewDatabase(t))
}

// NewOwnerStore opens a store on a fresh database as its owner (for
// migration tests).
func (e *Env) NewOwnerStore(t testing.TB) *store.Store {
	t.Helper()
	_, owner := e.NewDatabaseURLs(t)
	return openStore(t, owner)
}

// OwnerPool opens a pool on st's database as the owner (the superuser),
// for tests that play an intruder or repair data; closed when the test
// ends.
func (e *Env) OwnerPool(t testing.TB, st *store.Store) *pgxpool.Pool {
	t.Helper()
	return openStore(t, e.Postgres(t).URL(st.Pool.Config().ConnConfig.Database)).Pool
}

func openStore(t testing.TB, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url, 10)
	if err != nil {
		t.Fatalf("testenv: open store: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

// Pool returns the pool of a store (helper for raw queries in tests).
func Pool(st *store.Store) *pgxpool.Pool { return st.Pool }

// AtExit registers fn to run when the package's tests have finished,
// before PostgreSQL stops (in reverse order of registration): for what a
// package starts on the cluster itself, such as internal/app's embedded
// Temporal server.
func (e *Env) AtExit(fn func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.atExit = append(e.atExit, fn)
}

// Logger returns a logger that writes to the test's log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// PayloadKeys is the test-only payload codec key ("id:base64") the
// integration tests run with and the recorded histories in
// workflows/testdata were written with.
const PayloadKeys = "test1:dGVzdC1vbmx5LXBheWxvYWQta2V5LTMyLWJ5dGVzISE="

// PayloadKeyID names PayloadKeys' key.
const PayloadKeyID = "test1"

// DecisionSigningKey is the test-only DECISION_SIGNING_KEY the integration
// tests run with.
const DecisionSigningKey = "test-only-decision-signing-key-of-32-bytes-or-more"
