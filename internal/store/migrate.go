package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrator applies the embedded, versioned migrations with goose.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
}

// NewMigrator opens a database/sql handle over pool for goose.
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store.NewMigrator: %w", err)
	}
	// Replicas starting together (two APIs and two workers on a fresh
	// database) take turns: a PostgreSQL advisory lock held for the run.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store.NewMigrator: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store.NewMigrator: %w", err)
	}
	return &Migrator{db: db, provider: p}, nil
}

// Close releases the database/sql handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context) error {
	if _, err := m.provider.Up(ctx); err != nil {
		return fmt.Errorf("store.Migrator.Up: %w", err)
	}
	return nil
}

// DownAll rolls every migration back.
func (m *Migrator) DownAll(ctx context.Context) error {
	if _, err := m.provider.DownTo(ctx, 0); err != nil {
		return fmt.Errorf("store.Migrator.DownAll: %w", err)
	}
	return nil
}

// DownTo rolls migrations back until version is the newest applied.
func (m *Migrator) DownTo(ctx context.Context, version int64) error {
	if _, err := m.provider.DownTo(ctx, version); err != nil {
		return fmt.Errorf("store.Migrator.DownTo(%d): %w", version, err)
	}
	return nil
}

// Down rolls the newest migration back.
func (m *Migrator) Down(ctx context.Context) error {
	if _, err := m.provider.Down(ctx); err != nil {
		return fmt.Errorf("store.Migrator.Down: %w", err)
	}
	return nil
}

// Status writes each migration's state to w.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	st, err := m.provider.Status(ctx)
	if err != nil {
		return fmt.Errorf("store.Migrator.Status: %w", err)
	}
	for _, s := range st {
		applied := "pending"
		if s.State == goose.StatePending {
			applied = "pending"
		} else {
			applied = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(w, "%05d %-40s %s\n", s.Source.Version, s.Source.Path, applied)
	}
	return nil
}

// Migrate opens a migrator on pool and applies everything pending.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up(ctx)
}
