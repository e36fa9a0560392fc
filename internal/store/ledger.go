package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// LedgerEntry is one money movement.
type LedgerEntry struct {
	IdempotencyKey string
	CaseID         string
	RemedyID       string
	Kind           string // payout or reversal
	RemedyType     string
	Amount         int64
	Currency       string
}

// InsertLedger records a money movement once: a second call with the same
// idempotency key changes nothing and reports false.
func (s *Store) InsertLedger(ctx context.Context, e LedgerEntry) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO ledger (idempotency_key, case_id, remedy_id, kind, remedy_type, amount_minor, currency)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING`,
		e.IdempotencyKey, e.CaseID, e.RemedyID, e.Kind, e.RemedyType, e.Amount, e.Currency)
	if err != nil {
		return false, fmt.Errorf("store.InsertLedger(%s): %w", e.IdempotencyKey, err)
	}
	return tag.RowsAffected() == 1, nil
}

// LedgerForCase lists a case's ledger entries in order.
func (s *Store) LedgerForCase(ctx context.Context, caseID string) ([]LedgerEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT idempotency_key, case_id::text, remedy_id, kind, remedy_type, amount_minor, currency
        FROM ledger WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store.LedgerForCase(%s): %w", caseID, err)
	}
	defer rows.Close()
	var out []LedgerEntry
	for rows.Next() {
		var e LedgerEntry
		if err := rows.Scan(&e.IdempotencyKey, &e.CaseID, &e.RemedyID, &e.Kind, &e.RemedyType, &e.Amount, &e.Currency); err != nil {
			return nil, fmt.Errorf("store.LedgerForCase(%s): %w", caseID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecordFulfilment records a non-money remedy (replacement, repair,
// apology ...) once, as done or, for goods or work staff will deliver, as
// ordered.
func (s *Store) RecordFulfilment(ctx context.Context, key, caseID, remedyID, remedyType, status string) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO fulfilments (idempotency_key, case_id, remedy_id, remedy_type, status)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING`, key, caseID, remedyID, remedyType, status)
	if err != nil {
		return fmt.Errorf("store.RecordFulfilment(%s): %w", key, err)
	}
	return nil
}

// UndoFulfilment marks a fulfilment undone (idempotent).
func (s *Store) UndoFulfilment(ctx context.Context, key string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE fulfilments SET status = 'undone', updated_at = now() WHERE idempotency_key = $1`, key)
	if err != nil {
		return fmt.Errorf("store.UndoFulfilment(%s): %w", key, err)
	}
	return nil
}

// Fulfilment is one fulfilments row.
type Fulfilment struct {
	RemedyID   string    `json:"remedy_id"`
	RemedyType string    `json:"remedy_type"`
	Status     string    `json:"status"`
	Note       string    `json:"note,omitempty"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// FulfilmentsForCase returns a case's fulfilments, oldest first.
func (s *Store) FulfilmentsForCase(ctx context.Context, caseID string) ([]Fulfilment, error) {
	rows, err := s.Pool.Query(ctx, `SELECT remedy_id, remedy_type, status, COALESCE(note, ''), COALESCE(updated_by, ''), updated_at
        FROM fulfilments WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store.FulfilmentsForCase(%s): %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Fulfilment, error) {
		var f Fulfilment
		err := r.Scan(&f.RemedyID, &f.RemedyType, &f.Status, &f.Note, &f.UpdatedBy, &f.UpdatedAt)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.FulfilmentsForCase(%s): %w", caseID, err)
	}
	return out, nil
}

// moveFulfilment sets a fulfilment's state within a case's change; an
// undone row stays undone.
func moveFulfilment(ctx context.Context, db execer, f complaint.FulfilmentChange) error {
	if _, err := db.Exec(ctx, `UPDATE fulfilments SET status = $2, note = NULLIF($3, ''), updated_by = $4, updated_at = now()
        WHERE idempotency_key = $1 AND status <> 'undone'`, f.Key, f.State, f.Note, f.By); err != nil {
		return fmt.Errorf("move fulfilment %s: %w", f.Key, err)
	}
	return nil
}

// OpenSurvey creates the survey row of a case's round (idempotent), and
// closes the survey of an earlier round still open ('superseded'): a case
// has at most one open survey.
func (s *Store) OpenSurvey(ctx context.Context, caseID string, round int, tokenHash []byte) error {
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE surveys SET status = 'superseded' WHERE case_id = $1 AND round < $2 AND status = 'sent'`,
			caseID, round); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO surveys (case_id, round, token_hash, status, sent_at) VALUES ($1, $2, $3, 'sent', now())
        ON CONFLICT (case_id, round) DO NOTHING`, caseID, round, tokenHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("store.OpenSurvey(%s, %d): %w", caseID, round, err)
	}
	return nil
}

// SupersedeSurveys closes a case's open survey (idempotent): the case was
// reopened, and the survey's link must not answer for the next closing.
func (s *Store) SupersedeSurveys(ctx context.Context, caseID string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE surveys SET status = 'superseded' WHERE case_id = $1 AND status = 'sent'`, caseID); err != nil {
		return fmt.Errorf("store.SupersedeSurveys(%s): %w", caseID, err)
	}
	return nil
}

// OpenRecoveryTask opens the supervisor's recovery task after a low score
// (idempotent: one per case and round).
func (s *Store) OpenRecoveryTask(ctx context.Context, caseID string, round int, team, assignee, reason string) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO recovery_tasks (case_id, round, team_id, assignee_id, reason) VALUES ($1, $2, $3, NULLIF($4, ''), $5)
        ON CONFLICT (case_id, round) DO NOTHING`, caseID, round, team, assignee, reason)
	if err != nil {
		return fmt.Errorf("store.OpenRecoveryTask(%s, %d): %w", caseID, round, err)
	}
	return nil
}

// QueueNotifications writes notifications to the outbox (idempotent by key).
func (s *Store) QueueNotifications(ctx context.Context, notes []Notification) error {
	if err := queueNotifications(ctx, s.Pool, notes); err != nil {
		return fmt.Errorf("store.QueueNotifications: %w", err)
	}
	return nil
}

// MarkNotification sets an outbox row's delivery status.
func (s *Store) MarkNotification(ctx context.Context, key, status string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE notifications SET status = $2, sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END
        WHERE idem_key = $1`, key, status)
	if err != nil {
		return fmt.Errorf("store.MarkNotification(%s): %w", key, err)
	}
	return nil
}
