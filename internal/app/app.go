// Package app wires the system together: it starts (or connects to)
// PostgreSQL and Temporal, applies migrations, and runs the worker and the
// API. The `complaints` binary's subcommands and the end-to-end tests use
// it, so what the tests run is what `make run` runs.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/obs"
	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/temporalserver"
	"github.com/complaint-handling/complaints/worker"
	"github.com/complaint-handling/complaints/workflows"
)

// Roles of a process.
const (
	RunAPI    = 1 << iota // serve the HTTP API
	RunWorker             // run the Temporal worker
)

// Options say what to run and with which extras.
type Options struct {
	Run int
	// Embedded starts PostgreSQL and Temporal when the config has no
	// DATABASE_URL / TEMPORAL_ADDRESS (the `dev` command).
	Embedded bool
	// Profiles overrides the clock profiles (tests use short clocks).
	Profiles map[string]complaint.Clocks
	// Payments overrides the ledger (tests plug in a provider).
	Payments func(*store.Store) activities.Payments
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
	PG       *pgserver.Server
	TServer  *temporalserver.Server
	worker   sdkworker.Worker
	http     *http.Server
	draining atomic.Bool
	stopOnce sync.Once
	listener net.Listener
	closeFns []func()
}

// Secrets are the signing secrets; in dev they are generated once and kept
// in DATA_DIR/secrets.json (mode 0600).
type Secrets struct {
	JWT   string `json:"jwt_secret"`
	Token string `json:"token_secret"`
	// PayloadKeys and PayloadKeyID configure the payload codec.
	PayloadKeys  string `json:"payload_keys"`
	PayloadKeyID string `json:"payload_key_id"`
	// Decision signs the envelope of every update (DECISION_SIGNING_KEY).
	Decision string `json:"decision_signing_key"`
}

