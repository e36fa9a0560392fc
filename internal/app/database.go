package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/complaint-handling/complaints/internal/store"
)

// openDatabase migrates the schema (as MIGRATE_DATABASE_URL's owner when
// set) and opens the application's pool on DATABASE_URL.
func (a *App) openDatabase(ctx context.Context) error {
	cfg := a.Config
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is required")
	}
	a.DBURL = cfg.DatabaseURL
	if cfg.MigrateDatabaseURL != "" {
		if err := migrateAs(ctx, cfg.MigrateDatabaseURL); err != nil {
			return err
		}
	} else {
		a.Logger.Warn("MIGRATE_DATABASE_URL is not set: migrating as DATABASE_URL's role, which must then own the tables; run the application as a role that cannot rewrite the audit trail (README: Money and the audit trail)")
	}
	st, err := store.Open(ctx, a.DBURL, int32(cfg.DatabaseMaxConns))
	if err != nil {
		return err
	}
	a.Store = st
	a.closeLater(st.Close)
	if cfg.MigrateDatabaseURL == "" {
		if err := store.Migrate(ctx, st.Pool); err != nil {
			return err
		}
	}
	return nil
}

// migrateAs applies the migrations over a short-lived connection as the
// owner (MIGRATE_DATABASE_URL).
func migrateAs(ctx context.Context, ownerURL string) error {
	owner, err := store.Open(ctx, ownerURL, 2)
	if err != nil {
		return fmt.Errorf("MIGRATE_DATABASE_URL: %w", err)
	}
	defer owner.Close()
	return store.Migrate(ctx, owner.Pool)
}
