package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Inbound mail statuses (inbound_mails.status): received until processed,
// failed when its retries ran out.
const (
	InboundReceived  = "received"
	InboundProcessed = "processed"
	InboundFailed    = "failed"
)

// InboundMail is an email the listener accepted, as recorded.
type InboundMail struct {
	ID int64
	// DedupeKey is "mid:" and the Message-ID, or "sha256:" and the digest
	// of the bytes of a mail without one.
	DedupeKey, MessageID string
	// MailFrom is the envelope's reverse path ("" for <>).
	MailFrom string
	RcptTo   []string
	Raw      []byte
	Attempts int
}

// RecordInboundMail keeps an accepted mail, once per dedupe key, and
// reports whether it is new (false: the same mail again, already kept).
func (s *Store) RecordInboundMail(ctx context.Context, m InboundMail) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `INSERT INTO inbound_mails (dedupe_key, message_id, mail_from, rcpt_to, raw)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING`, m.DedupeKey, m.MessageID, m.MailFrom, m.RcptTo, m.Raw)
	if err != nil {
		return false, fmt.Errorf("store.RecordInboundMail(%s): %w", m.DedupeKey, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ClaimInboundMails takes up to limit received mails that are due, each
// under a lease (a processor that dies lets another take it after it);
// concurrent processors skip each other's rows.
func (s *Store) ClaimInboundMails(ctx context.Context, limit int, lease time.Duration) ([]InboundMail, error) {
	rows, err := s.Pool.Query(ctx, `
WITH due AS (
    SELECT id FROM inbound_mails
    WHERE status = 'received' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
)
UPDATE inbound_mails m SET attempts = m.attempts + 1, lease_until = now() + make_interval(secs => $2)
FROM due WHERE m.id = due.id
RETURNING m.id, m.dedupe_key, m.message_id, m.mail_from, m.rcpt_to, m.raw, m.attempts`, limit, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("store.ClaimInboundMails: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InboundMail, error) {
		var m InboundMail
		err := r.Scan(&m.ID, &m.DedupeKey, &m.MessageID, &m.MailFrom, &m.RcptTo, &m.Raw, &m.Attempts)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.ClaimInboundMails: %w", err)
	}
	return out, nil
}

// InboundResult is what processing a mail did.
type InboundResult struct {
	// Outcome is one of the inbound outcomes (inbound.Outcomes); CaseID
	// the case it went to ("" for none); Detail why it was rejected or
	// ignored.
	Outcome, CaseID, Detail string
	// From, Subject and Body are the parsed sender, subject and own text.
	From, Subject, Body string
}

// FinishInboundMail records what processing a mail did.
func (s *Store) FinishInboundMail(ctx context.Context, id int64, r InboundResult) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE inbound_mails SET status = 'processed', outcome = $2, case_id = NULLIF($3, '')::uuid,
        last_error = $4, from_address = $5, subject = $6, body = $7, lease_until = NULL, processed_at = now() WHERE id = $1`,
		id, r.Outcome, r.CaseID, r.Detail, r.From, r.Subject, r.Body); err != nil {
		return fmt.Errorf("store.FinishInboundMail(%d): %w", id, err)
	}
	return nil
}

// RetryInboundMail records a failed attempt at processing a mail: it is
// taken again at next, or, with giveUp, left failed for a person.
func (s *Store) RetryInboundMail(ctx context.Context, id int64, cause string, next time.Time, giveUp bool) error {
	status := InboundReceived
	if giveUp {
		status = InboundFailed
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE inbound_mails SET status = $2, last_error = $3, next_attempt_at = $4, lease_until = NULL
        WHERE id = $1`, id, status, cause, next); err != nil {
		return fmt.Errorf("store.RetryInboundMail(%d): %w", id, err)
	}
	return nil
}

// InboundMailState is a recorded mail's processing state.
type InboundMailState struct {
	Status, Outcome, CaseID, LastError string
	Attempts                           int
	From, Subject, Body                string
}

// InboundMailByMessageID returns the state of the mail with a Message-ID,
// or ErrNotFound.
func (s *Store) InboundMailByMessageID(ctx context.Context, messageID string) (InboundMailState, error) {
	var st InboundMailState
	err := s.Pool.QueryRow(ctx, `SELECT status, outcome, COALESCE(case_id::text, ''), last_error, attempts, from_address, subject, body
        FROM inbound_mails WHERE dedupe_key = $1`, "mid:"+messageID).
		Scan(&st.Status, &st.Outcome, &st.CaseID, &st.LastError, &st.Attempts, &st.From, &st.Subject, &st.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("store.InboundMailByMessageID(%s): %w", messageID, ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("store.InboundMailByMessageID(%s): %w", messageID, err)
	}
	return st, nil
}

// CaseForMessageIDs returns the case of the latest of the messages named
// by their Message-IDs: one we sent (a delivery) or one we received on a
// case; ErrNotFound when none is known.
func (s *Store) CaseForMessageIDs(ctx context.Context, ids []string) (string, error) {
	if len(ids) == 0 {
		return "", fmt.Errorf("store.CaseForMessageIDs: %w", ErrNotFound)
	}
	var caseID string
	err := s.Pool.QueryRow(ctx, `
SELECT case_id::text FROM (
    SELECT case_id, created_at AS at FROM deliveries WHERE message_id = ANY($1) AND case_id IS NOT NULL
    UNION ALL
    SELECT case_id, received_at FROM inbound_mails WHERE message_id = ANY($1) AND case_id IS NOT NULL
) m ORDER BY at DESC LIMIT 1`, ids).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store.CaseForMessageIDs: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store.CaseForMessageIDs: %w", err)
	}
	return caseID, nil
}

// GetCaseByNumber returns the case with a case number, or ErrNotFound.
func (s *Store) GetCaseByNumber(ctx context.Context, number string) (Case, error) {
	c, err := scanCase(s.Pool.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE case_number = $1`, number))
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, fmt.Errorf("store.GetCaseByNumber(%s): %w", number, ErrNotFound)
	}
	if err != nil {
		return Case{}, fmt.Errorf("store.GetCaseByNumber(%s): %w", number, err)
	}
	return c, nil
}

// MarkDeliveriesBounced marks the email deliveries with these Message-IDs
// bounced (a delivery status notification reported them undeliverable
// after the server had accepted them), and returns the ids of those that
// changed (a report read twice changes nothing the second time).
func (s *Store) MarkDeliveriesBounced(ctx context.Context, messageIDs []string, detail string) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, `UPDATE deliveries SET status = 'bounced', last_error = $2, lease_until = NULL
        WHERE message_id = ANY($1) AND channel = 'email' AND status <> 'bounced' RETURNING id`, messageIDs, detail)
	if err != nil {
		return nil, fmt.Errorf("store.MarkDeliveriesBounced: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store.MarkDeliveriesBounced: %w", err)
	}
	return ids, nil
}
