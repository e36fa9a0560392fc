// Package app wires the system together: it connects to PostgreSQL and
// Temporal, applies migrations, and runs the worker and the API. The
// production binary's api and worker commands, the dev stack
// (internal/devstack, which first starts PostgreSQL and Temporal in the
// process) and the end-to-end tests use it, so what the tests run is what
// production and `make run` run.
package app

import (
	"context"
	"crypto/tls"
	"github.com/complaint-handling/complaints/complaint"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/internal/classify"
	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/mail"
	"github.com/complaint-handling/complaints/internal/store"
)

// Roles of a process.
const (
	RunAPI    = 1 << iota // serve the HTTP API
	RunWorker             // run the Temporal worker
)

// Options say what to run and with which extras.
type Options struct {
	Run int
	// DevSecrets takes the secrets the configuration lacks from
	// DATA_DIR/secrets.json, generating them the first time (the dev
	// stack); without it a missing secret is an error.
	DevSecrets bool
	// Profiles overrides the clock profiles (tests use short clocks).
	Profiles map[string]complaint.Clocks
	// Payments overrides the ledger (tests plug in a provider).
	Payments func(*store.Store) activities.Payments
	// MailTLS overrides the SMTP client's TLS configuration (tests trust
	// their own CA); nil uses the system's roots.
	MailTLS *tls.Config
	// ChatClient overrides the chat dispatcher's HTTP client (tests trust
	// their receivers' certificate with it).
	ChatClient *http.Client
	// Segmenter is the classifier's Chinese segmenter, shared by the
	// caller (tests start many stacks); nil loads one.
	Segmenter *classify.Segmenter
}

// App is a running system.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	Store    *store.Store
	Temporal client.Client
	Registry *prometheus.Registry
	Secrets  Secrets
	APIAddr  string
	DBURL    string
	worker   sdkworker.Worker
	// endpointCodec serves the API's codec endpoint.
	endpointCodec *codec.Codec
	http          *http.Server
	draining      atomic.Bool
	stopOnce      sync.Once
	listener      net.Listener
	closeFns      []func()
	// api is the HTTP API (nil in a worker alone); inbound email files
	// through its intake.
	api *apiserver.Server
	// InboundAddr is where the inbound email listener listens ("" when
	// off).
	InboundAddr string
	// mailMetrics count messages by channel and status (messageMetrics).
	mailMetrics *mail.Metrics
}

// Start brings the system up on the PostgreSQL of cfg.DatabaseURL and the
// Temporal cluster of cfg.TemporalAddress, in the order each part needs
// the one before: the secrets, the database (migrated), the Temporal
// client (namespace ensured), the listener, the worker, the HTTP server.
// On error everything started is stopped.
func Start(ctx context.Context, cfg config.Config, opts Options, logger *slog.Logger) (_ *App, err error) {
	a := &App{Config: cfg, Logger: logger, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.loadSecrets(opts.DevSecrets); err != nil {
		return nil, err
	}
	if err := a.openDatabase(ctx); err != nil {
		return nil, err
	}
	if err := a.dialTemporal(ctx); err != nil {
		return nil, err
	}
	if err := a.listen(opts.Run); err != nil {
		return nil, err
	}
	if opts.Run&RunWorker != 0 {
		if err := a.startWorker(ctx, opts); err != nil {
			return nil, err
		}
	}
	if err := a.serveHTTP(ctx, opts); err != nil {
		return nil, err
	}
	if a.api != nil && cfg.Inbound.Enabled() {
		if err := a.startInbound(ctx); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// closeLater registers fn to run when the app closes (in reverse order of
// registration).
func (a *App) closeLater(fn func()) { a.closeFns = append(a.closeFns, fn) }

// authority is the approval authority (config.Load validated it): the
// worker's cases keep the matrix they are registered under; the API checks
// incident resolutions against it.
func (a *App) authority() complaint.AuthorityMatrix {
	if a.Config.Authority.Limits == nil {
		return complaint.DefaultAuthority()
	}
	return a.Config.Authority
}

// Shutdown stops the process gracefully: /readyz answers 503 for
// SHUTDOWN_DRAIN while everything else is still served (so load balancers
// stop sending requests), then the HTTP server stops accepting and lets
// in-flight requests finish (bounded by ctx), then the worker lets its
// activity attempts in flight finish (bounded by SHUTDOWN_TIMEOUT), then
// Temporal and PostgreSQL stop. Calling it again does nothing.
func (a *App) Shutdown(ctx context.Context) {
	a.stopOnce.Do(func() {
		a.draining.Store(true)
		if a.http != nil {
			select {
			case <-time.After(a.Config.ShutdownDrain):
			case <-ctx.Done():
			}
			if err := a.http.Shutdown(ctx); err != nil {
				a.Logger.Warn("http shutdown", "err", err)
			}
		}
		a.Close()
	})
}

// Close stops everything that was started, in reverse order.
func (a *App) Close() {
	for i := len(a.closeFns) - 1; i >= 0; i-- {
		a.closeFns[i]()
	}
	a.closeFns = nil
}
