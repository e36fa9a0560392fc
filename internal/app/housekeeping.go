package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/internal/store"
)

// keyPruner deletes Idempotency-Keys older than their retention
// (store.IdempotencyKeyRetention) every interval, in batches, so the
// table holds about a week of keys rather than every key ever sent. Every
// API process runs one; two at once only share the work.
type keyPruner struct {
	store    *store.Store
	interval time.Duration
	batch    int
	logger   *slog.Logger
	pruned   prometheus.Counter
	failures prometheus.Counter
}

func newKeyPruner(st *store.Store, interval time.Duration, logger *slog.Logger, reg prometheus.Registerer) *keyPruner {
	p := &keyPruner{store: st, interval: interval, batch: 10000, logger: logger.With("component", "idempotency-keys"),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{Name: "complaints_idempotency_keys_pruned_total",
			Help: "Idempotency-Keys deleted after their retention."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "complaints_idempotency_keys_prune_failures_total",
			Help: "Rounds of deleting old Idempotency-Keys that failed (the next round takes their keys)."}),
	}
	reg.MustRegister(p.pruned, p.failures)
	return p
}

// start prunes at once and then every interval until ctx ends; the
// returned function cancels and waits for a round in flight.
func (p *keyPruner) start(ctx context.Context) (stop func()) { return every(ctx, p.interval, p.prune) }

// prune deletes batches until a batch comes back short.
func (p *keyPruner) prune(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := p.store.PruneIdempotencyKeys(ctx, p.batch)
		if err != nil {
			if ctx.Err() == nil {
				p.failures.Inc()
				p.logger.Warn("prune failed", "err", err)
			}
			return
		}
		p.pruned.Add(float64(n))
		if n < int64(p.batch) {
			return
		}
	}
}

// every runs fn at once and then every interval until ctx ends, in one
// goroutine; the returned function cancels and waits for a run in flight.
// The background duties of a process (the report summary's refresher, the
// idempotency-key pruner) run on it.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fn(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
