package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClassificationOverride is one change of a case's category or severity
// by staff (the classification_override event of the audit trail), with
// the complaint's text: a labelled example the classifier got wrong, or
// that changed.
type ClassificationOverride struct {
	CaseNumber       string
	Language         string
	Channel          string
	Subject          string
	Description      string
	Category         string
	Severity         string
	OriginalCategory string
	OriginalSeverity string
	Reason           string
	By               string
	At               time.Time
}

// ClassificationOverrides lists staff overrides of classifications
// recorded since since, oldest first, at most limit.
func (s *Store) ClassificationOverrides(ctx context.Context, since time.Time, limit int) ([]ClassificationOverride, error) {
	rows, err := s.Pool.Query(ctx, `SELECT c.case_number, c.language, c.channel, c.subject, c.description,
    coalesce(e.payload->>'category', ''), coalesce(e.payload->>'severity', ''),
    coalesce(e.payload->'from'->>'category', ''), coalesce(e.payload->'from'->>'severity', ''),
    coalesce(e.payload->>'reason', ''), e.actor, e.at
FROM case_events e JOIN cases c ON c.id = e.case_id
WHERE e.type = 'classification_override' AND e.at >= $1
ORDER BY e.at, e.id LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("store.ClassificationOverrides: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassificationOverride, error) {
		var o ClassificationOverride
		err := r.Scan(&o.CaseNumber, &o.Language, &o.Channel, &o.Subject, &o.Description, &o.Category, &o.Severity,
			&o.OriginalCategory, &o.OriginalSeverity, &o.Reason, &o.By, &o.At)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.ClassificationOverrides: %w", err)
	}
	return out, nil
}
