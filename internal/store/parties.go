package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// changeParty applies a party change in the transaction of its audit
// event (ApplyChange). A change applied again (the activity retried after
// the event was written) is not applied, as ApplyChange skips it.
func changeParty(ctx context.Context, db execer, caseID string, p complaint.PartyChange) error {
	var err error
	switch p.Op {
	case complaint.PartyAdd:
		_, err = db.Exec(ctx, `INSERT INTO case_parties (case_id, no, kind, name, relation, authorised, phone, email, staff_id, note, created_by, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) ON CONFLICT (case_id, no) DO NOTHING`,
			caseID, p.No, p.Party.Kind, p.Party.Name, p.Party.Relation, p.Party.Authorised, p.Party.Phone, p.Party.Email,
			p.Party.StaffID, p.Party.Note, p.By, p.At)
	case complaint.PartyUpdate:
		_, err = db.Exec(ctx, `UPDATE case_parties SET kind = $3, name = $4, relation = $5, authorised = $6, phone = $7, email = $8,
            staff_id = $9, note = $10, updated_at = $11 WHERE case_id = $1 AND no = $2 AND removed_at IS NULL`,
			caseID, p.No, p.Party.Kind, p.Party.Name, p.Party.Relation, p.Party.Authorised, p.Party.Phone, p.Party.Email,
			p.Party.StaffID, p.Party.Note, p.At)
	case complaint.PartyRemove:
		_, err = db.Exec(ctx, `UPDATE case_parties SET removed_at = $3, updated_at = $3 WHERE case_id = $1 AND no = $2 AND removed_at IS NULL`,
			caseID, p.No, p.At)
	default:
		return fmt.Errorf("party change %q: unknown operation", p.Op)
	}
	if err != nil {
		return fmt.Errorf("%s party %d: %w", p.Op, p.No, err)
	}
	return nil
}

