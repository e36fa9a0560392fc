package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// Script is one version of a response script (migration 00022).
type Script struct {
	Key        string     `json:"key"`
	Version    int        `json:"version"`
	Stage      string     `json:"stage"`
	Category   string     `json:"category"`
	Language   string     `json:"language"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	Status     string     `json:"status"`
	ProposedBy string     `json:"proposed_by"`
	ProposedAt time.Time  `json:"proposed_at"`
	ApprovedBy *string    `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
}

const scriptColumns = `key, version, stage, category, language, title, body, status, proposed_by, proposed_at, approved_by, approved_at`

func scanScript(r pgx.Row) (Script, error) {
	var s Script
	err := r.Scan(&s.Key, &s.Version, &s.Stage, &s.Category, &s.Language, &s.Title, &s.Body, &s.Status,
		&s.ProposedBy, &s.ProposedAt, &s.ApprovedBy, &s.ApprovedAt)
	return s, err
}

// ErrScriptMismatch is a new version of a key with another stage, category
// or language than the key's: a different script needs its own key.
var ErrScriptMismatch = errors.New("a script's stage, category and language stay those of its key")

// ErrOwnProposal is an approval by the staff member who proposed the
// version: nobody approves their own wording.
var ErrOwnProposal = errors.New("the proposer may not approve their own script")

// ProposeScript stores d (valid by complaint.ValidateScript) as the next
// version of its key, proposed by by, and records the proposal in
// script_events. An empty key is made from the stage and language and a
// number. It returns ErrScriptMismatch when the key exists with another
// stage, category or language.
func (s *Store) ProposeScript(ctx context.Context, d complaint.ScriptDraft, by string) (Script, error) {
	var out Script
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if d.Key == "" {
			// stage-language-N, N one more than the highest, one new key at a time.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('script-new'))`); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT $1 || '-' || (COALESCE(max(substring(key from '[0-9]+$')::bigint), 0) + 1)
FROM scripts WHERE key ~ ('^' || $1 || '-[0-9]+$')`, d.Stage+"-"+d.Language).Scan(&d.Key); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('script:' || $1))`, d.Key); err != nil {
			return err
		}
		var stage, category, language string
		var version int
		err := tx.QueryRow(ctx, `SELECT stage, category, language, version FROM scripts WHERE key = $1 ORDER BY version DESC LIMIT 1`, d.Key).
			Scan(&stage, &category, &language, &version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case stage != d.Stage || category != d.Category || language != d.Language:
			return ErrScriptMismatch
		}
		out, err = scanScript(tx.QueryRow(ctx, `INSERT INTO scripts (key, version, stage, category, language, title, body, proposed_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+scriptColumns, d.Key, version+1, d.Stage, d.Category, d.Language, d.Title, d.Body, by))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO script_events (script_key, version, type, actor) VALUES ($1, $2, 'proposed', $3)`, out.Key, out.Version, by)
		return err
	})
	if err != nil {
		return Script{}, fmt.Errorf("store.ProposeScript(%s): %w", d.Key, err)
	}
	return out, nil
}

// ApproveScript approves a proposed version (the caller checked the
// approver's role): it becomes the key's usable version and the key's
// earlier approved version is superseded, each recorded in script_events.
// It returns ErrNotFound for no such version, ErrConflict when the version
// is not proposed, and ErrOwnProposal when by proposed it.
func (s *Store) ApproveScript(ctx context.Context, key string, version int, by string) (Script, error) {
	var out Script
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('script:' || $1))`, key); err != nil {
			return err
		}
		cur, err := scanScript(tx.QueryRow(ctx, `SELECT `+scriptColumns+` FROM scripts WHERE key = $1 AND version = $2`, key, version))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case cur.Status != complaint.ScriptProposed:
			return ErrConflict
		case cur.ProposedBy == by:
			return ErrOwnProposal
		}
		rows, err := tx.Query(ctx, `UPDATE scripts SET status = 'superseded' WHERE key = $1 AND status = 'approved' RETURNING version`, key)
		if err != nil {
			return err
		}
		old, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		for _, v := range old {
			if _, err := tx.Exec(ctx, `INSERT INTO script_events (script_key, version, type, actor) VALUES ($1, $2, 'superseded', $3)`, key, v, by); err != nil {
				return err
			}
		}
		out, err = scanScript(tx.QueryRow(ctx, `UPDATE scripts SET status = 'approved', approved_by = $3, approved_at = now()
