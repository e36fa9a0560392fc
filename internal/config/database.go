package config

import (
	"errors"
	"fmt"
	"net/url"
)

// loadDatabase reads PostgreSQL's settings: DATABASE_URL,
// MIGRATE_DATABASE_URL, DATABASE_MAX_CONNS and DATA_DIR (the dev cluster's
// folder).
func loadDatabase(getenv func(string) string, c *Config) []error {
	var errs []error
	c.DatabaseURL = getenv("DATABASE_URL")
	c.MigrateDatabaseURL = getenv("MIGRATE_DATABASE_URL")
	c.DataDir = or(getenv("DATA_DIR"), ".data")
	for _, v := range []struct{ name, value string }{{"DATABASE_URL", c.DatabaseURL}, {"MIGRATE_DATABASE_URL", c.MigrateDatabaseURL}} {
		if u, err := url.Parse(v.value); v.value != "" && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql")) {
			errs = append(errs, fmt.Errorf("%s: must be a postgres:// URL", v.name))
		}
	}
	if c.MigrateDatabaseURL != "" && c.DatabaseURL == "" {
		errs = append(errs, errors.New("MIGRATE_DATABASE_URL: set DATABASE_URL too (the embedded database of `complaints-dev dev` makes its own roles)"))
	}
	n, err := Int(getenv, "DATABASE_MAX_CONNS", 40)
	if err != nil || n < 2 {
		errs = append(errs, fmt.Errorf("DATABASE_MAX_CONNS: %q must be a whole number, at least 2", getenv("DATABASE_MAX_CONNS")))
	} else {
		c.DatabaseMaxConns = n
	}
	return errs
}
