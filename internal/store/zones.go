package store

import (
	"context"
	"fmt"
)

// TimeZoneNames lists the time zone names PostgreSQL knows
// (pg_timezone_names), which AT TIME ZONE accepts.
func (s *Store) TimeZoneNames(ctx context.Context) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT name FROM pg_timezone_names`)
	if err != nil {
		return nil, fmt.Errorf("store.TimeZoneNames: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store.TimeZoneNames: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.TimeZoneNames: %w", err)
	}
	return out, nil
}