WHERE key = $1 AND version = $2 RETURNING `+scriptColumns, key, version, by))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO script_events (script_key, version, type, actor) VALUES ($1, $2, 'approved', $3)`, key, version, by)
		return err
	})
	if err != nil {
		return Script{}, fmt.Errorf("store.ApproveScript(%s v%d): %w", key, version, err)
	}
	return out, nil
}

// ScriptFilter selects scripts: empty fields select all. Category selects
// that category's scripts and those for any category. Status "approved"
// lists the usable version of each key; any other lists each key's newest
// version (with that status, if given).
type ScriptFilter struct {
	Stage, Category, Language, Status string
}

// Scripts lists scripts by stage, language and key.
func (s *Store) Scripts(ctx context.Context, f ScriptFilter) ([]Script, error) {
	q := `SELECT ` + scriptColumns + ` FROM scripts s WHERE status = 'approved'`
	if f.Status != complaint.ScriptApproved {
		q = `SELECT ` + scriptColumns + ` FROM (SELECT DISTINCT ON (key) * FROM scripts ORDER BY key, version DESC) s
WHERE ($4 = '' OR status = $4)`
	}
	q += ` AND ($1 = '' OR stage = $1) AND ($2 = '' OR category IN ($2, 'any')) AND ($3 = '' OR language = $3)
ORDER BY array_position(ARRAY['acknowledgement','info_request','proposal','refusal','appeal_answer','closing','abuse_warning','callback'], stage), language, key`
	args := []any{f.Stage, f.Category, f.Language}
	if f.Status != complaint.ScriptApproved {
		args = append(args, f.Status)
	}
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store.Scripts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Script, error) { return scanScript(r) })
	if err != nil {
		return nil, fmt.Errorf("store.Scripts: %w", err)
	}
	return out, nil
}

// ScriptVersions returns every version of a key, newest first
// (ErrNotFound for no such key).
func (s *Store) ScriptVersions(ctx context.Context, key string) ([]Script, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+scriptColumns+` FROM scripts WHERE key = $1 ORDER BY version DESC`, key)
	if err != nil {
		return nil, fmt.Errorf("store.ScriptVersions(%s): %w", key, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Script, error) { return scanScript(r) })
	if err != nil {
		return nil, fmt.Errorf("store.ScriptVersions(%s): %w", key, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("store.ScriptVersions(%s): %w", key, ErrNotFound)
	}
	return out, nil
}

// ApprovedScript returns the key's usable (approved) version; ErrNotFound
// when the key has none.
func (s *Store) ApprovedScript(ctx context.Context, key string) (Script, error) {
	sc, err := scanScript(s.Pool.QueryRow(ctx, `SELECT `+scriptColumns+` FROM scripts WHERE key = $1 AND status = 'approved'`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return Script{}, fmt.Errorf("store.ApprovedScript(%s): %w", key, ErrNotFound)
	}
	if err != nil {
		return Script{}, fmt.Errorf("store.ApprovedScript(%s): %w", key, err)
	}
	return sc, nil
}

// ScriptEvent is one entry of the scripts' audit trail.
type ScriptEvent struct {
	Key     string    `json:"key"`
	Version int       `json:"version"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

// ScriptEvents returns a key's audit trail, oldest first.
func (s *Store) ScriptEvents(ctx context.Context, key string) ([]ScriptEvent, error) {
	rows, err := s.Pool.Query(ctx, `SELECT script_key, version, type, actor, at FROM script_events WHERE script_key = $1 ORDER BY id`, key)
	if err != nil {
		return nil, fmt.Errorf("store.ScriptEvents(%s): %w", key, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ScriptEvent])
	if err != nil {
		return nil, fmt.Errorf("store.ScriptEvents(%s): %w", key, err)
	}
	return out, nil
}
