// Package temporalserver runs a Temporal server inside this process,
// persisting into PostgreSQL: one database for history and one for
// visibility, their schemas created or upgraded at start with the server's
// own embedded schema packages. It is what `complaints-dev dev` and the
// integration tests use when no TEMPORAL_ADDRESS is given.
package temporalserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"

	"github.com/complaint-handling/complaints/internal/temporalns"
)

// Options configures the embedded server.
type Options struct {
	// DatabaseURL points at the PostgreSQL server (any database on it; the
	// user must be able to create databases the first time).
	DatabaseURL string
	// HistoryDB and VisibilityDB name the two databases Temporal uses.
	HistoryDB    string
	VisibilityDB string
	// FrontendAddress is host:port for the frontend gRPC service; port 0
	// picks a free one.
	FrontendAddress string
	// Namespace is registered after start, with Retention.
	Namespace string
	Retention time.Duration
	// SearchAttributes are the custom search attributes to register.
	SearchAttributes map[string]enumspb.IndexedValueType
	// HistoryShards is fixed for the life of the databases.
	HistoryShards int32
	// LogFile receives the server's logs; empty means stderr at warn level.
	LogFile  string
	LogLevel string
	// DynamicConfig overrides dynamic config values (tuning).
	DynamicConfig dynamicconfig.StaticClient
	// MaxConns is each persistence store's connection pool (default 20).
	MaxConns int
	// TLS, when set, makes every gRPC port (the frontend and between the
	// server's own services) speak TLS and require a client certificate
	// signed by TLS.CAFile: only the API and the workers, holding one,
	// reach the frontend.
	TLS *TLS
}

// TLS names the PEM files of the server's mutual TLS. The certificate is
// the server's for every service and, for the server's own calls between
// its services, its client certificate too (so it must allow both uses).
// ServerName is the name the server's clients expect in it (default: the
// frontend address's host).
type TLS struct {
	CertFile, KeyFile, CAFile, ServerName string
}

// ClientConfig is the TLS configuration of a client of the server: the
// server's own certificate (a client one for this server's own use) and
// its CA.
func (t *TLS) ClientConfig(serverName string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("temporalserver: TLS certificate: %w", err)
	}
	ca, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("temporalserver: TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("temporalserver: TLS CA %s holds no certificate", t.CAFile)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: serverName}, nil
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
	opts     Options
	// metricsAddr serves the server's own Prometheus metrics.
	metricsAddr string
}

