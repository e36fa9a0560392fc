package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ReceiptStatus is the delivery status an SMS delivery receipt's state
// (SMPP 3.4 appendix B) sets: DELIVRD delivered; UNDELIV bounced (the
// network took the message and could not hand it over, as a mail
// bounce); REJECTD, EXPIRED and DELETED failed. Intermediate states
// (ENROUTE, ACCEPTD, UNKNOWN) and "" change nothing ("").
func ReceiptStatus(stat string) string {
	switch stat {
	case "DELIVRD":
		return DeliveryDelivered
	case "UNDELIV":
		return DeliveryBounced
	case "REJECTD", "EXPIRED", "DELETED":
		return DeliveryFailed
	}
	return ""
}

// SetProviderIDs records the ids the provider (the SMS centre) gave an
// attempt's parts, before the attempt's end is recorded, so that a
// receipt arriving at once finds it.
func (s *Store) SetProviderIDs(ctx context.Context, deliveryID int64, attempt int, ids []string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE delivery_attempts SET provider_ids = $3 WHERE delivery_id = $1 AND attempt = $2`,
		deliveryID, attempt, ids); err != nil {
		return fmt.Errorf("store.SetProviderIDs(%d#%d): %w", deliveryID, attempt, err)
	}
	return nil
}

// Receipt is what a delivery receipt changed.
type Receipt struct {
	DeliveryID int64
	Attempt    int
	// Status is the delivery's status after the receipt; Changed is
	// whether the receipt moved it (a repeated receipt, or one for a part
	// after another part's, does not).
	Status  string
	Changed bool
}

// RecordReceipt records a provider's delivery receipt for the attempt
// that holds providerID, and sets its delivery's status (ReceiptStatus)
// once the delivery is sent: a failure (bounced, failed) overrides
// delivered, never the reverse. A receipt for an attempt whose end is not
// recorded yet is applied by FinishAttempt. It returns ErrNotFound for an
// id no attempt holds.
func (s *Store) RecordReceipt(ctx context.Context, channel, providerID, stat string) (Receipt, error) {
	var r Receipt
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE delivery_attempts a SET receipt = $3, receipt_at = now()
    FROM deliveries d WHERE d.id = a.delivery_id AND d.channel = $1 AND a.provider_ids @> ARRAY[$2::text]
    AND a.receipt NOT IN ('UNDELIV','REJECTD','EXPIRED','DELETED')
    RETURNING a.delivery_id, a.attempt, d.status`, channel, providerID, stat).Scan(&r.DeliveryID, &r.Attempt, &r.Status)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		next := ReceiptStatus(stat)
		if next == "" || next == r.Status || (r.Status != DeliverySent && !(r.Status == DeliveryDelivered && next != DeliveryDelivered)) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE deliveries SET status = $2, last_error = $3 WHERE id = $1`,
			r.DeliveryID, next, receiptError(stat)); err != nil {
			return err
		}
		r.Status, r.Changed = next, true
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("store.RecordReceipt(%s %s): %w", channel, providerID, err)
	}
	return r, nil
}

func receiptError(stat string) string {
	if ReceiptStatus(stat) == DeliveryDelivered {
		return ""
	}
	return "delivery receipt: " + stat
}

// QueueFallback queues the customer message of a delivery that failed
// for good (failedID) on another channel, to the customer's address for
// it, when they have one and their preferences allow a fallback; the new
// delivery records the one it stands in for. It reports whether it queued
// one (a second call queues nothing more). messageID is the new
// delivery's Message-ID (email) or "".
func (s *Store) QueueFallback(ctx context.Context, failedID int64, channel, messageID string) (bool, error) {
	var key, caseID, audience, kind string
	err := s.Pool.QueryRow(ctx, `SELECT d.idem_key, COALESCE(d.case_id::text, ''), n.audience, n.kind
    FROM deliveries d JOIN notifications n ON n.idem_key = d.idem_key WHERE d.id = $1`, failedID).
		Scan(&key, &caseID, &audience, &kind)
	if err != nil {
		return false, fmt.Errorf("store.QueueFallback(%d): %w", failedID, err)
	}
	if audience != AudienceCustomer || caseID == "" {
		return false, nil
	}
	c, err := s.CaseContacts(ctx, caseID)
	if err != nil {
		return false, fmt.Errorf("store.QueueFallback(%d): %w", failedID, err)
	}
	addr := c.Address(channel)
	if addr == "" || !c.Preferences.AllowsFallback(kind) {
		return false, nil
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO deliveries (idem_key, case_id, channel, address, message_id, fallback_of)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idem_key, channel, address) DO NOTHING`,
		key, caseID, channel, addr, messageID, failedID)
	if err != nil {
		return false, fmt.Errorf("store.QueueFallback(%d): %w", failedID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeliveryKey is a delivery's notification key.
func (s *Store) DeliveryKey(ctx context.Context, id int64) (string, error) {
	var key string
	if err := s.Pool.QueryRow(ctx, `SELECT idem_key FROM deliveries WHERE id = $1`, id).Scan(&key); err != nil {
		return "", fmt.Errorf("store.DeliveryKey(%d): %w", id, err)
	}
	return key, nil
}
