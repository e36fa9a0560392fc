package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Delivery statuses. A delivery is queued until a worker claims an
// attempt (sending), then sent, queued again for a retry after a
// temporary failure, or failed for good; bounced is a later report of a
// message the server had accepted.
const (
	DeliveryQueued  = "queued"
	DeliverySending = "sending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliveryBounced = "bounced"
)

// DeliveryStatuses lists the statuses above.
func DeliveryStatuses() []string {
	return []string{DeliveryQueued, DeliverySending, DeliverySent, DeliveryDelivered, DeliveryFailed, DeliveryBounced}
}

// Message channels: how a case message reaches its reader. Every
// customer message is on the tracking page; email is a delivery.
const (
	MessageTrackingPage = "tracking_page"
	MessageEmail        = "email"
)

// MessageChannels lists the channels above.
func MessageChannels() []string {
	return []string{MessageTrackingPage, MessageEmail, MessageSMS, MessageChat}
}

// Message audiences: who a message is for.
const (
	AudienceCustomer = "customer"
	AudienceStaff    = "staff"
)

// Audiences lists the audiences above.
func Audiences() []string { return []string{AudienceCustomer, AudienceStaff} }

// NewDelivery is a notification to send by a channel to one address.
type NewDelivery struct {
	Key, CaseID, Channel, Address, MessageID string
	// NotBefore holds the first attempt (the send window); zero: at once.
	NotBefore time.Time
}

// QueueDeliveries records deliveries, once per notification key, channel
// and address: queuing the same again (a retried activity) changes
// nothing, so a message is never sent twice for it. A customer message
// is queued only on the channel the customer's preferences choose (see
// Preferences.Allows); the others are left out.
func (s *Store) QueueDeliveries(ctx context.Context, ds []NewDelivery) error {
	for _, d := range ds {
		if ok, err := s.customerAllows(ctx, d.Key, d.CaseID, d.Channel); err != nil {
			return fmt.Errorf("store.QueueDeliveries(%s): %w", d.Key, err)
		} else if !ok {
			continue
		}
		var notBefore *time.Time
		if !d.NotBefore.IsZero() {
			notBefore = &d.NotBefore
		}
		if _, err := s.Pool.Exec(ctx, `INSERT INTO deliveries (idem_key, case_id, channel, address, message_id, next_attempt_at)
            VALUES ($1, NULLIF($2, '')::uuid, $3, $4, $5, COALESCE($6, now())) ON CONFLICT (idem_key, channel, address) DO NOTHING`,
			d.Key, d.CaseID, d.Channel, d.Address, d.MessageID, notBefore); err != nil {
			return fmt.Errorf("store.QueueDeliveries(%s): %w", d.Key, err)
		}
	}
	return nil
}

// EmailContext is what a notification's deliveries need to know about its
// case and recipients.
type EmailContext struct {
	// Profile is the case's clock profile (its calendar gives the zone of
	// the send window).
	Profile string
	// Addresses are the recipients' email addresses: the customer's for a
	// customer message, the staff member's, or every active member's of a
	// role:R@team recipient; those without an address are left out.
	Addresses []string
}

// EmailRecipients resolves a notification's email addresses.
func (s *Store) EmailRecipients(ctx context.Context, caseID, audience, recipient string) (EmailContext, error) {
	var ec EmailContext
	var customerEmail string
	// An incident's notice to supervisors has no case.
	if caseID != "" {
		if err := s.Pool.QueryRow(ctx, `SELECT profile, customer_email FROM cases WHERE id = $1`, caseID).
			Scan(&ec.Profile, &customerEmail); err != nil {
			return ec, fmt.Errorf("store.EmailRecipients(%s): %w", caseID, err)
		}
	}
	if audience == "customer" {
		if customerEmail != "" {
			ec.Addresses = []string{customerEmail}
		}
		return ec, nil
	}
	var rows pgx.Rows
	var err error
	if rest, ok := strings.CutPrefix(recipient, "role:"); ok {
		role, team, _ := strings.Cut(rest, "@")
		rows, err = s.Pool.Query(ctx, `SELECT email FROM staff WHERE role = $1 AND ($2 = '' OR team_id = $2) AND active
            AND email <> '' ORDER BY id`, role, team)
	} else {
		rows, err = s.Pool.Query(ctx, `SELECT email FROM staff WHERE id = $1 AND active AND email <> ''`, recipient)
	}
	if err != nil {
		return ec, fmt.Errorf("store.EmailRecipients(%s): %w", caseID, err)
	}
	if ec.Addresses, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return ec, fmt.Errorf("store.EmailRecipients(%s): %w", caseID, err)
	}
	return ec, nil
}

