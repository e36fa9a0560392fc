package pgserver_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/testenv"
)

func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgserver-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestRestartKeepsDataAndHandlesStalePID starts a cluster, writes a row,
// stops it, plants a stale postmaster.pid (as a killed run leaves), and
// starts again: the row is still there.
func TestRestartKeepsDataAndHandlesStalePID(t *testing.T) {
	testenv.SkipIfShort(t)
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: dir})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := pg.EnsureDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if err := pg.EnsureDatabase(ctx, "app"); err != nil {
		t.Fatalf("EnsureDatabase twice: %v", err)
	}
	exec(t, pg.URL("app"), "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	// A pid that is certainly not a postgres: this test process's parent
	// is the go tool, never postgres.
	stale := strconv.Itoa(os.Getppid()) + "\n" + pg.DataDir() + "\n"
	if err := os.WriteFile(filepath.Join(pg.DataDir(), "postmaster.pid"), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "postgres.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pg.DataDir(), 0o750); err != nil {
		t.Fatal(err)
	}
	pg2, err := pgserver.Start(ctx, pgserver.Options{Dir: dir})
	if err != nil {
		t.Fatalf("restart over a stale postmaster.pid: %v", err)
	}
	defer pg2.Stop()
	if got := query(t, pg2.URL("app"), "SELECT v FROM kept"); got != 42 {
		t.Errorf("row after restart = %d", got)
	}
	// The log and the data folder are the owner's alone, also when an
	// older version left the log readable by others (it was 0644).
	for _, f := range []struct {
		path string
		want os.FileMode
	}{{filepath.Join(dir, "postgres.log"), 0o600}, {pg2.DataDir(), 0o700}} {
		st, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != f.want {
			t.Errorf("%s: mode %o, want %o", f.path, got, f.want)
		}
	}
}

// TestCrashedPostgresIsRecovered kills postgres abruptly and starts again.
func TestCrashedPostgresIsRecovered(t *testing.T) {
	testenv.SkipIfShort(t)
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, pg.URL("postgres"), "CREATE TABLE k (v int); INSERT INTO k VALUES (7)")
	pg.Kill()
	pg2, err := pgserver.Start(ctx, pgserver.Options{Dir: dir})
	if err != nil {
		t.Fatalf("start after crash: %v", err)
	}
	defer pg2.Stop()
	if got := query(t, pg2.URL("postgres"), "SELECT v FROM k"); got != 7 {
		t.Errorf("row after crash = %d", got)
	}
}

func exec(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

func query(t *testing.T, url, sql string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v int
	if err := conn.QueryRow(context.Background(), sql).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