// Parties returns a case's parties that are not removed, in the order they
// were added.
func (s *Store) Parties(ctx context.Context, caseID string) ([]complaint.Party, error) {
	rows, err := s.Pool.Query(ctx, `SELECT no, kind, name, relation, authorised, phone, email, staff_id, note, created_by, created_at, updated_at
        FROM case_parties WHERE case_id = $1 AND removed_at IS NULL ORDER BY no`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store.Parties(%s): %w", caseID, err)
	}
	defer rows.Close()
	out := []complaint.Party{}
	for rows.Next() {
		p := complaint.Party{CaseID: caseID}
		if err := rows.Scan(&p.ID, &p.Kind, &p.Name, &p.Relation, &p.Authorised, &p.Phone, &p.Email, &p.StaffID, &p.Note,
			&p.CreatedBy, &p.CreatedAt, &p.UpdatedAt); err != nil {
			return nil, fmt.Errorf("store.Parties(%s): %w", caseID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.Parties(%s): %w", caseID, err)
	}
	return out, nil
}

// Handover is how a case went from the person who first received it to
// its first handler: who received it, who got it, and how long it took
// (from receipt to the first assignment to someone else).
type Handover struct {
	Receiver string        `json:"receiver"`
	Handler  string        `json:"handler,omitempty"`
	At       *time.Time    `json:"at,omitempty"`
	Took     time.Duration `json:"-"`
	// TookSeconds is Took for JSON readers; nil while nobody else has it.
	TookSeconds *float64 `json:"took_seconds,omitempty"`
}

// handoverSQL finds, per case with a first receiver, the first audit event
// that gave the case to someone other than that receiver (the
// acknowledgement's assignee, an assignment or a transfer).
const handoverSQL = `
WITH receivers AS (
    SELECT DISTINCT ON (p.case_id) p.case_id, p.staff_id AS receiver
    FROM case_parties p
    WHERE p.kind = 'first_receiver' AND p.removed_at IS NULL AND p.staff_id <> ''
    ORDER BY p.case_id, p.no
), handed AS (
    SELECT DISTINCT ON (r.case_id) r.case_id, e.at,
        coalesce(e.payload->>'assignee', e.payload->>'to') AS handler
    FROM receivers r
    JOIN case_events e ON e.case_id = r.case_id
    WHERE e.type IN ('acknowledged', 'assigned', 'transferred')
      AND coalesce(e.payload->>'assignee', e.payload->>'to', '') NOT IN ('', r.receiver)
    ORDER BY r.case_id, e.seq
)
SELECT r.case_id, r.receiver, coalesce(h.handler, ''), h.at, c.received_at
FROM receivers r
JOIN cases c ON c.id = r.case_id
LEFT JOIN handed h ON h.case_id = r.case_id`

// HandoverOf returns a case's hand-over, or ErrNotFound when the case
// records no first receiver.
func (s *Store) HandoverOf(ctx context.Context, caseID string) (Handover, error) {
	var h Handover
	var id string
	var at *time.Time
	var received time.Time
	err := s.Pool.QueryRow(ctx, `SELECT * FROM (`+handoverSQL+`) x WHERE case_id = $1`, caseID).Scan(&id, &h.Receiver, &h.Handler, &at, &received)
	if err != nil {
		return Handover{}, fmt.Errorf("store.HandoverOf(%s): %w", caseID, notFound(err))
	}
	h.setAt(at, received)
	return h, nil
}

func (h *Handover) setAt(at *time.Time, received time.Time) {
	if at == nil {
		return
	}
	h.At = at
	h.Took = max(at.Sub(received), 0)
	sec := h.Took.Seconds()
	h.TookSeconds = &sec
}

// HandoverRow is one first receiver's line of the hand-over report.
type HandoverRow struct {
	Receiver string `json:"receiver"`
	// Received counts the cases they first received; HandedOver those
	// they passed on to someone else, in AvgSeconds on average and at
	// most MaxSeconds.
	Received   int      `json:"received"`
	HandedOver int      `json:"handed_over"`
	AvgSeconds *float64 `json:"avg_seconds"`
	MaxSeconds *float64 `json:"max_seconds"`
}

// HandoverReport is who receives complaints and passes them on, and how
// fast: per first receiver, of the cases received in [from, to).
func (s *Store) HandoverReport(ctx context.Context, from, to time.Time) ([]HandoverRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT receiver, count(*)::int, count(at)::int,
        avg(extract(epoch FROM at - received_at))::float8, max(extract(epoch FROM at - received_at))::float8
        FROM (`+handoverSQL+`) x(case_id, receiver, handler, at, received_at)
        WHERE received_at >= $1 AND received_at < $2
        GROUP BY receiver ORDER BY count(*) DESC, receiver`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store.HandoverReport: %w", err)
	}
	defer rows.Close()
	out := []HandoverRow{}
	for rows.Next() {
		var r HandoverRow
		if err := rows.Scan(&r.Receiver, &r.Received, &r.HandedOver, &r.AvgSeconds, &r.MaxSeconds); err != nil {
			return nil, fmt.Errorf("store.HandoverReport: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.HandoverReport: %w", err)
	}
	return out, nil
}

// MergedInto returns the ids and numbers of the cases merged into caseID.
func (s *Store) MergedInto(ctx context.Context, caseID string) ([]MergedCase, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id::text, case_number FROM cases WHERE merged_into = $1 ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store.MergedInto(%s): %w", caseID, err)
	}
	defer rows.Close()
	out := []MergedCase{}
	for rows.Next() {
		var m MergedCase
		if err := rows.Scan(&m.ID, &m.CaseNumber); err != nil {
			return nil, fmt.Errorf("store.MergedInto(%s): %w", caseID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MergedCase is a case merged into another.
type MergedCase struct {
	ID         string `json:"id"`
	CaseNumber string `json:"case_number"`
}

// notFound is ErrNotFound for no rows, else err.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// CaseIDByNumber returns the id of the case numbered number, or
// ErrNotFound.
func (s *Store) CaseIDByNumber(ctx context.Context, number string) (string, error) {
	var id string
	if err := s.Pool.QueryRow(ctx, `SELECT id::text FROM cases WHERE case_number = $1`, number).Scan(&id); err != nil {
		return "", fmt.Errorf("store.CaseIDByNumber(%s): %w", number, notFound(err))
	}
	return id, nil
}

// MergedIntoOf returns the id of the case caseID was merged into ("" when
// it was not).
func (s *Store) MergedIntoOf(ctx context.Context, caseID string) (string, error) {
	var into *string
	if err := s.Pool.QueryRow(ctx, `SELECT merged_into::text FROM cases WHERE id = $1`, caseID).Scan(&into); err != nil {
		return "", fmt.Errorf("store.MergedIntoOf(%s): %w", caseID, notFound(err))
	}
	if into == nil {
		return "", nil
	}
	return *into, nil
}
