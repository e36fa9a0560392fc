// Package obs holds observability plumbing shared by the binaries.
package obs

import (
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// LongBuckets returns histogram buckets that reach weeks, because complaint
// clocks run for days: the tally reporter's defaults stop at 10 s (a new
// slice each call).
func LongBuckets() []float64 {
	return []float64{
		.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
		4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400,
	}
}

// TemporalMetricsHandler feeds the Temporal SDK's metrics (task latencies,
// failures, slots, sticky cache) and the workflow's own replay-safe metrics
// into reg, through the SDK's tally bridge. Close the returned closer on
// shutdown to flush.
func TemporalMetricsHandler(reg *prometheus.Registry) (client.MetricsHandler, io.Closer) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              reg,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: LongBuckets(),
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), closer
}
