package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrKeyReused is returned when an idempotency key comes back with a
// different request than the one it was first used with.
var ErrKeyReused = errors.New("idempotency key reused with a different request")

// ClaimIdempotencyKey records that scopeKey (a hash of caller, route and
// key) was used for the request whose fingerprint is given. It reports
// whether this call recorded it (first use) or found the same request
// recorded before (a replay); ErrKeyReused when a different request was.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, scopeKey, fingerprint []byte) (first bool, err error) {
	err = s.Pool.QueryRow(ctx, `INSERT INTO idempotency_requests (scope_key, fingerprint) VALUES ($1, $2)
        ON CONFLICT (scope_key) DO NOTHING RETURNING true`, scopeKey, fingerprint).Scan(&first)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("store.ClaimIdempotencyKey: %w", err)
	}
	var have []byte
	if err := s.Pool.QueryRow(ctx, `SELECT fingerprint FROM idempotency_requests WHERE scope_key = $1`, scopeKey).Scan(&have); err != nil {
		return false, fmt.Errorf("store.ClaimIdempotencyKey: %w", err)
	}
	if !bytes.Equal(have, fingerprint) {
		return false, fmt.Errorf("store.ClaimIdempotencyKey: %w", ErrKeyReused)
	}
	return false, nil
}

// ReleaseIdempotencyKey forgets a key whose first request was refused as
// invalid, so the caller may correct the request and send it with the
// same key.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, scopeKey, fingerprint []byte) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_requests WHERE scope_key = $1 AND fingerprint = $2`, scopeKey, fingerprint); err != nil {
		return fmt.Errorf("store.ReleaseIdempotencyKey: %w", err)
	}
	return nil
}

// LiveCaseForWorkflow returns the id of the newest case under workflowID
// whose workflow may still be running (open, or closed with its survey
// not yet over), or ErrNotFound.
func (s *Store) LiveCaseForWorkflow(ctx context.Context, workflowID string) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `SELECT id::text FROM cases WHERE workflow_id = $1
        AND (status NOT IN ('closed', 'withdrawn') OR (status = 'closed' AND coalesce(survey_status, '') NOT IN ('answered', 'expired')))
        ORDER BY created_at DESC LIMIT 1`, workflowID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store.LiveCaseForWorkflow(%s): %w", workflowID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store.LiveCaseForWorkflow(%s): %w", workflowID, err)
	}
	return id, nil
}
