// Package store is the PostgreSQL adapter: case records, the audit trail,
// the notification outbox, the payment ledger, staff and teams. Its methods
// name the failing call in their errors and return ErrNotFound when a row
// asked for by key does not exist.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/complaint-handling/complaints/complaint"
)

// ErrNotFound is returned when a row asked for by key does not exist.
var ErrNotFound = errors.New("not found")

// Store wraps a pgx pool.
type Store struct {
	Pool *pgxpool.Pool
}

// Open connects to databaseURL and checks the connection.
func Open(ctx context.Context, databaseURL string, maxConns int32) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store.Open: parse url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	// JIT compilation cost more than it saved on every report query
	// measured: at 1,000,000 cases it spent 669 ms compiling a month's
	// breakdown that runs in 318 ms without it (BenchmarkReportsAtScale).
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store.Open: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store.Open: ping: %w", err)
	}
	return &Store{Pool: pool}, nil
}

// Close closes the pool.
func (s *Store) Close() { s.Pool.Close() }

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// HashToken is how tracking and survey tokens are stored: only their
// SHA-256, so a database leak does not leak working links.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewCase is what InsertCase stores.
type NewCase struct {
	Complaint      complaint.Complaint
	WorkflowID     string
	FirstRunID     string
	Classification complaint.Classification
	TokenHash      []byte
	Profile        string
	Deadlines      []complaint.Deadline
	// TimeZone is the IANA zone of the case's calendar: the case number
	// carries the date of receipt there (UTC when empty).
	TimeZone string
	// FirstReceiver, when set, is recorded as the case's first party: the
	// staff member who took the complaint (workflows.VersionParties).
	FirstReceiver string
}

// InsertCase stores a new case with its first two audit events (received,
// classified) and its idempotency key, and returns its case number. It is
// idempotent: for a case id already stored it returns the stored number.
func (s *Store) InsertCase(ctx context.Context, n NewCase) (string, error) {
	c := n.Complaint
	var number string
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT case_number FROM cases WHERE id = $1`, c.CaseID).Scan(&number)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		dues := complaint.DuesOf(n.Deadlines)
		err = tx.QueryRow(ctx, `
INSERT INTO cases (id, case_number, workflow_id, first_run_id, tracking_token_hash, customer_id, customer_name, customer_phone,
    customer_email, channel, subject, description, desired_remedy, order_ref, product, region, branch, language,
    profile, category, severity, priority, status, received_at, ack_due_at, resolve_due_at)
VALUES ($1, 'CMP-' || to_char($22::timestamptz AT TIME ZONE COALESCE(NULLIF($26, ''), 'UTC'), 'YYYYMMDD') || '-' || lpad(nextval('case_number_seq')::text, 6, '0'),
    $2, $25, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
RETURNING case_number`,
			c.CaseID, n.WorkflowID, n.TokenHash, c.Customer.ID, c.Customer.Name, c.Customer.Phone, c.Customer.Email,
			c.Channel, c.Subject, c.Description, c.DesiredRemedy, c.OrderRef, c.Product, c.Region, c.Branch, c.Language,
			n.Profile, n.Classification.Category, n.Classification.Severity, n.Classification.Priority,
			complaint.StatusReceived, c.ReceivedAt, dues.Ack, dues.Resolve, n.FirstRunID, n.TimeZone).Scan(&number)
		if err != nil {
			return fmt.Errorf("insert case: %w", err)
		}
		actor := "customer"
		if c.EnteredBy != "" {
			actor = c.EnteredBy
		}
		received, _ := json.Marshal(map[string]any{"channel": c.Channel, "case_number": number, "profile": n.Profile})
		classified, _ := json.Marshal(n.Classification)
		if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload) VALUES
            ($1, 1, 'received', $2, $3, $4), ($1, 2, 'classified', 'system', $3, $5)`,
			c.CaseID, actor, c.ReceivedAt, received, classified); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		if n.FirstReceiver != "" {
			if err := changeParty(ctx, tx, c.CaseID, complaint.PartyChange{Op: complaint.PartyAdd, No: 1, By: n.FirstReceiver, At: c.ReceivedAt,
				Party: complaint.PartyRequest{Kind: complaint.PartyFirstReceiver, StaffID: n.FirstReceiver}}); err != nil {
				return err
			}
		}
		if c.IdempotencyKey != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (key, case_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
				c.IdempotencyKey, c.CaseID); err != nil {
				return fmt.Errorf("insert idempotency key: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store.InsertCase(%s): %w", c.CaseID, err)
	}
	return number, nil
}