// Delivery is a claimed attempt at one delivery, with the message and its
// case.
type Delivery struct {
	ID                            int64
	Key, CaseID, Channel, Address string
	MessageID                     string
	Attempt                       int
	Audience, Kind, Language      string
	Subject, Body, CaseNumber     string
	// ThreadKey is the key of the case's first message to the same
	// audience, which every later one refers to.
	ThreadKey string
}

// ClaimDeliveries takes up to limit due deliveries for an attempt each:
// queued ones whose time has come, and sending ones whose worker's lease
// ran out (it died mid-send). The attempt is recorded, and the lease
// taken, before anything is sent; concurrent workers skip each other's
// rows. Chat deliveries are left to ClaimChatDeliveries.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	return s.claimDeliveries(ctx, false, limit, lease)
}

// ClaimChatDeliveries is ClaimDeliveries for the chat channel only (the
// chat dispatcher's share of the rows).
func (s *Store) ClaimChatDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	return s.claimDeliveries(ctx, true, limit, lease)
}

func (s *Store) claimDeliveries(ctx context.Context, chat bool, limit int, lease time.Duration) ([]Delivery, error) {
	var out []Delivery
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
WITH due AS (
    SELECT id FROM deliveries
    WHERE status IN ('queued','sending') AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
        AND (channel = 'chat') = $3
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, lease_until = now() + make_interval(secs => $2)
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.idem_key, d.case_id, d.channel, d.address, d.message_id, d.attempts
)
SELECT c.id, c.idem_key, COALESCE(c.case_id::text, ''), c.channel, c.address, c.message_id, c.attempts,
    n.audience, n.kind, n.language, n.subject, n.body, COALESCE(cs.case_number, ''),
    COALESCE((SELECT f.idem_key FROM notifications f WHERE f.case_id = n.case_id AND f.audience = n.audience ORDER BY f.id LIMIT 1), '')
FROM claimed c JOIN notifications n ON n.idem_key = c.idem_key LEFT JOIN cases cs ON cs.id = c.case_id`,
			limit, lease.Seconds(), chat)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
			var d Delivery
			err := r.Scan(&d.ID, &d.Key, &d.CaseID, &d.Channel, &d.Address, &d.MessageID, &d.Attempt,
				&d.Audience, &d.Kind, &d.Language, &d.Subject, &d.Body, &d.CaseNumber, &d.ThreadKey)
			return d, err
		})
		if err != nil {
			return err
		}
		for _, d := range out {
			if _, err := tx.Exec(ctx, `INSERT INTO delivery_attempts (delivery_id, attempt) VALUES ($1, $2)
                ON CONFLICT DO NOTHING`, d.ID, d.Attempt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store.ClaimDeliveries: %w", err)
	}
	return out, nil
}

// AttemptResult is how an attempt ended.
type AttemptResult struct {
	// Result is sent, temporary or permanent.
	Result string
	// Code is the server's reply code (0 when it gave none).
	Code int
	// Detail is a short reason for staff (never the message's content).
	Detail string
	// RetryAt is when a temporary failure is tried again; zero ends the
	// retries and fails the delivery.
	RetryAt time.Time
}

// FinishAttempt records an attempt's end and moves its delivery on: sent,
// queued for RetryAt, or failed. It returns the delivery's new status, or
// "" when the attempt was no longer the delivery's current one (its lease
// ran out and another worker took it), which changes nothing.
func (s *Store) FinishAttempt(ctx context.Context, id int64, attempt int, r AttemptResult) (string, error) {
	status := DeliverySent
	var retryAt *time.Time
	switch {
	case r.Result == "temporary" && !r.RetryAt.IsZero():
		status, retryAt = DeliveryQueued, &r.RetryAt
	case r.Result != "sent":
		status = DeliveryFailed
	}
	var got string
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE delivery_attempts SET finished_at = now(), result = $3, code = NULLIF($4, 0), detail = $5
            WHERE delivery_id = $1 AND attempt = $2`, id, attempt, r.Result, r.Code, r.Detail); err != nil {
			return err
		}
		if status == DeliverySent {
			// A delivery receipt may come before the attempt's end is
			// recorded (the SMS centre answers, then reports at once).
			var receipt string
			if err := tx.QueryRow(ctx, `SELECT receipt FROM delivery_attempts WHERE delivery_id = $1 AND attempt = $2`,
				id, attempt).Scan(&receipt); err != nil {
				return err
			}
			if st := ReceiptStatus(receipt); st != "" {
				status = st
			}
		}
		err := tx.QueryRow(ctx, `UPDATE deliveries SET status = $3, lease_until = NULL, last_error = $4,
            next_attempt_at = COALESCE($5, next_attempt_at), sent_at = CASE WHEN $6 THEN now() ELSE sent_at END
            WHERE id = $1 AND attempts = $2 AND status = 'sending' RETURNING status`, id, attempt, status, r.Detail, retryAt,
			r.Result == "sent").Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			got = ""
			return nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store.FinishAttempt(%d#%d): %w", id, attempt, err)
	}
	return got, nil
}

