package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// Case is a case row as lists and the detail view show it.
type Case struct {
	ID            string     `json:"id"`
	CaseNumber    string     `json:"case_number"`
	WorkflowID    string     `json:"-"`
	FirstRunID    string     `json:"-"`
	CustomerID    string     `json:"customer_id"`
	CustomerName  string     `json:"customer_name"`
	CustomerPhone string     `json:"customer_phone"`
	CustomerEmail string     `json:"customer_email"`
	Channel       string     `json:"channel"`
	Subject       string     `json:"subject"`
	Description   string     `json:"description"`
	DesiredRemedy string     `json:"desired_remedy"`
	OrderRef      string     `json:"order_ref,omitempty"`
	Product       string     `json:"product,omitempty"`
	Region        string     `json:"region,omitempty"`
	Branch        string     `json:"branch,omitempty"`
	Language      string     `json:"language"`
	Profile       string     `json:"profile"`
	Category      string     `json:"category"`
	Severity      string     `json:"severity"`
	Priority      int        `json:"priority"`
	Status        string     `json:"status"`
	SurveyStatus  *string    `json:"survey_status,omitempty"`
	Assignee      *string    `json:"assignee"`
	Team          *string    `json:"team"`
	Level         string     `json:"level"`
	AppealCount   int        `json:"appeal_count"`
	RepeatCount   int        `json:"repeat_count"`
	Breached      bool       `json:"breached"`
	AtRisk        bool       `json:"at_risk"`
	ReceivedAt    time.Time  `json:"received_at"`
	AckDueAt      *time.Time `json:"ack_due_at,omitempty"`
	ResolveDueAt  *time.Time `json:"resolve_due_at,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	Outcome       *string    `json:"outcome,omitempty"`
	SurveyScore   *int       `json:"survey_score,omitempty"`
	// PendingApproval is set while the case awaits approval.
	PendingApproval *complaint.PendingApproval `json:"pending_approval,omitempty"`
	CreatedAt       time.Time                  `json:"created_at"`
}

const caseColumns = `id::text, case_number, workflow_id, first_run_id, customer_id, customer_name, customer_phone, customer_email, channel,
    subject, description, desired_remedy, order_ref, product, region, branch, language, profile, category, severity,
    priority, status, survey_status, assignee_id, team_id, level, appeal_count, repeat_count, breached, at_risk,
    received_at, ack_due_at, resolve_due_at, closed_at, outcome, survey_score, pending_approval, created_at`

func scanCase(r pgx.Row) (Case, error) {
	var c Case
	err := r.Scan(&c.ID, &c.CaseNumber, &c.WorkflowID, &c.FirstRunID, &c.CustomerID, &c.CustomerName, &c.CustomerPhone, &c.CustomerEmail,
		&c.Channel, &c.Subject, &c.Description, &c.DesiredRemedy, &c.OrderRef, &c.Product, &c.Region, &c.Branch,
		&c.Language, &c.Profile, &c.Category, &c.Severity, &c.Priority, &c.Status, &c.SurveyStatus, &c.Assignee,
		&c.Team, &c.Level, &c.AppealCount, &c.RepeatCount, &c.Breached, &c.AtRisk, &c.ReceivedAt, &c.AckDueAt,
		&c.ResolveDueAt, &c.ClosedAt, &c.Outcome, &c.SurveyScore, &c.PendingApproval, &c.CreatedAt)
	return c, err
}

// GetCase returns one case by id, or ErrNotFound.
func (s *Store) GetCase(ctx context.Context, id string) (Case, error) {
	if !looksLikeUUID(id) {
		return Case{}, fmt.Errorf("store.GetCase(%s): %w", id, ErrNotFound)
	}
	c, err := scanCase(s.Pool.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, fmt.Errorf("store.GetCase(%s): %w", id, ErrNotFound)
	}
	if err != nil {
		return Case{}, fmt.Errorf("store.GetCase(%s): %w", id, err)
	}
	return c, nil
}

// GetCaseByTrackingToken returns the case whose tracking token hashes to
// hash, or ErrNotFound.
func (s *Store) GetCaseByTrackingToken(ctx context.Context, hash []byte) (Case, error) {
	c, err := scanCase(s.Pool.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE tracking_token_hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, fmt.Errorf("store.GetCaseByTrackingToken: %w", ErrNotFound)
	}
	if err != nil {
		return Case{}, fmt.Errorf("store.GetCaseByTrackingToken: %w", err)
	}
	return c, nil
}

// GetCaseBySurveyToken returns the case whose survey token hashes to hash,
// or ErrNotFound; the link of a survey superseded (its case reopened, or
// closed again with a survey of its own) no longer finds it.
func (s *Store) GetCaseBySurveyToken(ctx context.Context, hash []byte) (Case, error) {
	c, err := scanCase(s.Pool.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases
    WHERE id = (SELECT case_id FROM surveys WHERE token_hash = $1 AND status <> 'superseded')`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, fmt.Errorf("store.GetCaseBySurveyToken: %w", ErrNotFound)
	}
	if err != nil {
		return Case{}, fmt.Errorf("store.GetCaseBySurveyToken: %w", err)
	}
	return c, nil
}