// Notification is one rendered message for the outbox.
type Notification struct {
	CaseID    string
	Key       string
	Audience  string
	Recipient string
	Kind      string
	Language  string
	Subject   string
	Body      string
}

// ApplyChange appends the change's audit event and, the first time only,
// applies its patch to the case row; then it queues its notifications. A
// retried activity finds the event already written and changes nothing.
func (s *Store) ApplyChange(ctx context.Context, ch complaint.Change, notes []Notification) error {
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		payload, err := json.Marshal(ch.Event.Payload)
		if err != nil {
			return fmt.Errorf("marshal payload: %w", err)
		}
		if ch.Event.Payload == nil {
			payload = []byte("{}")
		}
		tag, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id, seq) DO NOTHING`,
			ch.CaseID, ch.Seq, ch.Event.Type, ch.Event.Actor, ch.Event.At, payload)
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		if tag.RowsAffected() == 1 {
			if err := applyRow(ctx, tx, ch.CaseID, ch.Seq, ch.Row); err != nil {
				return err
			}
			if ch.Fulfilment != nil {
				if err := moveFulfilment(ctx, tx, *ch.Fulfilment); err != nil {
					return err
				}
			}
			if ch.Party != nil {
				if err := changeParty(ctx, tx, ch.CaseID, *ch.Party); err != nil {
					return err
				}
			}
		}
		return queueNotifications(ctx, tx, notes)
	})
	if err != nil {
		return fmt.Errorf("store.ApplyChange(%s#%d %s): %w", ch.CaseID, ch.Seq, ch.Event.Type, err)
	}
	return nil
}

// execer is what a pool and a transaction share.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// queueNotifications writes notifications to the outbox, once per key.
func queueNotifications(ctx context.Context, db execer, notes []Notification) error {
	for _, n := range notes {
		if _, err := db.Exec(ctx, `INSERT INTO notifications (case_id, idem_key, audience, recipient, kind, language, subject, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idem_key) DO NOTHING`,
			n.CaseID, n.Key, n.Audience, n.Recipient, n.Kind, n.Language, n.Subject, n.Body); err != nil {
			return fmt.Errorf("insert notification %s: %w", n.Key, err)
		}
	}
	return nil
}

// applyRow writes the workflow-owned columns of a case, unless the row
// already reflects a newer change (changes may arrive out of order).
func applyRow(ctx context.Context, tx pgx.Tx, caseID string, seq int, r complaint.CaseRow) error {
	_, err := tx.Exec(ctx, `
UPDATE cases SET status = $3, survey_status = NULLIF($4, ''), assignee_id = NULLIF($5, ''), team_id = NULLIF($6, ''),
    level = $7, category = $8, severity = $9, priority = $10, appeal_count = $11, repeat_count = $12,
    transfer_count = $13, breached = $14, at_risk = $15, acknowledged_at = $16, resolved_at = $17, closed_at = $18,
    cause = NULLIF($19, ''), cause_detail = NULLIF($20, ''), responsibility = NULLIF($21, ''), compensation_minor = $22,
    outcome = NULLIF($23, ''), survey_score = NULLIF($24, 0), last_seq = $2, updated_at = now(),
    ack_due_at = COALESCE($25, ack_due_at), resolve_due_at = COALESCE($26, resolve_due_at),
    approval_role = NULLIF($27, ''), approval_since = $28, pending_approval = $29, reversal_failed = $30,
    merged_into = COALESCE(NULLIF($31, '')::uuid, merged_into)
WHERE id = $1 AND last_seq < $2`,
		caseID, seq, r.Status, r.SurveyStatus, r.Assignee, r.Team, r.Level, r.Category, r.Severity, r.Priority,
		r.AppealCount, r.RepeatCount, r.TransferCount, r.Breached, r.AtRisk, r.AcknowledgedAt, r.ResolvedAt, r.ClosedAt,
		r.Cause, r.CauseDetail, r.Responsibility, r.Compensation, r.Outcome, r.SurveyScore, r.AckDueAt, r.ResolveDueAt,
		r.ApprovalRole, r.ApprovalSince, r.PendingApproval, r.ReversalFailed, r.MergedInto)
	if err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}
