package store

import (
	"context"
	"fmt"
	"time"
)

// RecentRepeatContacts counts the repeat contacts recorded since the given
// time on the cases of a matter's workflow (every case under workflowID).
func (s *Store) RecentRepeatContacts(ctx context.Context, workflowID string, since time.Time) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id
        WHERE c.workflow_id = $1 AND e.type = 'repeat_contact' AND e.at >= $2`, workflowID, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store.RecentRepeatContacts(%s): %w", workflowID, err)
	}
	return n, nil
}