// Start sets up the schema, starts the server, and registers the namespace
// and search attributes.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.HistoryDB == "" {
		opts.HistoryDB = "temporal"
	}
	if opts.VisibilityDB == "" {
		opts.VisibilityDB = "temporal_visibility"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Retention == 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.HistoryShards == 0 {
		opts.HistoryShards = 4
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	if opts.FrontendAddress == "" {
		opts.FrontendAddress = "127.0.0.1:0"
	}
	logger := tlog.NewZapLogger(tlog.BuildZapLogger(tlog.Config{
		Level:      opts.LogLevel,
		Format:     "json",
		Stdout:     opts.LogFile == "",
		OutputFile: opts.LogFile,
	}))

	base, err := sqlConfig(opts.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if opts.MaxConns > 0 {
		base.MaxConns, base.MaxIdleConns = opts.MaxConns, opts.MaxConns
	}
	history := base
	history.DatabaseName = opts.HistoryDB
	visibility := base
	visibility.DatabaseName = opts.VisibilityDB
	if err := setupSchema(&history, "postgresql/v12/temporal", logger); err != nil {
		return nil, err
	}
	if err := setupSchema(&visibility, "postgresql/v12/visibility", logger); err != nil {
		return nil, err
	}

	if err := forgetPreviousMembers(ctx, opts.DatabaseURL, opts.HistoryDB); err != nil {
		return nil, err
	}

	host, portStr, err := net.SplitHostPort(opts.FrontendAddress)
	if err != nil {
		return nil, fmt.Errorf("temporalserver: frontend address %q: %w", opts.FrontendAddress, err)
	}
	frontendPort, _ := strconv.Atoi(portStr)
	ports, err := freePorts(host, 9)
	if err != nil {
		return nil, err
	}
	if frontendPort == 0 {
		frontendPort = ports[8]
	}
	hostPort := net.JoinHostPort(host, strconv.Itoa(frontendPort))

	cfg := &config.Config{}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host}
	metricsAddr := net.JoinHostPort(host, strconv.Itoa(ports[6]))
	cfg.Global.Metrics = &metrics.Config{Prometheus: &metrics.PrometheusConfig{ListenAddress: metricsAddr, HandlerPath: "/metrics"}}
	cfg.Persistence = config.Persistence{
		DefaultStore:     "history",
		VisibilityStore:  "visibility",
		NumHistoryShards: opts.HistoryShards,
		DataStores: map[string]config.DataStore{
			"history":    {SQL: &history},
			"visibility": {SQL: &visibility},
		},
	}
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{
			"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
		},
	}
	cfg.DCRedirectionPolicy = config.DCRedirectionPolicy{Policy: "noop"}
	svc := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: host}}
	}
	cfg.Services = map[string]config.Service{
		"frontend": svc(frontendPort, ports[0]),
		"history":  svc(ports[1], ports[2]),
		"matching": svc(ports[3], ports[4]),
		"worker":   svc(ports[5], ports[7]),
	}
	cfg.Archival = config.Archival{
		History:    config.HistoryArchival{State: "disabled"},
		Visibility: config.VisibilityArchival{State: "disabled"},
	}
	cfg.NamespaceDefaults = config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
		History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
		Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
	}}
	cfg.PublicClient = config.PublicClient{HostPort: hostPort}
	if t := opts.TLS; t != nil {
		if t.ServerName == "" {
			t.ServerName = host
		}
		server := config.ServerTLS{CertFile: t.CertFile, KeyFile: t.KeyFile, ClientCAFiles: []string{t.CAFile}, RequireClientAuth: true}
		clientTLS := config.ClientTLS{ServerName: t.ServerName, RootCAFiles: []string{t.CAFile}}
		cfg.Global.TLS = config.RootTLS{
			Internode:    config.GroupTLS{Server: server, Client: clientTLS},
			Frontend:     config.GroupTLS{Server: server, Client: clientTLS},
			SystemWorker: config.WorkerTLS{CertFile: t.CertFile, KeyFile: t.KeyFile, Client: clientTLS},
		}
	}

	dc := DynamicConfig()
	for k, v := range opts.DynamicConfig {
		dc[k] = v
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("temporalserver: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("temporalserver: start: %w", err)
	}
	s := &Server{srv: srv, hostPort: hostPort, opts: opts, metricsAddr: metricsAddr}
	if err := s.registerNamespace(ctx); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// HostPort is the frontend's address.
func (s *Server) HostPort() string { return s.hostPort }

// MetricsAddr is host:port of the server's own Prometheus metrics
// (/metrics): persistence latency and errors, shard movements, task queue
// backlog, schedule-to-start latency (docs/engineers.md).
func (s *Server) MetricsAddr() string { return s.metricsAddr }

// Namespace is the registered namespace.
func (s *Server) Namespace() string { return s.opts.Namespace }

// Stop shuts the server down.
func (s *Server) Stop() error { return s.srv.Stop() }

func (s *Server) registerNamespace(ctx context.Context) error {
	o := client.Options{HostPort: s.hostPort, Namespace: s.opts.Namespace, Logger: quietLogger{}}
	if s.opts.TLS != nil {
		tc, err := s.opts.TLS.ClientConfig(s.opts.TLS.ServerName)
		if err != nil {
			return err
		}
		o.ConnectionOptions.TLS = tc
	}
	c, err := client.Dial(o)
	if err != nil {
		return fmt.Errorf("temporalserver: dial %s: %w", s.hostPort, err)
	}
	defer c.Close()
	return EnsureNamespace(ctx, c, s.opts.Namespace, s.opts.Retention, s.opts.SearchAttributes)
}

// EnsureNamespace is temporalns.Ensure, kept for the callers of this
// package.
func EnsureNamespace(ctx context.Context, c client.Client, namespace string, retention time.Duration, attrs map[string]enumspb.IndexedValueType) error {
	return temporalns.Ensure(ctx, c, namespace, retention, attrs)
}

// sqlConfig turns a postgres:// URL into Temporal's SQL config for the pgx plugin.
func sqlConfig(databaseURL string) (config.SQL, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return config.SQL{}, errors.New("temporalserver: DATABASE_URL must be a postgres:// URL")
	}
	pw, _ := u.User.Password()
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	attrs := map[string]string{}
	if m := u.Query().Get("sslmode"); m != "" {
		attrs["sslmode"] = m
	}
	return config.SQL{
		PluginName:        postgresql.PluginNamePGX,
		User:              u.User.Username(),
		Password:          pw,
		ConnectAddr:       host,
		ConnectProtocol:   "tcp",
		ConnectAttributes: attrs,
		MaxConns:          20,
		MaxIdleConns:      20,
		MaxConnLifetime:   time.Hour,
	}, nil
}