// CaseForIdempotencyKey returns the case created under key, or ErrNotFound.
func (s *Store) CaseForIdempotencyKey(ctx context.Context, key string) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `SELECT case_id::text FROM idempotency_keys WHERE key = $1`, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store.CaseForIdempotencyKey: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store.CaseForIdempotencyKey: %w", err)
	}
	return id, nil
}

// CaseEvent is one audit-trail row.
type CaseEvent struct {
	Seq     int             `json:"seq"`
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	Payload json.RawMessage `json:"payload"`
}

// Events returns a case's audit trail in order.
func (s *Store) Events(ctx context.Context, caseID string) ([]CaseEvent, error) {
	rows, err := s.Pool.Query(ctx, `SELECT seq, type, actor, at, payload FROM case_events WHERE case_id = $1 ORDER BY seq`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store.Events(%s): %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseEvent, error) {
		var e CaseEvent
		err := r.Scan(&e.Seq, &e.Type, &e.Actor, &e.At, &e.Payload)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.Events(%s): %w", caseID, err)
	}
	return out, nil
}

// Message is a notification as the tracking page shows it.
type Message struct {
	Kind      string    `json:"kind"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// CustomerMessages returns what was sent to a case's customer, in order,
// as the tracking page shows them. A tracking_link message is not among
// them: it goes to the contact details on file when someone filed about
// the case without its token, and the page need not tell the token's
// holder that it happened.
func (s *Store) CustomerMessages(ctx context.Context, caseID string) ([]Message, error) {
	rows, err := s.Pool.Query(ctx, `SELECT kind, subject, body, status, created_at FROM notifications
        WHERE case_id = $1 AND audience = 'customer' AND kind <> 'tracking_link' ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store.CustomerMessages(%s): %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		err := r.Scan(&m.Kind, &m.Subject, &m.Body, &m.Status, &m.CreatedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.CustomerMessages(%s): %w", caseID, err)
	}
	return out, nil
}

// Filter selects cases for the staff list.
type Filter struct {
	Status, Category, Severity, Assignee, Team, Channel, Region string
	Breached                                                    *bool
	// Unassigned keeps cases nobody owns; Attention keeps open cases
	// that are at risk or breached.
	Unassigned, Attention bool
	// Open keeps cases that are neither closed nor withdrawn.
	Open bool
	// ApprovableBy keeps the cases awaiting an approval that this staff
	// member may give: within their role's authority, not their own
	// proposal, not one they approved already.
	ApprovableBy *Approver
	// SurveyScoreMax keeps answered surveys scoring at most this (1-5).
	SurveyScoreMax int
	// Q searches case numbers, subjects and descriptions; with
	// QNumbersOnly, case numbers alone (for readers who may not see the
	// personal data free text holds: a match would confirm it).
	Q            string
	QNumbersOnly bool
	// Scope, when set, keeps the cases of one team and those assigned to
	// one member (the cases an agent or supervisor may see).
	Scope                  *Scope
	CreatedFrom, CreatedTo *time.Time
	// Sort is created_at (newest first, the default) or priority.
	Sort  string
	Limit int
	// After is the cursor: the last row of the previous page.
	AfterCreated *time.Time
	AfterID      string
	AfterPrio    int
}