// Start brings the system up. On error everything started is stopped.
func Start(ctx context.Context, cfg config.Config, opts Options, logger *slog.Logger) (_ *App, err error) {
	a := &App{Config: cfg, Logger: logger, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.loadSecrets(opts.Embedded); err != nil {
		return nil, err
	}

	a.DBURL = cfg.DatabaseURL
	migrateURL := cfg.MigrateDatabaseURL
	if a.DBURL == "" {
		if !opts.Embedded {
			return nil, errors.New("DATABASE_URL is required")
		}
		pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(cfg.DataDir, "postgres"), Logger: logger})
		if err != nil {
			return nil, err
		}
		a.PG = pg
		a.closeFns = append(a.closeFns, func() {
			if err := pg.Stop(); err != nil {
				logger.Warn("stop postgres", "err", err)
			}
		})
		if err := pg.EnsureDatabase(ctx, "complaints"); err != nil {
			return nil, err
		}
		// The superuser owns the tables and migrates; the application
		// runs as the role that may only read and append to the trail.
		if err := pg.EnsureAppRole(ctx); err != nil {
			return nil, err
		}
		migrateURL, a.DBURL = pg.URL("complaints"), pg.AppURL("complaints")
	}
	if migrateURL != "" {
		if err := migrateAs(ctx, migrateURL); err != nil {
			return nil, err
		}
	} else {
		logger.Warn("MIGRATE_DATABASE_URL is not set: migrating as DATABASE_URL's role, which must then own the tables; run the application as a role that cannot rewrite the audit trail (README: Money and the audit trail)")
	}
	st, err := store.Open(ctx, a.DBURL, int32(cfg.DatabaseMaxConns))
	if err != nil {
		return nil, err
	}
	a.Store = st
	a.closeFns = append(a.closeFns, st.Close)
	if migrateURL == "" {
		if err := store.Migrate(ctx, st.Pool); err != nil {
			return nil, err
		}
	}

	hostPort := cfg.TemporalAddress
	if hostPort == "" {
		if !opts.Embedded || a.PG == nil {
			return nil, errors.New("TEMPORAL_ADDRESS is required")
		}
		ts, err := temporalserver.Start(ctx, temporalserver.Options{
			DatabaseURL: a.PG.URL("postgres"), FrontendAddress: cfg.TemporalFrontend, Namespace: cfg.TemporalNamespace,
			SearchAttributes: workflows.SearchAttributeTypes(), LogFile: filepath.Join(cfg.DataDir, "temporal.log"),
		})
		if err != nil {
			return nil, err
		}
		a.TServer = ts
		a.closeFns = append(a.closeFns, func() {
			if err := ts.Stop(); err != nil {
				logger.Warn("stop temporal", "err", err)
			}
		})
		hostPort = ts.HostPort()
	}
	keys, err := codec.ParseKeys(a.Secrets.PayloadKeys)
	if err != nil {
		return nil, fmt.Errorf("PAYLOAD_KEYS: %w", err)
	}
	payloadCodec, err := codec.New(a.Secrets.PayloadKeyID, keys, codec.Options{
		AcceptPlaintext: cfg.PayloadAcceptPlaintext, Metrics: codec.NewMetrics(a.Registry)})
	if err != nil {
		return nil, fmt.Errorf("PAYLOAD_KEYS: %w", err)
	}
	if cfg.PayloadAcceptPlaintext {
		logger.Error("PAYLOAD_ACCEPT_PLAINTEXT=true: unencrypted Temporal payloads are accepted; anyone who reaches the Temporal frontend can send this process plaintext. " +
			"Use it only to drain cases started before the payload codec, watch complaints_codec_plaintext_accepted_total, and turn it off")
	}
	tlsConfig, err := clientTLS(cfg.TemporalTLS, hostPort)
	if err != nil {
		return nil, err
	}
	metricsHandler, metricsCloser := obs.TemporalMetricsHandler(a.Registry)
	a.closeFns = append(a.closeFns, func() { _ = metricsCloser.Close() })
	tc, err := client.DialContext(ctx, client.Options{
		HostPort: hostPort, Namespace: cfg.TemporalNamespace, MetricsHandler: metricsHandler,
		DataConverter:     payloadCodec.DataConverter(),
		Logger:            tlog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
		ConnectionOptions: client.ConnectionOptions{TLS: tlsConfig},
		// Every update leaves signed with the actor of its context.
		Interceptors: []interceptor.ClientInterceptor{envelope.ClientInterceptor(envelope.Signer{Key: []byte(a.Secrets.Decision), Now: time.Now})},
	})
	if err != nil {
		return nil, fmt.Errorf("temporal dial %s: %w", hostPort, err)
	}
	a.Temporal = tc
	a.closeFns = append(a.closeFns, tc.Close)
	if a.TServer == nil {
		// An external cluster: make sure the namespace and attributes exist.
		if err := temporalserver.EnsureNamespace(ctx, tc, cfg.TemporalNamespace, 7*24*time.Hour, workflows.SearchAttributeTypes()); err != nil {
			return nil, err
		}
	}

	// The listener first: with HTTP_ADDR on port 0 the links sent to
	// customers (by the worker too) use the port chosen.
	addr := cfg.HTTPAddr
	if opts.Run&RunAPI == 0 {
		addr = cfg.WorkerHTTPAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	a.listener = l
	a.APIAddr = l.Addr().String()
	if strings.HasSuffix(cfg.PublicBaseURL, ":0") {
		// HTTP_ADDR asked for any free port: links use the one chosen.
		cfg.PublicBaseURL = "http://" + config.DisplayAddr(a.APIAddr)
		a.Config.PublicBaseURL = cfg.PublicBaseURL
	}

	// The approval authority (config.Load validated it): the worker's
	// cases keep the matrix they are registered under; the API checks
	// incident resolutions against it.
	authority := cfg.Authority
	if authority.Limits == nil {
		authority = complaint.DefaultAuthority()
	}
	if opts.Run&RunWorker != 0 {
		profiles := opts.Profiles
		if profiles == nil {
			profiles = complaint.Profiles()
		}
		var payments activities.Payments = activities.LedgerPayments{Store: st}
		if cfg.PaymentsURL != "" {
			payments = activities.HTTPPayments{BaseURL: strings.TrimRight(cfg.PaymentsURL, "/"),
				Client: &http.Client{Timeout: cfg.PaymentsTimeout}, Ledger: activities.LedgerPayments{Store: st}}
		}
		if opts.Payments != nil {
			payments = opts.Payments(st)
		}
		var notifier activities.Notifier = activities.OutboxNotifier{Store: st, Logger: logger}
		if cfg.NotifyWebhookURL != "" {
			notifier = activities.WebhookNotifier{URL: cfg.NotifyWebhookURL, Next: activities.OutboxNotifier{Store: st, Logger: logger}}
		}
		acts := &activities.Activities{Store: st, Payments: payments, Notifier: notifier,
			Profiles: profiles, Authority: authority, TokenSecret: []byte(a.Secrets.Token), Logger: logger, Spike: cfg.Spike, Temporal: tc,
			PublicBaseURL: cfg.PublicBaseURL}
		a.worker = worker.New(tc, cfg.TaskQueue, acts, worker.Options{
			CacheSize: cfg.Worker.CacheSize, MaxConcurrentWorkflowTasks: cfg.Worker.WorkflowTasks,
			MaxConcurrentActivities: cfg.Worker.Activities, MaxConcurrentLocalActivities: cfg.Worker.LocalActivities,
			WorkflowPollers: cfg.Worker.WorkflowPollers, ActivityPollers: cfg.Worker.ActivityPollers,
			StopTimeout: cfg.ShutdownTimeout,
			Decisions:   a.decisionVerifier(), DecisionMetrics: envelope.NewMetrics(a.Registry),
		})
		if err := a.worker.Start(); err != nil {
			return nil, fmt.Errorf("worker start: %w", err)
		}
		a.closeFns = append(a.closeFns, a.worker.Stop)
		if cfg.ReportRefresh > 0 {
			stop := newSummaryRefresher(st, cfg.ReportZones, cfg.ReportRefresh, logger, a.Registry).start(context.WithoutCancel(ctx))
			a.closeFns = append(a.closeFns, stop)
		}
		if cfg.SpikeDetector {
			if err := startDetector(ctx, tc, cfg.TaskQueue); err != nil {
				return nil, err
			}
		}
	}

	var handler http.Handler
	if opts.Run&RunAPI != 0 {
		verifier := auth.Verifier{Secret: []byte(a.Secrets.JWT), Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
		if cfg.JWTJWKSURL != "" {
			verifier.JWKS = &auth.JWKS{URL: cfg.JWTJWKSURL}
		}
		api, err := apiserver.New(tc, st, verifier, apiserver.Config{
			TaskQueue: cfg.TaskQueue, PublicBaseURL: cfg.PublicBaseURL, TokenSecret: []byte(a.Secrets.Token),
			TemporalTimeout: cfg.TemporalTimeout, PublicRate: cfg.PublicRate, PublicBurst: cfg.PublicBurst,
			TrustedProxies: cfg.TrustedProxies,
			MaxBodyBytes:   int64(cfg.MaxBodyBytes), Authority: authority, StaffAutoConfirm: cfg.StaffAutoConfirm,
			TeamIsolation: cfg.TeamIsolation,
		}, logger, a.Registry)
		if err != nil {
			return nil, err
		}
		handler = api.Handler()
		a.closeFns = append(a.closeFns, newKeyPruner(st, time.Hour, logger, a.Registry).start(context.WithoutCancel(ctx)))
		// The open-case gauges come from PostgreSQL; the API (one or more
		// instances) reports them, the workers report their own activity.
		a.Registry.MustRegister(obs.NewCaseCollector(st))
	} else {
		handler = apiserver.HealthHandler(tc, st, a.Registry)
	}
	a.http = &http.Server{Handler: a.drainable(handler), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: writeTimeout(cfg.TemporalTimeout), IdleTimeout: 120 * time.Second}
	go func() {
		if err := a.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server", "err", err)
		}
	}()
	return a, nil
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

// drainable answers /readyz with 503 once a shutdown has begun.
func (a *App) drainable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" && a.draining.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"draining"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Close stops everything that was started, in reverse order.
func (a *App) Close() {
	for i := len(a.closeFns) - 1; i >= 0; i-- {
		a.closeFns[i]()
	}
	a.closeFns = nil
}

// decisionVerifier checks envelopes signed with DECISION_SIGNING_KEY or,
// during a rotation, DECISION_SIGNING_KEY_PREVIOUS.
func (a *App) decisionVerifier() envelope.Verifier {
	v := envelope.Verifier{Keys: [][]byte{[]byte(a.Secrets.Decision)}, MaxAge: a.Config.DecisionMaxAge,
		Skew: worker.DefaultDecisionSkew, Now: time.Now}
	if k := a.Config.DecisionSigningKeyPrevious; k != "" {
		v.Keys = append(v.Keys, []byte(k))
	}
	return v
}

func (a *App) loadSecrets(embedded bool) error {
	a.Secrets = Secrets{JWT: a.Config.JWTSecret, Token: a.Config.TokenSecret, PayloadKeys: a.Config.PayloadKeys, PayloadKeyID: a.Config.PayloadKeyID,
		Decision: a.Config.DecisionSigningKey}
	if (a.Secrets.JWT != "" || a.Config.JWTJWKSURL != "") && a.Secrets.Token != "" && a.Secrets.PayloadKeys != "" && a.Secrets.Decision != "" {
		return nil
	}
	if !embedded {
		return errors.New("JWT_SECRET, TOKEN_SECRET, PAYLOAD_KEYS, PAYLOAD_KEY_ID and DECISION_SIGNING_KEY are required")
	}
	stored, err := ReadSecrets(a.Config.DataDir)
	if err != nil {
		return err
	}
	if a.Secrets.JWT == "" {
		a.Secrets.JWT = stored.JWT
	}
	if a.Secrets.Token == "" {
		a.Secrets.Token = stored.Token
	}
	if a.Secrets.PayloadKeys == "" {
		a.Secrets.PayloadKeys, a.Secrets.PayloadKeyID = stored.PayloadKeys, stored.PayloadKeyID
	}
	if a.Secrets.Decision == "" {
		a.Secrets.Decision = stored.Decision
	}
	return nil
}

// ReadSecrets returns the dev secrets kept in dir/secrets.json, creating
// them (mode 0600) the first time.
func ReadSecrets(dir string) (Secrets, error) {
	path := filepath.Join(dir, "secrets.json")
	var stored Secrets
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &stored); err != nil {
			return Secrets{}, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if stored.JWT != "" && stored.Token != "" && stored.PayloadKeys != "" && stored.Decision != "" {
		return stored, nil
	}
	if stored.Decision == "" {
		stored.Decision = randomHex(32)
	}
	if stored.PayloadKeys == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		stored.PayloadKeyID = "dev1"
		stored.PayloadKeys = "dev1:" + base64.StdEncoding.EncodeToString(k)
	}
	if stored.JWT == "" {
		stored.JWT = randomHex(32)
	}
	if stored.Token == "" {
		stored.Token = randomHex(32)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Secrets{}, err
	}
	b, _ := json.MarshalIndent(stored, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return Secrets{}, fmt.Errorf("write %s: %w", path, err)
	}
	return stored, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// migrateAs applies the migrations over a short-lived connection as the
// owner (MIGRATE_DATABASE_URL).
func migrateAs(ctx context.Context, ownerURL string) error {
	owner, err := store.Open(ctx, ownerURL, 2)
	if err != nil {
		return fmt.Errorf("MIGRATE_DATABASE_URL: %w", err)
	}
	defer owner.Close()
	return store.Migrate(ctx, owner.Pool)
}

// startDetector starts the systemic-issue detector of the task queue, or
// leaves the one already running (every worker process asks; one runs).
func startDetector(ctx context.Context, tc client.Client, taskQueue string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DetectorWorkflowID + ":" + taskQueue, TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.DetectorWorkflowName)
	if err != nil {
		return fmt.Errorf("start the systemic-issue detector: %w", err)
	}
	return nil
}

// writeTimeout is how long the HTTP server gives a handler to answer: a
// minute, and always longer than TEMPORAL_TIMEOUT, so a call Temporal does
// not finish in time is answered (503, "temporarily unavailable") before
// the server drops the connection.
func writeTimeout(temporal time.Duration) time.Duration {
	return max(60*time.Second, temporal+15*time.Second)
}
