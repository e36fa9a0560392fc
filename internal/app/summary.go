package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/internal/store"
)

// summaryRefresher takes case changes into the report summary every
// interval (store.RefreshSummary). Every worker process runs one; the
// store's lock lets one refresh run at a time. Reports are exact whether
// or not it keeps up: days it has not taken in yet are read from the case
// rows, which is slower, so its backlog and failures are metrics.
type summaryRefresher struct {
	store    *store.Store
	zones    []string
	interval time.Duration
	logger   *slog.Logger

	seconds  prometheus.Histogram
	days     prometheus.Counter
	failures prometheus.Counter
	last     prometheus.Gauge
}

func newSummaryRefresher(st *store.Store, zones []string, interval time.Duration, logger *slog.Logger, reg prometheus.Registerer) *summaryRefresher {
	r := &summaryRefresher{store: st, zones: zones, interval: interval, logger: logger.With("component", "report-summary"),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "complaints_report_summary_refresh_seconds",
			Help:    "Time of one refresh of the report summary (taking in changed days, building new zones).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}}),
		days: prometheus.NewCounter(prometheus.CounterOpts{Name: "complaints_report_summary_days_rebuilt_total",
			Help: "Local days of the report summary rebuilt from changed cases, over all zones."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "complaints_report_summary_refresh_failures_total",
			Help: "Refreshes of the report summary that failed (the next one takes their changes)."}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{Name: "complaints_report_summary_last_refresh_timestamp_seconds",
			Help: "When this process last refreshed the report summary, or found another process at it (Unix time)."}),
	}
	reg.MustRegister(r.seconds, r.days, r.failures, r.last)
	return r
}

// start refreshes at once and then every interval until ctx ends; the
// returned function cancels and waits for a refresh in flight.
func (r *summaryRefresher) start(ctx context.Context) (stop func()) {
	return every(ctx, r.interval, r.refresh)
}

func (r *summaryRefresher) refresh(ctx context.Context) {
	res, err := r.store.RefreshSummary(ctx, r.zones)
	if err != nil {
		if ctx.Err() == nil {
			r.failures.Inc()
			r.logger.Warn("refresh failed", "err", err)
		}
		return
	}
	r.last.SetToCurrentTime()
	if res.Skipped {
		return
	}
	r.seconds.Observe(res.Took.Seconds())
	r.days.Add(float64(res.Days))
	if len(res.Built) > 0 {
		r.logger.Info("summary built", "zones", res.Built, "took", res.Took.Round(time.Millisecond))
	}
}