// ListCases returns a page of cases matching f, using keyset pagination.
func (s *Store) ListCases(ctx context.Context, f Filter) ([]Case, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	for col, v := range map[string]string{"status": f.Status, "category": f.Category, "severity": f.Severity,
		"assignee_id": f.Assignee, "team_id": f.Team, "channel": f.Channel, "region": f.Region} {
		if v != "" {
			add(col+" = ?", v)
		}
	}
	if f.Breached != nil {
		add("breached = ?", *f.Breached)
	}
	if f.Unassigned {
		where = append(where, "assignee_id IS NULL")
	}
	if f.Open {
		where = append(where, "status NOT IN ('closed', 'withdrawn', 'merged')")
	}
	if f.Attention {
		where = append(where, "(at_risk OR breached) AND status NOT IN ('closed', 'withdrawn', 'merged')")
	}
	if a := f.ApprovableBy; a != nil {
		where = append(where, "status = 'awaiting_approval'")
		add("approval_role = ANY(?)", a.Roles)
		add("pending_approval->>'proposed_by' <> ? AND NOT (pending_approval->'approved_by' @> jsonb_build_array(?::text))", a.ID)
	}
	if f.SurveyScoreMax > 0 {
		add("survey_score <= ?", f.SurveyScoreMax)
	}
	if f.Q != "" && f.QNumbersOnly {
		add("case_number ILIKE ?", "%"+escapeLike(f.Q)+"%")
	} else if f.Q != "" {
		// Every ? of a condition names the same parameter.
		add("(case_number ILIKE ? OR subject ILIKE ? OR description ILIKE ?)", "%"+escapeLike(f.Q)+"%")
	}
	if sc := f.Scope; sc != nil {
		args = append(args, sc.Team, sc.Staff)
		where = append(where, fmt.Sprintf("(team_id = $%d OR assignee_id = $%d)", len(args)-1, len(args)))
	}
	if f.CreatedFrom != nil {
		add("created_at >= ?", *f.CreatedFrom)
	}
	if f.CreatedTo != nil {
		add("created_at < ?", *f.CreatedTo)
	}
	order := "created_at DESC, id DESC"
	if f.Sort == "priority" {
		order = "priority ASC, created_at DESC, id DESC"
		if f.AfterCreated != nil {
			args = append(args, f.AfterPrio, *f.AfterCreated, f.AfterID)
			n := len(args)
			where = append(where, fmt.Sprintf("(priority > $%d OR (priority = $%d AND (created_at, id) < ($%d, $%d::uuid)))", n-2, n-2, n-1, n))
		}
	} else if f.AfterCreated != nil {
		args = append(args, *f.AfterCreated, f.AfterID)
		n := len(args)
		where = append(where, fmt.Sprintf("(created_at, id) < ($%d, $%d::uuid)", n-1, n))
	}
	q := `SELECT ` + caseColumns + ` FROM cases`
	if len(where) > 0 {
		// Sorted for a stable statement text (better plan caching).
		q += " WHERE " + strings.Join(slices.Sorted(slices.Values(where)), " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q += fmt.Sprintf(" ORDER BY %s LIMIT %d", order, limit)
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store.ListCases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Case, error) { return scanCase(r) })
	if err != nil {
		return nil, fmt.Errorf("store.ListCases: %w", err)
	}
	return out, nil
}

// Scope is what a team-bound reader may see: the cases of Team (none when
// empty) and those assigned to Staff.
type Scope struct {
	Team, Staff string
}

// Sees reports whether a case is within the scope.
func (sc Scope) Sees(c Case) bool {
	return (sc.Team != "" && c.Team != nil && *c.Team == sc.Team) || (c.Assignee != nil && *c.Assignee == sc.Staff)
}

// Approver is who asks for the cases awaiting their approval.
type Approver struct {
	ID string
	// Roles are the roles whose approvals this approver may give: their
	// own and every lower one.
	Roles []string
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func looksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return false
			}
		}
	}
	return true
}
