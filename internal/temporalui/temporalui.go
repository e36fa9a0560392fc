// Package temporalui serves the Temporal Web UI in-process for the dev
// stack, as Temporal's own CLI dev server does: the UI server
// (github.com/temporalio/ui-server/v2) with its built assets, on its own
// port, bound to loopback by default, pointed at the Temporal frontend and
// at the API's codec endpoint, so an engineer sees the workflows' payloads
// decrypted (docs/engineers.md).
//
// Only the dev stack imports this package: the production api and worker
// binaries do not link the UI.
package temporalui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/server_options"
)

// Options configure the UI server.
type Options struct {
	// Addr is host:port to listen on; port 0 picks a free one. Default
	// 127.0.0.1:8233.
	Addr string
	// TemporalAddress is the Temporal frontend's gRPC host:port.
	TemporalAddress string
	// Namespace opens first.
	Namespace string
	// CodecEndpoint is the API's codec endpoint (".../codec"); the UI
	// posts to CodecEndpoint+"/decode" with credentials (the codec cookie).
	CodecEndpoint string
}

// Server is a running UI server.
type Server struct {
	srv *uiserver.Server
	url string
}

// Start serves the UI and waits until it answers. The UI's write actions
// (terminate, cancel, signal, reset, update, start) are disabled: staff act
// on cases through the API, whose decisions the workers verify.
func Start(ctx context.Context, opts Options) (_ *Server, err error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8233"
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("temporalui: address %q: %w", opts.Addr, err)
	}
	// The UI server exits the process when it cannot listen, so the
	// address is tried here first (and a free port chosen for port 0).
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("temporalui: listen %s: %w", opts.Addr, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cfg := &uiconfig.Config{
		TemporalGRPCAddress: opts.TemporalAddress,
		Host:                host,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		HideLogs:            true,
		DisableWriteActions: true,
		DisableNewsFetch:    true,
		Distribution:        "complaints-dev",
		// The CSRF cookie travels over plain HTTP on loopback.
		CORS:  uiconfig.CORS{CookieInsecure: true},
		Codec: uiconfig.Codec{Endpoint: opts.CodecEndpoint, IncludeCredentials: true},
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("temporalui: %w", err)
	}
	defer func() {
		// The UI server panics on a configuration it cannot use.
		if r := recover(); r != nil {
			err = fmt.Errorf("temporalui: %v", r)
		}
	}()
	s := &Server{srv: uiserver.NewServer(server_options.WithConfigProvider(cfg)), url: "http://" + displayHost(host) + ":" + strconv.Itoa(port)}
	go func() { _ = s.srv.Start() }()
	deadline := time.Now().Add(15 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Stop()
			return nil, errors.Join(errors.New("temporalui: the UI server did not answer within 15 s"), err, ctx.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is the UI's base URL. A loopback address is named localhost, the
// host the API's links use, so the UI and the codec endpoint are the same
// site and the browser sends the codec cookie.
func (s *Server) URL() string { return s.url }

// Stop closes the UI server.
func (s *Server) Stop() { s.srv.Stop() }

func displayHost(host string) string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		return "localhost"
	}
	return host
}

// URLFor is the UI's base URL for a listen address, before the UI starts
// (port 0 has none yet: "").
func URLFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" {
		return ""
	}
	return "http://" + displayHost(host) + ":" + port
}
