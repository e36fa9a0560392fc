package pgserver_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/testenv"
)

// TestAppRole: EnsureAppRole turns the role a migration may have created
// without a login into one with a password kept 0600 in the cluster folder,
// with no privileges of its own, and does it again after a restart.
func TestAppRole(t *testing.T) {
	testenv.SkipIfShort(t)
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: dir})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer pg.Stop()
	if err := pg.EnsureDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	exec(t, pg.URL("app"), "CREATE ROLE "+pgserver.AppRole+" NOLOGIN")
	for range 2 {
		if err := pg.EnsureAppRole(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "app.password")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("app.password: %v, %v; want mode 0600", fi, err)
	}
	conn, err := pgx.Connect(ctx, pg.AppURL("app"))
	if err != nil {
		t.Fatalf("connect as %s: %v", pgserver.AppRole, err)
	}
	defer conn.Close(ctx)
	var user string
	var super, createDB, createRole bool
	if err := conn.QueryRow(ctx, `SELECT current_user, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user`).
		Scan(&user, &super, &createDB, &createRole); err != nil || user != pgserver.AppRole || super || createDB || createRole {
		t.Errorf("connected as %s superuser=%v createdb=%v createrole=%v, %v; want %s with none", user, super, createDB, createRole, err, pgserver.AppRole)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE mine"); err == nil {
		t.Error("the application's role created a database")
	}
}
