package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/activities"
	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/internal/attachments"
	"github.com/complaint-handling/complaints/internal/auth"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/obs"
)

// listen opens the HTTP listener before anything is served: with HTTP_ADDR
// on port 0 the links sent to customers (by the worker too) use the port
// chosen. A process that runs only the worker listens on WORKER_HTTP_ADDR.
func (a *App) listen(run int) error {
	addr := a.Config.HTTPAddr
	if run&RunAPI == 0 {
		addr = a.Config.WorkerHTTPAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	a.listener = l
	// Closed by the HTTP server's shutdown, or here if the start fails
	// before it serves.
	a.closeLater(func() { _ = l.Close() })
	a.APIAddr = l.Addr().String()
	if strings.HasSuffix(a.Config.PublicBaseURL, ":0") {
		// HTTP_ADDR asked for any free port: links use the one chosen.
		a.Config.PublicBaseURL = "http://" + config.DisplayAddr(a.APIAddr)
	}
	return nil
}

// serveHTTP serves the API (or, in a worker alone, its health checks and
// metrics) on the listener.
func (a *App) serveHTTP(ctx context.Context, opts Options) error {
	cfg := a.Config
	var handler http.Handler
	if opts.Run&RunAPI != 0 {
		// With email on, what the API queues itself (a tracking link sent
		// again) is emailed too; the workers' dispatchers send it.
		var apiNotifier activities.Notifier
		if cfg.Mail.Enabled() || cfg.SMS.Enabled() {
			profiles := opts.Profiles
			if profiles == nil {
				profiles = complaint.Profiles()
			}
			var err error
			if apiNotifier, _, err = a.startMail(ctx, a.Store, activities.OutboxNotifier{Store: a.Store, Logger: a.Logger}, profiles, opts.MailTLS, nil); err != nil {
				return err
			}
		}
		for _, w := range cfg.Warnings() {
			a.Logger.Warn("unsafe setting", "warning", w)
		}
		verifier := auth.Verifier{Secret: []byte(a.Secrets.JWT), Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
		if cfg.JWTJWKSURL != "" {
			verifier.JWKS = &auth.JWKS{URL: cfg.JWTJWKSURL}
		}
		files, err := a.attachmentService(cfg)
		if err != nil {
			return err
		}
		classifier, err := a.classifier(ctx, opts)
		if err != nil {
			return err
		}
		api, err := apiserver.New(a.Temporal, a.Store, verifier, apiserver.Config{
			TaskQueue: cfg.TaskQueue, PublicBaseURL: cfg.PublicBaseURL, TokenSecret: []byte(a.Secrets.Token),
			TemporalTimeout: cfg.TemporalTimeout, PublicRate: cfg.PublicRate, PublicBurst: cfg.PublicBurst,
			TrustedProxies: cfg.TrustedProxies,
			MaxBodyBytes:   int64(cfg.MaxBodyBytes), Authority: a.authority(), StaffAutoConfirm: cfg.StaffAutoConfirm,
			TeamIsolation: cfg.TeamIsolation, Notifier: apiNotifier,
			PayloadCodec: a.endpointCodec, Namespace: cfg.TemporalNamespace, CodecOrigins: cfg.CodecOrigins,
			TemporalUIURL: cfg.TemporalUIURL, ChatSealer: a.chatSealer(), ChatWebhookHosts: cfg.Chat.WebhookHosts,
			Attachments: files,
			Classifier:  classifier,
		}, a.Logger, a.Registry)
		if err != nil {
			return err
		}
		a.api, handler = api, api.Handler()
		a.closeLater(newKeyPruner(a.Store, time.Hour, a.Logger, a.Registry).start(context.WithoutCancel(ctx)))
		// The open-case gauges come from PostgreSQL; the API (one or more
		// instances) reports them, the workers report their own activity.
		a.Registry.MustRegister(obs.NewCaseCollector(a.Store))
	} else {
		handler = apiserver.HealthHandler(a.Temporal, a.Store, a.Registry)
	}
	a.http = &http.Server{Handler: a.drainable(handler), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: writeTimeout(cfg.TemporalTimeout), IdleTimeout: 120 * time.Second}
	go func() {
		if err := a.http.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("http server", "err", err)
		}
	}()
	return nil
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

// writeTimeout is how long the HTTP server gives a handler to answer: a
// minute, and always longer than TEMPORAL_TIMEOUT, so a call Temporal does
// not finish in time is answered (503, "temporarily unavailable") before
// the server drops the connection.
func writeTimeout(temporal time.Duration) time.Duration {
	return max(60*time.Second, temporal+15*time.Second)
}

// attachmentService is the attachments' service on the application's
// PostgreSQL, scanning with clamd when CLAMD_ADDR is set.
func (a *App) attachmentService(cfg config.Config) (*attachments.Service, error) {
	ac := cfg.Attachments
	var scanner attachments.Scanner
	if ac.ClamdAddr != "" {
		network, addr, err := attachments.ParseClamdAddr(ac.ClamdAddr)
		if err != nil {
			return nil, fmt.Errorf("CLAMD_ADDR: %w", err)
		}
		scanner = attachments.Clamd{Network: network, Address: addr, Timeout: ac.ClamdTimeout}
	}
	return attachments.NewService(attachments.Postgres{Pool: a.Store.Pool}, scanner,
		attachments.Limits{MaxBytes: ac.MaxBytes, CaseMaxBytes: ac.CaseMaxBytes, MaxFiles: ac.MaxFiles}, a.Logger), nil
}
