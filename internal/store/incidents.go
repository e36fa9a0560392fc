package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// spikeColumns are the case columns each spike dimension reads.
var spikeColumns = map[string]string{"category": "category", "cause": "COALESCE(cause, '')", "product": "product", "region": "region"}

// IntakeCounts counts, for each value of each dimension, the complaints
// received in the window ending at now and in the baseline period before
// it.
func (s *Store) IntakeCounts(ctx context.Context, dims []string, now time.Time, window, baseline time.Duration) ([]complaint.KeyCount, error) {
	var out []complaint.KeyCount
	for _, d := range dims {
		col, ok := spikeColumns[d]
		if !ok {
			return nil, fmt.Errorf("store.IntakeCounts: unknown dimension %q", d)
		}
		rows, err := s.Pool.Query(ctx, `SELECT `+col+`, count(*) FILTER (WHERE received_at > $1),
    count(*) FILTER (WHERE received_at <= $1)
FROM cases WHERE received_at > $2 AND received_at <= $3 AND `+col+` <> ''
GROUP BY 1 HAVING count(*) FILTER (WHERE received_at > $1) >= 2`, now.Add(-window), now.Add(-window-baseline), now)
		if err != nil {
			return nil, fmt.Errorf("store.IntakeCounts(%s): %w", d, err)
		}
		counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (complaint.KeyCount, error) {
			k := complaint.KeyCount{Dimension: d}
			err := r.Scan(&k.Value, &k.Recent, &k.Baseline)
			return k, err
		})
		if err != nil {
			return nil, fmt.Errorf("store.IntakeCounts(%s): %w", d, err)
		}
		out = append(out, counts...)
	}
	return out, nil
}

