package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// AppRole is the role the application connects as. Migration 00012 grants
// it what the application needs (and, on the audit trail, only SELECT and
// INSERT); the superuser owns the tables and runs the migrations.
const AppRole = "complaints_app"

// EnsureAppRole makes AppRole a login role with a password kept in the
// cluster folder (app.password, mode 0600), creating it when missing. It
// gives the role no privileges: those come with the migrations.
func (s *Server) EnsureAppRole(ctx context.Context) error {
	pw, err := secretFile(filepath.Join(s.dir, "app.password"))
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgserver: connect: %w", err)
	}
	defer conn.Close(ctx)
	// The password is hex, so quoting it is only for form's sake.
	lit := "'" + strings.ReplaceAll(pw, "'", "''") + "'"
	opts := " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD " + lit
	if _, err := conn.Exec(ctx, "CREATE ROLE "+AppRole+opts); err != nil {
		var pgErr interface{ SQLState() string }
		if !errors.As(err, &pgErr) || pgErr.SQLState() != "42710" {
			return fmt.Errorf("pgserver: create role %s: %w", AppRole, err)
		}
		// The role exists (a migration created it without a login, or an
		// earlier start did): make sure it can log in with this password.
		if _, err := conn.Exec(ctx, "ALTER ROLE "+AppRole+opts); err != nil {
			return fmt.Errorf("pgserver: alter role %s: %w", AppRole, err)
		}
	}
	s.appPassword = pw
	return nil
}

// AppURL returns a connection string for database db as AppRole
// (EnsureAppRole must have run).
func (s *Server) AppURL(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", AppRole, s.appPassword, s.port, db)
}

// secretFile reads a generated secret from path, or creates it (0600).
func secretFile(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("pgserver: random password: %w", err)
	}
	pw := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("pgserver: write password: %w", err)
	}
	return pw, nil
}
