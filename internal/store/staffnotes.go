package store

import (
	"context"
	"fmt"
	"time"
)

// StaffNotification is a staff notification as its reader lists it.
type StaffNotification struct {
	ID         int64      `json:"id"`
	CaseID     string     `json:"case_id,omitempty"`
	CaseNumber string     `json:"case_number,omitempty"`
	Kind       string     `json:"kind"`
	Subject    string     `json:"subject"`
	Body       string     `json:"body"`
	CreatedAt  time.Time  `json:"created_at"`
	ReadAt     *time.Time `json:"read_at,omitempty"`
}

// ownNotifications is the condition that a notification (n) is one of the
// staff member's ($1 id, $2 role, $3 team): addressed to them, or to their
// role in their team.
const ownNotifications = `n.audience = 'staff' AND (n.recipient = $1 OR ($3 <> '' AND n.recipient = 'role:' || $2 || '@' || $3))`

// StaffNotifications returns a staff member's own notifications, newest
// first, up to limit of them older than the id before (0: from the
// newest), and how many of all of them are unread.
func (s *Store) StaffNotifications(ctx context.Context, st Staff, before int64, limit int) ([]StaffNotification, int, error) {
	rows, err := s.Pool.Query(ctx, `
SELECT n.id, COALESCE(n.case_id::text, ''), COALESCE(c.case_number, ''), n.kind, n.subject, n.body, n.created_at, r.read_at
FROM notifications n LEFT JOIN cases c ON c.id = n.case_id
    LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.staff_id = $1
WHERE `+ownNotifications+` AND ($4 = 0 OR n.id < $4)
ORDER BY n.id DESC LIMIT $5`, st.ID, st.Role, st.Team, before, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("store.StaffNotifications(%s): %w", st.ID, err)
	}
	defer rows.Close()
	out := []StaffNotification{}
	for rows.Next() {
		var n StaffNotification
		if err := rows.Scan(&n.ID, &n.CaseID, &n.CaseNumber, &n.Kind, &n.Subject, &n.Body, &n.CreatedAt, &n.ReadAt); err != nil {
			return nil, 0, fmt.Errorf("store.StaffNotifications(%s): %w", st.ID, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store.StaffNotifications(%s): %w", st.ID, err)
	}
	var unread int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications n WHERE `+ownNotifications+`
        AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.staff_id = $1)`,
		st.ID, st.Role, st.Team).Scan(&unread); err != nil {
		return nil, 0, fmt.Errorf("store.StaffNotifications(%s): %w", st.ID, err)
	}
	return out, unread, nil
}

// MarkNotificationRead marks one of the staff member's own notifications
// read (again: no change); ErrNotFound when it is not theirs, so another
// member's notification cannot be marked, nor its existence learned.
func (s *Store) MarkNotificationRead(ctx context.Context, st Staff, id int64) error {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO notification_reads (notification_id, staff_id)
        SELECT n.id, $1 FROM notifications n WHERE n.id = $4 AND `+ownNotifications+`
        ON CONFLICT DO NOTHING`, st.ID, st.Role, st.Team, id)
	if err != nil {
		return fmt.Errorf("store.MarkNotificationRead(%s, %d): %w", st.ID, id, err)
	}
	if tag.RowsAffected() == 0 {
		var own bool
		if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notifications n WHERE n.id = $4 AND `+ownNotifications+`)`,
			st.ID, st.Role, st.Team, id).Scan(&own); err != nil {
			return fmt.Errorf("store.MarkNotificationRead(%s, %d): %w", st.ID, id, err)
		}
		if !own {
			return fmt.Errorf("store.MarkNotificationRead(%s, %d): %w", st.ID, id, ErrNotFound)
		}
	}
	return nil
}

// MarkAllNotificationsRead marks every one of the staff member's own
// notifications read and returns how many were unread.
func (s *Store) MarkAllNotificationsRead(ctx context.Context, st Staff) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO notification_reads (notification_id, staff_id)
        SELECT n.id, $1 FROM notifications n WHERE `+ownNotifications+` ON CONFLICT DO NOTHING`, st.ID, st.Role, st.Team)
	if err != nil {
		return 0, fmt.Errorf("store.MarkAllNotificationsRead(%s): %w", st.ID, err)
	}
	return tag.RowsAffected(), nil
}