// Incident is a systemic issue.
type Incident struct {
	ID          string     `json:"id"`
	Number      string     `json:"number"`
	Dimension   string     `json:"dimension"`
	Value       string     `json:"value"`
	Status      string     `json:"status"`
	OpenedAt    time.Time  `json:"opened_at"`
	WindowStart time.Time  `json:"window_start"`
	RecentCount int        `json:"recent_count"`
	Expected    float64    `json:"expected"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	ClosedBy    *string    `json:"closed_by,omitempty"`
	CloseNote   *string    `json:"close_note,omitempty"`
	Linked      int        `json:"linked"`
	// Resolution is the one resolution proposed for every linked case;
	// ResolutionStatus is proposed, rejected or approved; the result
	// says, per case, how applying it went.
	Resolution       *complaint.IncidentResolution `json:"resolution,omitempty"`
	ResolutionStatus *string                       `json:"resolution_status,omitempty"`
	ResolutionBy     *string                       `json:"resolution_decided_by,omitempty"`
	ResolutionResult []complaint.CaseResolution    `json:"resolution_result,omitempty"`
}

const incidentColumns = `id::text, number, dimension, value, status, opened_at, window_start, recent_count, expected,
    closed_at, closed_by, close_note, (SELECT count(*) FROM incident_cases c WHERE c.incident_id = incidents.id)::int,
    resolution, resolution_status, resolution_by, resolution_result`

func scanIncident(r pgx.Row) (Incident, error) {
	var i Incident
	err := r.Scan(&i.ID, &i.Number, &i.Dimension, &i.Value, &i.Status, &i.OpenedAt, &i.WindowStart, &i.RecentCount,
		&i.Expected, &i.ClosedAt, &i.ClosedBy, &i.CloseNote, &i.Linked, &i.Resolution, &i.ResolutionStatus, &i.ResolutionBy,
		&i.ResolutionResult)
	return i, err
}

// OpenIncident opens the incident of a spike and links the complaints that
// match it since windowStart, or returns the one already open for the same
// value (created false). The notice notice(incident) builds is queued once,
// in the same transaction as the new incident.
func (s *Store) OpenIncident(ctx context.Context, sp complaint.Spike, at, windowStart time.Time, notice func(Incident) Notification) (Incident, bool, error) {
	col, ok := spikeColumns[sp.Dimension]
	if !ok {
		return Incident{}, false, fmt.Errorf("store.OpenIncident: unknown dimension %q", sp.Dimension)
	}
	var inc Incident
	created := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `
INSERT INTO incidents (number, dimension, value, opened_at, window_start, recent_count, expected)
VALUES ('INC-' || to_char($3::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD') || '-' || lpad(nextval('incident_number_seq')::text, 4, '0'),
    $1, $2, $3, $4, $5, $6)
ON CONFLICT (dimension, value) WHERE status = 'open' DO NOTHING
RETURNING id::text`, sp.Dimension, sp.Value, at, windowStart, sp.Recent, sp.Expected).Scan(&id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			err = tx.QueryRow(ctx, `SELECT id::text FROM incidents WHERE dimension = $1 AND value = $2 AND status = 'open'`,
				sp.Dimension, sp.Value).Scan(&id)
			if err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			created = true
			if _, err := tx.Exec(ctx, `INSERT INTO incident_cases (incident_id, case_id)
SELECT $1, id FROM cases WHERE `+col+` = $2 AND received_at >= $3 ON CONFLICT DO NOTHING`, id, sp.Value, windowStart); err != nil {
				return err
			}
		}
		inc, err = scanIncident(tx.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id))
		if err != nil || !created {
			return err
		}
		n := notice(inc)
		_, err = tx.Exec(ctx, `INSERT INTO notifications (incident_id, idem_key, audience, recipient, kind, language, subject, body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idem_key) DO NOTHING`,
			id, n.Key, n.Audience, n.Recipient, n.Kind, n.Language, n.Subject, n.Body)
		return err
	})
	if err != nil {
		return Incident{}, false, fmt.Errorf("store.OpenIncident(%s=%s): %w", sp.Dimension, sp.Value, err)
	}
	return inc, created, nil
}

// LinkNewCases links to every open incident the matching complaints that
// arrived since it opened (back to its window start), and returns the ids
// of the cases linked now, per incident.
func (s *Store) LinkNewCases(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	for dim, col := range spikeColumns {
		rows, err := s.Pool.Query(ctx, `
INSERT INTO incident_cases (incident_id, case_id)
SELECT i.id, c.id FROM incidents i JOIN cases c ON `+col+` = i.value AND c.received_at >= i.window_start
WHERE i.status = 'open' AND i.dimension = $1
ON CONFLICT DO NOTHING
RETURNING incident_id::text, case_id::text`, dim)
		if err != nil {
			return nil, fmt.Errorf("store.LinkNewCases: %w", err)
		}
		for rows.Next() {
			var inc, cs string
			if err := rows.Scan(&inc, &cs); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store.LinkNewCases: %w", err)
			}
			out[inc] = append(out[inc], cs)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store.LinkNewCases: %w", err)
		}
	}
	return out, nil
}

// Incidents lists incidents, open ones first, newest first.
func (s *Store) Incidents(ctx context.Context, status string) ([]Incident, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE $1 = '' OR status = $1
ORDER BY status = 'open' DESC, opened_at DESC LIMIT 200`, status)
	if err != nil {
		return nil, fmt.Errorf("store.Incidents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Incident, error) { return scanIncident(r) })
	if err != nil {
		return nil, fmt.Errorf("store.Incidents: %w", err)
	}
	return out, nil
}

// GetIncident returns one incident, or ErrNotFound.
func (s *Store) GetIncident(ctx context.Context, id string) (Incident, error) {
	if !looksLikeUUID(id) {
		return Incident{}, fmt.Errorf("store.GetIncident(%s): %w", id, ErrNotFound)
	}
	inc, err := scanIncident(s.Pool.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Incident{}, fmt.Errorf("store.GetIncident(%s): %w", id, ErrNotFound)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("store.GetIncident(%s): %w", id, err)
	}
	return inc, nil
}

// IncidentCases lists the cases linked to an incident, oldest first.
func (s *Store) IncidentCases(ctx context.Context, id string) ([]Case, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+caseColumns+` FROM cases WHERE id IN (SELECT case_id FROM incident_cases WHERE incident_id = $1)
ORDER BY received_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("store.IncidentCases(%s): %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Case, error) { return scanCase(r) })
	if err != nil {
		return nil, fmt.Errorf("store.IncidentCases(%s): %w", id, err)
	}
	return out, nil
}

// IncidentUpdate is one message staff posted to an incident's customers.
type IncidentUpdate struct {
	ID       int64     `json:"id"`
	Message  string    `json:"message"`
	PostedBy string    `json:"posted_by"`
	PostedAt time.Time `json:"posted_at"`
}

// AddIncidentUpdate records an update once per idempotency key; a repeat
// returns the update first recorded under the key.
func (s *Store) AddIncidentUpdate(ctx context.Context, incidentID, key, message, by string) (IncidentUpdate, error) {
	var u IncidentUpdate
	err := s.Pool.QueryRow(ctx, `
WITH ins AS (
    INSERT INTO incident_updates (incident_id, idem_key, message, posted_by) VALUES ($1, $2, $3, $4)
    ON CONFLICT (idem_key) DO NOTHING RETURNING id, message, posted_by, posted_at)
SELECT id, message, posted_by, posted_at FROM ins
UNION ALL SELECT id, message, posted_by, posted_at FROM incident_updates WHERE idem_key = $2
LIMIT 1`, incidentID, key, message, by).Scan(&u.ID, &u.Message, &u.PostedBy, &u.PostedAt)
	if err != nil {
		return IncidentUpdate{}, fmt.Errorf("store.AddIncidentUpdate(%s): %w", incidentID, err)
	}
	return u, nil
}

// IncidentUpdates lists an incident's updates, oldest first.
func (s *Store) IncidentUpdates(ctx context.Context, id string) ([]IncidentUpdate, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, message, posted_by, posted_at FROM incident_updates WHERE incident_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store.IncidentUpdates(%s): %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (IncidentUpdate, error) {
		var u IncidentUpdate
		err := r.Scan(&u.ID, &u.Message, &u.PostedBy, &u.PostedAt)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.IncidentUpdates(%s): %w", id, err)
	}
	return out, nil
}

// UpdateRecipient is a linked case an update goes to.
type UpdateRecipient struct {
	IncidentID, CaseID, CaseNumber, Language string
}

// UpdateRecipients returns the update's incident and its linked cases.
func (s *Store) UpdateRecipients(ctx context.Context, updateID int64) (IncidentUpdate, []UpdateRecipient, error) {
	var u IncidentUpdate
	var incident string
	err := s.Pool.QueryRow(ctx, `SELECT id, incident_id::text, message, posted_by, posted_at FROM incident_updates WHERE id = $1`, updateID).
		Scan(&u.ID, &incident, &u.Message, &u.PostedBy, &u.PostedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, nil, fmt.Errorf("store.UpdateRecipients(%d): %w", updateID, ErrNotFound)
	}
	if err != nil {
		return u, nil, fmt.Errorf("store.UpdateRecipients(%d): %w", updateID, err)
	}
	rows, err := s.Pool.Query(ctx, `SELECT c.id::text, c.case_number, c.language FROM incident_cases ic JOIN cases c ON c.id = ic.case_id
WHERE ic.incident_id = $1 ORDER BY c.received_at, c.id`, incident)
	if err != nil {
		return u, nil, fmt.Errorf("store.UpdateRecipients(%d): %w", updateID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (UpdateRecipient, error) {
		x := UpdateRecipient{IncidentID: incident}
		err := r.Scan(&x.CaseID, &x.CaseNumber, &x.Language)
		return x, err
	})
	if err != nil {
		return u, nil, fmt.Errorf("store.UpdateRecipients(%d): %w", updateID, err)
	}
	return u, out, nil
}

// LatestIncidentUpdate is the newest update of an incident (ErrNotFound
// when none was posted).
func (s *Store) LatestIncidentUpdate(ctx context.Context, incidentID string) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `SELECT max(id) FROM incident_updates WHERE incident_id = $1 HAVING max(id) IS NOT NULL`, incidentID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("store.LatestIncidentUpdate(%s): %w", incidentID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store.LatestIncidentUpdate(%s): %w", incidentID, err)
	}
	return id, nil
}

// CloseIncident closes an open incident: it links no more complaints.
func (s *Store) CloseIncident(ctx context.Context, id, by, note string, at time.Time) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE incidents SET status = 'closed', closed_at = $2, closed_by = $3, close_note = $4
WHERE id = $1 AND status = 'open'`, id, at, by, note)
	if err != nil {
		return fmt.Errorf("store.CloseIncident(%s): %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store.CloseIncident(%s): %w", id, ErrNotFound)
	}
	return nil
}

// QueuedNotification returns the outbox row under key if it has not been
// delivered yet (found false otherwise).
func (s *Store) QueuedNotification(ctx context.Context, key string) (Notification, bool, error) {
	var n Notification
	var caseID *string
	err := s.Pool.QueryRow(ctx, `SELECT case_id::text, idem_key, audience, recipient, kind, language, subject, body
FROM notifications WHERE idem_key = $1 AND status = 'queued'`, key).
		Scan(&caseID, &n.Key, &n.Audience, &n.Recipient, &n.Kind, &n.Language, &n.Subject, &n.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, false, nil
	}
	if err != nil {
		return n, false, fmt.Errorf("store.QueuedNotification(%s): %w", key, err)
	}
	if caseID != nil {
		n.CaseID = *caseID
	}
	return n, true, nil
}

// ErrConflict is returned when a change does not fit the row's state.
var ErrConflict = errors.New("conflict")

// ProposeIncidentResolution records the one resolution proposed for an
// open incident's cases; it replaces a rejected one. ErrConflict when the
// incident is closed or a resolution already awaits a decision or was
// approved.
func (s *Store) ProposeIncidentResolution(ctx context.Context, id string, r complaint.IncidentResolution) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE incidents SET resolution = $2, resolution_status = 'proposed', resolution_by = NULL
WHERE id = $1 AND status = 'open' AND (resolution_status IS NULL OR resolution_status = 'rejected')`, id, r)
	if err != nil {
		return fmt.Errorf("store.ProposeIncidentResolution(%s): %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store.ProposeIncidentResolution(%s): %w", id, ErrConflict)
	}
	return nil
}

// DecideIncidentResolution marks the proposed resolution approved or
// rejected by whom; ErrConflict when none awaits a decision.
func (s *Store) DecideIncidentResolution(ctx context.Context, id, status, by string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE incidents SET resolution_status = $2, resolution_by = $3
WHERE id = $1 AND status = 'open' AND resolution_status = 'proposed'`, id, status, by)
	if err != nil {
		return fmt.Errorf("store.DecideIncidentResolution(%s): %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store.DecideIncidentResolution(%s): %w", id, ErrConflict)
	}
	return nil
}

// FinishIncidentResolution stores how the resolution went per case and
// closes the incident (idempotent: a closed incident keeps its result).
func (s *Store) FinishIncidentResolution(ctx context.Context, id, by, note string, results []complaint.CaseResolution) error {
	_, err := s.Pool.Exec(ctx, `UPDATE incidents SET resolution_result = $2, status = 'closed', closed_at = now(), closed_by = $3,
    close_note = $4 WHERE id = $1 AND status = 'open'`, id, results, by, note)
	if err != nil {
		return fmt.Errorf("store.FinishIncidentResolution(%s): %w", id, err)
	}
	return nil
}
