package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// Payment is one money movement of a remedy.
type Payment struct {
	IdempotencyKey string `json:"idempotency_key"`
	CaseID         string `json:"case_id"`
	RemedyID       string `json:"remedy_id"`
	Type           string `json:"type"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
}

// ErrPaymentDeclined means the provider refused the payment for good;
// retrying will not help.
var ErrPaymentDeclined = errors.New("payment declined")

// Payments moves money. Pay and Reverse must be idempotent by the
// payment's IdempotencyKey: calling twice pays once. They return
// ErrPaymentDeclined (wrapped) for a refusal that retrying cannot change;
// any other error is retried.
type Payments interface {
	Pay(ctx context.Context, p Payment) error
	Reverse(ctx context.Context, p Payment) error
}

// LedgerPayments is the default Payments: a ledger table in PostgreSQL
// whose unique idempotency key makes a retried payment a no-op.
type LedgerPayments struct {
	Store *store.Store
}

// checkCurrency refuses, for good, a payment in a code that is not an ISO
// 4217 currency this system supports (XXX, ZZZ): whatever let it through,
// it is not money anyone can pay.
// The case's authority matrix decides which of the supported currencies
// it accepts, when the remedy is proposed.
func checkCurrency(p Payment) error {
	if _, ok := complaint.MinorUnits(p.Currency); !ok {
		return fmt.Errorf("payments: %w: %q is not a supported ISO 4217 currency", ErrPaymentDeclined, p.Currency)
	}
	return nil
}

// Pay records the payout.
func (l LedgerPayments) Pay(ctx context.Context, p Payment) error {
	if err := checkCurrency(p); err != nil {
		return err
	}
	_, err := l.Store.InsertLedger(ctx, store.LedgerEntry{IdempotencyKey: p.IdempotencyKey, CaseID: p.CaseID,
		RemedyID: p.RemedyID, Kind: "payout", RemedyType: p.Type, Amount: p.Amount, Currency: p.Currency})
	return err
}

// Reverse records the reversal of a payout.
func (l LedgerPayments) Reverse(ctx context.Context, p Payment) error {
	_, err := l.Store.InsertLedger(ctx, store.LedgerEntry{IdempotencyKey: p.IdempotencyKey, CaseID: p.CaseID,
		RemedyID: p.RemedyID, Kind: "reversal", RemedyType: p.Type, Amount: p.Amount, Currency: p.Currency})
	return err
}

// HTTPPayments sends payments to a provider's HTTP API with the
// idempotency key in the Idempotency-Key header, and records each accepted
// payment in the ledger too, so the two can be reconciled. A call that
// times out or fails is retried by the activity with the same key: the
// provider pays a key once, and answers a repeat with 2xx or 409. Client's
// timeout bounds each call (15 s when Client is nil).
type HTTPPayments struct {
	BaseURL string
	Client  *http.Client
	Ledger  LedgerPayments
}

// Pay posts the payment to {BaseURL}/payments.
func (h HTTPPayments) Pay(ctx context.Context, p Payment) error {
	if err := checkCurrency(p); err != nil {
		return err
	}
	if err := h.post(ctx, "/payments", p); err != nil {
		return err
	}
	return h.Ledger.Pay(ctx, p)
}

// Reverse posts the reversal to {BaseURL}/reversals.
func (h HTTPPayments) Reverse(ctx context.Context, p Payment) error {
	if err := h.post(ctx, "/reversals", p); err != nil {
		return err
	}
	return h.Ledger.Reverse(ctx, p)
}

func (h HTTPPayments) post(ctx context.Context, path string, p Payment) error {
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("payments: marshal: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("payments: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", p.IdempotencyKey)
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("payments: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300, resp.StatusCode == http.StatusConflict:
		// 409: the provider already has this idempotency key.
		return nil
	case resp.StatusCode == http.StatusUnprocessableEntity || resp.StatusCode == http.StatusPaymentRequired:
		return fmt.Errorf("payments: POST %s: %w (status %d)", path, ErrPaymentDeclined, resp.StatusCode)
	default:
		return fmt.Errorf("payments: POST %s: status %d", path, resp.StatusCode)
	}
}
