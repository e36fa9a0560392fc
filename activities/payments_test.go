package activities_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/workflows"
)

// TestPaymentsRefuseWhatIsNotMoney pays remedies in codes that are not
// currencies (ZZZ does not exist, XXX is ISO 4217's "no currency"): the
// ledger and the provider are never asked, and the activity fails for good
// instead of paying; JPY and KWD, real currencies, are paid as given.
func TestPaymentsRefuseWhatIsNotMoney(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	id := "21111111-2222-4333-8444-5555555555aa"
	if _, err := st.InsertCase(ctx, store.NewCase{Complaint: complaint.Complaint{CaseID: id, Customer: complaint.Customer{ID: "c"}, Channel: "web",
		Subject: "s", Description: "d", Language: "en", ReceivedAt: time.Now()}, WorkflowID: "w", TokenHash: []byte("h"), Profile: "default",
		Classification: complaint.Classification{Category: "other", Severity: "low", Priority: 4}}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	t.Cleanup(provider.Close)
	ledger := activities.LedgerPayments{Store: st}
	for _, tc := range []struct {
		currency string
		amount   int64
		paid     bool
	}{
		{"ZZZ", 1000, false},
		{"XXX", 1000, false},
		{"cny", 1000, false},
		{"", 1000, false},
		{"JPY", 100000, true},
		{"KWD", 1234, true},
	} {
		for name, p := range map[string]activities.Payments{"ledger": ledger, "http": activities.HTTPPayments{BaseURL: provider.URL, Ledger: ledger}} {
			t.Run(tc.currency+"/"+name, func(t *testing.T) {
				before := calls.Load()
				a := &activities.Activities{Store: st, Payments: p}
				rem := complaint.Remedy{ID: "r-" + tc.currency + name, Type: complaint.RemedyRefund, Amount: tc.amount, Currency: tc.currency}
				err := a.ExecuteRemedy(ctx, workflows.RemedyInput{CaseID: id, Remedy: rem, IdempotencyKey: id + ":" + rem.ID})
				var n int
				_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM ledger WHERE idempotency_key = $1 AND currency = $2 AND amount_minor = $3`,
					id+":"+rem.ID, tc.currency, tc.amount).Scan(&n)
				if tc.paid {
					if err != nil || n != 1 {
						t.Errorf("pay %d %s: %v, ledger rows %d; want paid once", tc.amount, tc.currency, err, n)
					}
					return
				}
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || !appErr.NonRetryable() || !errors.Is(err, activities.ErrPaymentDeclined) || n != 0 || calls.Load() != before {
					t.Errorf("pay %d %q: %v, ledger rows %d, provider calls %d; want a non-retryable refusal and nothing paid", tc.amount, tc.currency, err, n, calls.Load()-before)
				}
			})
		}
	}
}
