package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrKeyReused is returned when an idempotency key comes back with a
// different request than the one it was first used with.
var ErrKeyReused = errors.New("idempotency key reused with a different request")

// IdempotencyKeyRetention is how long an Idempotency-Key is remembered:
// within it, the key sent again with the same request is a replay and with
// another request is refused; after it the key is free again, and
// PruneIdempotencyKeys deletes it. Clients retry within minutes; a week
// covers a client that comes back after a weekend, as payment APIs do
// (24 hours to 30 days).
const IdempotencyKeyRetention = 7 * 24 * time.Hour

// ClaimIdempotencyKey records that scopeKey (a hash of caller, route and
// key) was used for the request whose fingerprint is given. It reports
// whether this call recorded it (first use, or a key last used longer ago
// than IdempotencyKeyRetention) or found the same request recorded before
// (a replay); ErrKeyReused when a different request was.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, scopeKey, fingerprint []byte) (first bool, err error) {
	err = s.Pool.QueryRow(ctx, `INSERT INTO idempotency_requests (scope_key, fingerprint) VALUES ($1, $2)
        ON CONFLICT (scope_key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, created_at = now()
        WHERE idempotency_requests.created_at < now() - make_interval(secs => $3)
        RETURNING true`, scopeKey, fingerprint, IdempotencyKeyRetention.Seconds()).Scan(&first)
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

// PruneIdempotencyKeys deletes keys last used before the retention, at
// most batch of them (so one call holds no long lock), and returns how
// many it deleted.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, batch int) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_requests WHERE scope_key IN (
        SELECT scope_key FROM idempotency_requests WHERE created_at < now() - make_interval(secs => $1) LIMIT $2)`,
		IdempotencyKeyRetention.Seconds(), batch)
	if err != nil {
		return 0, fmt.Errorf("store.PruneIdempotencyKeys: %w", err)
	}
	return tag.RowsAffected(), nil
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
        AND (status NOT IN ('closed', 'withdrawn', 'merged') OR (status = 'closed' AND coalesce(survey_status, '') NOT IN ('answered', 'expired')))
        ORDER BY created_at DESC LIMIT 1`, workflowID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store.LiveCaseForWorkflow(%s): %w", workflowID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store.LiveCaseForWorkflow(%s): %w", workflowID, err)
	}
	return id, nil
}