// setupSchema creates the database if needed, then brings its schema to the
// newest version shipped in the server module.
func setupSchema(cfg *config.SQL, schemaName string, logger tlog.Logger) error {
	c := *cfg
	if err := sqltool.DoCreateDatabase(&c, "postgres", logger); err != nil && !isDuplicateDatabase(err) {
		return fmt.Errorf("temporalserver: create database %s: %w", cfg.DatabaseName, err)
	}
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("temporalserver: connect %s: %w", cfg.DatabaseName, err)
	}
	defer conn.Close()
	if _, err := conn.ReadSchemaVersion(); err != nil {
		// No schema_version table yet: a fresh database.
		setup := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger)
		if err := setup.Run(); err != nil {
			return fmt.Errorf("temporalserver: setup schema %s: %w", cfg.DatabaseName, err)
		}
	}
	update := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger)
	if err := update.Run(); err != nil {
		return fmt.Errorf("temporalserver: update schema %s: %w", cfg.DatabaseName, err)
	}
	return nil
}

// forgetPreviousMembers removes the cluster membership rows left by an
// earlier run of this embedded server. The embedded server is the only
// member of its cluster, so every row is from a process that is gone; after
// a kill -9 those rows would otherwise make the new process wait for the
// dead hosts to be declared unreachable (measured: about 50 s before the
// first workflow task was served) instead of owning every shard at once.
func forgetPreviousMembers(ctx context.Context, databaseURL, historyDB string) error {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("temporalserver: database url: %w", err)
	}
	u.Path = "/" + historyDB
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("temporalserver: connect %s: %w", historyDB, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM cluster_membership`); err != nil {
		return fmt.Errorf("temporalserver: clear cluster_membership: %w", err)
	}
	return nil
}

func isDuplicateDatabase(err error) bool {
	return err != nil && strings.Contains(err.Error(), "already exists")
}

// freePorts finds n free TCP ports on host below 32768: Temporal stores
// membership ports in a PostgreSQL smallint, so the kernel's ephemeral
// range (above 32767 on Linux) cannot be used.
func freePorts(host string, n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 2000 {
			return nil, fmt.Errorf("temporalserver: no free ports below 32768 on %s", host)
		}
		p := 20000 + mrand.IntN(12000)
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, p)
	}
	return ports, nil
}

// quietLogger drops the SDK client's logs during registration.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// DynamicConfig is the server's tuning, the same in the Compose topology
// (deploy/compose/temporal/dynamicconfig.yaml; a test keeps them equal).
// One task-queue partition: a task queue's tasks and its pollers meet in
// one partition. With the default four, a task written to a partition
// without a waiting poller waits to be forwarded, and new cases' first
// workflow tasks queued (measured: 110-270 ms schedule-to-start at 32
// concurrent complaints; BENCHMARKS.md).
func DynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
}