// MessageDelivery is one channel's delivery of a case message.
type MessageDelivery struct {
	Channel  string     `json:"channel"`
	Status   string     `json:"status"`
	Attempts int        `json:"attempts"`
	SentAt   *time.Time `json:"sent_at,omitempty"`
	// Error is the last failure's short reason (a reply code and text).
	Error string `json:"error,omitempty"`
}

// CaseMessage is a message of a case's timeline with its deliveries: a
// customer's message is always on the tracking page; email (and later
// channels) add a delivery each.
type CaseMessage struct {
	Key        string            `json:"key"`
	Audience   string            `json:"audience"`
	Recipient  string            `json:"recipient,omitempty"`
	Kind       string            `json:"kind"`
	Subject    string            `json:"subject"`
	CreatedAt  time.Time         `json:"created_at"`
	Deliveries []MessageDelivery `json:"deliveries"`
}

// CaseMessages returns every message of a case, in order, with the status
// of each channel it went by.
func (s *Store) CaseMessages(ctx context.Context, caseID string) ([]CaseMessage, error) {
	rows, err := s.Pool.Query(ctx, `
SELECT n.idem_key, n.audience, n.recipient, n.kind, n.subject, n.status, n.created_at, n.sent_at,
    COALESCE(d.channel, ''), COALESCE(d.status, ''), COALESCE(d.attempts, 0), d.sent_at, COALESCE(d.last_error, '')
FROM notifications n LEFT JOIN deliveries d ON d.idem_key = n.idem_key
WHERE n.case_id = $1 ORDER BY n.id, d.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store.CaseMessages(%s): %w", caseID, err)
	}
	defer rows.Close()
	out := []CaseMessage{}
	for rows.Next() {
		var m CaseMessage
		var outbox string
		var outboxSent *time.Time
		var d MessageDelivery
		if err := rows.Scan(&m.Key, &m.Audience, &m.Recipient, &m.Kind, &m.Subject, &outbox, &m.CreatedAt, &outboxSent,
			&d.Channel, &d.Status, &d.Attempts, &d.SentAt, &d.Error); err != nil {
			return nil, fmt.Errorf("store.CaseMessages(%s): %w", caseID, err)
		}
		if n := len(out); n == 0 || out[n-1].Key != m.Key {
			m.Deliveries = []MessageDelivery{}
			if m.Audience == AudienceCustomer && m.Kind != "tracking_link" {
				m.Deliveries = append(m.Deliveries, MessageDelivery{Channel: MessageTrackingPage, Status: outbox, SentAt: outboxSent})
			}
			out = append(out, m)
		}
		if d.Channel != "" {
			last := &out[len(out)-1]
			last.Deliveries = append(last.Deliveries, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.CaseMessages(%s): %w", caseID, err)
	}
	return out, nil
}

// SetStaffEmail sets a staff member's email address (empty clears it).
func (s *Store) SetStaffEmail(ctx context.Context, id, email string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE staff SET email = $2, updated_at = now() WHERE id = $1`, id, email)
	if err != nil {
		return fmt.Errorf("store.SetStaffEmail(%s): %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store.SetStaffEmail(%s): %w", id, ErrNotFound)
	}
	return nil
}
