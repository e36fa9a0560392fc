package bench

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// ProviderCounts are the payment provider's figures.
type ProviderCounts struct {
	Requests      int `json:"requests"`
	Paid          int `json:"paid"`           // distinct idempotency keys paid
	Repeats       int `json:"repeats"`        // requests for a key already paid (answered 200, not paid again)
	Errors        int `json:"errors_500"`     // answered 500 without paying
	Timeouts      int `json:"timeouts"`       // answered after the client's timeout, without paying
	LateSuccesses int `json:"late_successes"` // paid, answered after the client's timeout
}

// provider is the payment provider's stand-in: an HTTP server that pays
// each idempotency key once and misbehaves at random.
type provider struct {
	url  string
	srv  *http.Server
	slow time.Duration
	mu   sync.Mutex
	rng  *rand.Rand
	paid map[string]providerPayment
	n    ProviderCounts
}

type providerPayment struct {
	CaseID   string `json:"case_id"`
	RemedyID string `json:"remedy_id"`
	Amount   int64  `json:"amount"`
	Kind     string `json:"-"`
}

func startProvider(slow time.Duration, rng *rand.Rand) (*provider, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &provider{url: "http://" + l.Addr().String(), slow: slow, rng: rng, paid: map[string]providerPayment{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /payments", func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, "payout") })
	mux.HandleFunc("POST /reversals", func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, "reversal") })
	p.srv = &http.Server{Handler: mux}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

func (p *provider) serve(w http.ResponseWriter, r *http.Request, kind string) {
	key := r.Header.Get("Idempotency-Key")
	var pay providerPayment
	if err := json.NewDecoder(r.Body).Decode(&pay); err != nil || key == "" {
		http.Error(w, "bad payment", http.StatusBadRequest)
		return
	}
	pay.Kind = kind
	p.mu.Lock()
	p.n.Requests++
	roll := p.rng.Float64()
	// Each misbehaviour happens at least once, early, whatever the dice
	// say (49 requests at 8% roll no 500 about once in 60 runs, and the
	// run would then prove nothing about retries after a 500): the 2nd
	// request answers 500, the 4th times out, the 6th succeeds late.
	switch p.n.Requests {
	case 2:
		roll = 0
	case 4:
		roll = 0.10
	case 6:
		roll = 0.15
	}
	_, done := p.paid[key]
	var payNow, late bool
	switch {
	case roll < 0.08:
		p.n.Errors++
	case roll < 0.13:
		p.n.Timeouts++
		late = true
	case roll < 0.18:
		p.n.LateSuccesses++
		payNow, late = true, true
	default:
		payNow = true
	}
	if payNow {
		if done {
			p.n.Repeats++
		} else {
			p.paid[key] = pay
			p.n.Paid++
		}
	}
	p.mu.Unlock()
	if late {
		select {
		case <-time.After(p.slow):
		case <-r.Context().Done():
		}
	}
	if !payNow {
		http.Error(w, "provider error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (p *provider) counts() ProviderCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *provider) payments() map[string]providerPayment {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.paid)
}

func (p *provider) close() { _ = p.srv.Close() }
