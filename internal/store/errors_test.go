package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/complaint-handling/complaints/internal/store"
)

// TestRejectedClassifiesPostgreSQLErrors makes PostgreSQL refuse
// statements for real: a NUL in text (the write that split workflows from
// their records), a value out of range, a check constraint and an unknown
// column are refused for good; a cancelled statement and a closed pool
// are not (they are worth retrying).
func TestRejectedClassifiesPostgreSQLErrors(t *testing.T) {
	t.Parallel()
	// The application's role may create no tables: the test's own table
	// is the owner's, and so are the statements it classifies.
	pool := env.OwnerPool(t, env.NewStore(t))
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE t (s text, n smallint CHECK (n >= 0), j jsonb)`); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		run  func() error
		code string
	}{
		{"NUL in text", func() error { _, err := pool.Exec(ctx, `INSERT INTO t (s) VALUES ($1)`, "a\x00b"); return err }, "22021"},
		{"NUL in jsonb", func() error {
			_, err := pool.Exec(ctx, `INSERT INTO t (j) VALUES ($1::jsonb)`, `{"a":"\u0000"}`)
			return err
		}, "22P05"},
		{"out of range", func() error { _, err := pool.Exec(ctx, `INSERT INTO t (n) VALUES (70000)`); return err }, "22003"},
		{"check constraint", func() error { _, err := pool.Exec(ctx, `INSERT INTO t (n) VALUES (-1)`); return err }, "23514"},
		{"unknown column", func() error { _, err := pool.Exec(ctx, `INSERT INTO t (nope) VALUES (1)`); return err }, "42703"},
		{"cancelled", func() error { _, err := pool.Exec(cancelled, `SELECT 1`); return err }, ""},
		{"not a database error", func() error { return errors.New("connection reset by peer") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil {
				t.Fatal("no error")
			}
			code, ok := store.Rejected(err)
			if ok != (tt.code != "") || code != tt.code {
				t.Errorf("Rejected(%v) = %q, %v; want %q", err, code, ok, tt.code)
			}
		})
	}
}
