package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"

	"github.com/complaint-handling/complaints/internal/codec"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/obs"
	"github.com/complaint-handling/complaints/internal/temporalns"
	"github.com/complaint-handling/complaints/workflows"
)

// dialTemporal connects the Temporal client to TEMPORAL_ADDRESS with the
// payload codec, TLS, metrics and the decision-signing interceptor, and
// makes sure the namespace and its search attributes exist.
func (a *App) dialTemporal(ctx context.Context) error {
	cfg := a.Config
	hostPort := cfg.TemporalAddress
	if hostPort == "" {
		return errors.New("TEMPORAL_ADDRESS is required")
	}
	keys, err := codec.ParseKeys(a.Secrets.PayloadKeys)
	if err != nil {
		return fmt.Errorf("PAYLOAD_KEYS: %w", err)
	}
	payloadCodec, err := codec.New(a.Secrets.PayloadKeyID, keys, codec.Options{
		AcceptPlaintext: cfg.PayloadAcceptPlaintext, Metrics: codec.NewMetrics(a.Registry)})
	if err != nil {
		return fmt.Errorf("PAYLOAD_KEYS: %w", err)
	}
	// The API's codec endpoint (POST /codec/decode) has its own codec,
	// which counts no refusals: a bad payload an engineer sends is not an
	// attack on the workers.
	if a.endpointCodec, err = codec.New(a.Secrets.PayloadKeyID, keys); err != nil {
		return fmt.Errorf("PAYLOAD_KEYS: %w", err)
	}
	if cfg.PayloadAcceptPlaintext {
		a.Logger.Error("PAYLOAD_ACCEPT_PLAINTEXT=true: unencrypted Temporal payloads are accepted; anyone who reaches the Temporal frontend can send this process plaintext. " +
			"Use it only to drain cases started before the payload codec, watch complaints_codec_plaintext_accepted_total, and turn it off")
	}
	tlsConfig, err := clientTLS(cfg.TemporalTLS, hostPort)
	if err != nil {
		return err
	}
	metricsHandler, metricsCloser := obs.TemporalMetricsHandler(a.Registry)
	a.closeLater(func() { _ = metricsCloser.Close() })
	tc, err := client.DialContext(ctx, client.Options{
		HostPort: hostPort, Namespace: cfg.TemporalNamespace, MetricsHandler: metricsHandler,
		DataConverter:     payloadCodec.DataConverter(),
		Logger:            tlog.NewStructuredLogger(a.Logger.With("component", "temporal-sdk")),
		ConnectionOptions: client.ConnectionOptions{TLS: tlsConfig},
		// Every update leaves signed with the actor of its context.
		Interceptors: []interceptor.ClientInterceptor{envelope.ClientInterceptor(envelope.Signer{Key: []byte(a.Secrets.Decision), Now: time.Now})},
	})
	if err != nil {
		return fmt.Errorf("temporal dial %s: %w", hostPort, err)
	}
	a.Temporal = tc
	a.closeLater(tc.Close)
	return temporalns.Ensure(ctx, tc, cfg.TemporalNamespace, 7*24*time.Hour, workflows.SearchAttributeTypes())
}
