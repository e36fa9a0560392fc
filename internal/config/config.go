// Package config loads the one configuration of the complaints binaries from
// the environment, with defaults and validation. Every variable is
// documented in the README.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

// WorkerTuning is the Temporal worker's capacity. CacheSize is the
// process-wide sticky workflow cache (cases kept in memory between their
// workflow tasks; SDK default 10,000), the others the concurrent slots and
// pollers of each kind.
type WorkerTuning struct {
	CacheSize       int
	WorkflowTasks   int
	Activities      int
	LocalActivities int
	WorkflowPollers int
	ActivityPollers int
}

// Worker defaults chosen by measurement (BENCHMARKS.md): the SDK's own
// sticky cache of 10,000 cases took the worker past 1 GiB with 10,000
// cases open; 2,000 keeps it bounded, and a case evicted from the cache
// replays its short history (about 60 events) at its next task. Two
// workflow-task pollers (the SDK's default) left new cases' first tasks
// waiting in the server on a busy machine; eight took them as they came.
const (
	DefaultWorkerCacheSize = 2000
	DefaultWorkflowPollers = 8
)

// TLSFiles name the PEM files of a TLS client: its certificate and key
// (mTLS), the CA that signed the server's certificate, and the name
// expected in it (default: TEMPORAL_ADDRESS's host).
type TLSFiles struct {
	CertFile, KeyFile, CAFile, ServerName string
}

// Enabled says any TLS setting is given.
func (t TLSFiles) Enabled() bool {
	return t.CertFile != "" || t.KeyFile != "" || t.CAFile != "" || t.ServerName != ""
}

// Config is every setting the binaries read.
type Config struct {
	// DatabaseURL is the application's PostgreSQL database, as the role
	// the application runs as (one that owns nothing and may only read and
	// append to the audit trail: complaints_app, see migration 00012).
	// Empty in `dev` means: run a private cluster under DataDir.
	DatabaseURL string
	// MigrateDatabaseURL is the same database as the tables' owner, who
	// runs the migrations; empty means DatabaseURL migrates (which then
	// must be the owner, and the audit trail is only as safe as that).
	MigrateDatabaseURL string
	// DataDir holds the dev cluster, its generated secrets and logs.
	DataDir string

	// TemporalAddress is the frontend host:port. Empty in `dev` means: run
	// an embedded Temporal server on the same PostgreSQL.
	TemporalAddress   string
	TemporalNamespace string
	TaskQueue         string
	// TemporalFrontend is where the embedded server listens in `dev`.
	TemporalFrontend string

	// HTTPAddr is the API's listen address; WorkerHTTPAddr the worker's
	// health and metrics address when it runs alone.
	HTTPAddr       string
	WorkerHTTPAddr string
	// PublicBaseURL prefixes tracking and survey links sent to customers.
	PublicBaseURL string

	// JWTSecret signs staff tokens (HS256); in `dev` it is generated once
	// and kept in DataDir when unset.
	JWTSecret string
	// JWTJWKSURL, when set, switches staff tokens to RS256 verified with
	// the identity provider's JSON Web Key Set; JWTIssuer is the expected
	// iss claim (default "complaints", the issuer of minted tokens).
	JWTJWKSURL string
	JWTIssuer  string
	// JWTAudience, when set, is the aud claim every staff token must carry.
	JWTAudience string
	// StaffAutoConfirm confirms staff registered from a token at once
	// (STAFF_AUTO_CONFIRM=on; tests and trials). Off, an admin confirms
	// each new member before cases are assigned to them automatically.
	StaffAutoConfirm bool
	// TeamIsolation keeps agents and supervisors to their team's cases and
	// their own (TEAM_ISOLATION=off lets every handler see every case).
	TeamIsolation bool
	// TokenSecret derives customers' tracking and survey tokens (HMAC);
	// generated in `dev` like JWTSecret. Changing it invalidates links.
	TokenSecret string

	// PayloadKeys are the AES-256 keys of the Temporal payload codec as
	// "id:base64" pairs separated by commas; PayloadKeyID names the one
	// that encrypts (the others still decrypt, for rotation). Generated in
	// `dev` when unset.
	PayloadKeys  string
	PayloadKeyID string
	// PayloadAcceptPlaintext lets the codec decode unencrypted payloads
	// (PAYLOAD_ACCEPT_PLAINTEXT, a migration window; default false: they
	// are refused, because anyone reaching the Temporal frontend could
	// send them).
	PayloadAcceptPlaintext bool

	// DecisionSigningKey signs every update the API (and the worker's
	// incident resolution) sends a case's workflow; workers refuse updates
	// without a valid signature. DecisionSigningKeyPrevious is still
	// accepted by workers during a rotation. DecisionMaxAge is how old a
	// signed decision may be when a worker validates it. Generated in `dev`.
	DecisionSigningKey         string
	DecisionSigningKeyPrevious string
	DecisionMaxAge             time.Duration

	// TemporalTLS is the client side of mTLS to the Temporal frontend
	// (TEMPORAL_TLS_*); empty: plain gRPC.
	TemporalTLS TLSFiles

	// NotifyWebhookURL, when set, receives every notification as JSON (the
	// first real delivery channel); the outbox is written either way.
	NotifyWebhookURL string

	// PaymentsURL, when set, is the payment provider's HTTP API (POST
	// /payments and /reversals with an Idempotency-Key header); every
	// accepted payment is recorded in the ledger too. Empty means the
	// ledger alone records payouts. PaymentsTimeout bounds one call: a
	// call that times out is retried with the same key.
	PaymentsURL     string
	PaymentsTimeout time.Duration

	// PublicRate (requests/s) and PublicBurst limit unauthenticated calls
	// per client address; staff with a valid token are not limited.
	PublicRate  float64
	PublicBurst int
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For and
	// X-Real-IP name the client (the proxy in front of the API). Empty
	// trusts nobody's: the client is the connection's peer, so a caller
	// cannot pick the address the public rate limit counts.
	TrustedProxies []string

	// MaxBodyBytes limits request bodies (413 above it).
	MaxBodyBytes int

	// Authority is the approval authority new cases are registered under:
	// AUTHORITY_MATRIX (JSON, see complaint.AuthorityMatrix; empty means
	// the default) with its base currency (BASE_CURRENCY), the currencies
	// accepted (CURRENCIES) and their rates into the base (CURRENCY_RATES).
	Authority complaint.AuthorityMatrix

	// Spike is the systemic-issue rule (SYSTEMIC_*); SpikeDetector runs
	// the detector workflow (one per namespace and task queue).
	Spike         complaint.SpikeRule
	SpikeDetector bool

	LogLevel string

	// Worker tunes the Temporal worker (WORKER_*; zero takes the SDK's
	// default); DatabaseMaxConns sizes each process's PostgreSQL pool.
	Worker           WorkerTuning
	DatabaseMaxConns int

	// ShutdownTimeout bounds a graceful shutdown: in-flight requests and
	// activity attempts finish within it. ShutdownDrain is how long the
	// process first goes on serving with /readyz answering 503, so a load
	// balancer stops sending it requests (0 in dev).
	ShutdownTimeout time.Duration
	ShutdownDrain   time.Duration
	TemporalTimeout time.Duration

	// ReportZones are the time zones (IANA names) the report summary
	// keeps; a breakdown in another zone reads the case rows.
	// ReportRefresh is how often a worker takes recent case changes into
	// the summary (0, from "off": this process does not refresh it).
	ReportZones   []string
	ReportRefresh time.Duration
}

// Load reads the environment through getenv (os.Getenv in production, a map
// in tests), applies defaults and validates.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:       getenv("DATABASE_URL"),
		DataDir:           or(getenv("DATA_DIR"), ".data"),
		TemporalAddress:   getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace: or(getenv("TEMPORAL_NAMESPACE"), "complaints"),
		TaskQueue:         or(getenv("TEMPORAL_TASK_QUEUE"), "complaints"),
		TemporalFrontend:  or(getenv("TEMPORAL_FRONTEND_ADDR"), "127.0.0.1:7233"),
		HTTPAddr:          or(getenv("HTTP_ADDR"), ":8080"),
		WorkerHTTPAddr:    or(getenv("WORKER_HTTP_ADDR"), ":8081"),
		PublicBaseURL:     getenv("PUBLIC_BASE_URL"),
		JWTSecret:         getenv("JWT_SECRET"),
		TokenSecret:       getenv("TOKEN_SECRET"),
		JWTJWKSURL:        getenv("JWT_JWKS_URL"),
		JWTIssuer:         getenv("JWT_ISSUER"),
		JWTAudience:       getenv("JWT_AUDIENCE"),
		LogLevel:          or(getenv("LOG_LEVEL"), "info"),
		NotifyWebhookURL:  getenv("NOTIFY_WEBHOOK_URL"),
		PaymentsURL:       getenv("PAYMENTS_URL"),
		PayloadKeys:       getenv("PAYLOAD_KEYS"),
		PayloadKeyID:      getenv("PAYLOAD_KEY_ID"),

		DecisionSigningKey:         getenv("DECISION_SIGNING_KEY"),
		DecisionSigningKeyPrevious: getenv("DECISION_SIGNING_KEY_PREVIOUS"),
		TemporalTLS: TLSFiles{CertFile: getenv("TEMPORAL_TLS_CERT"), KeyFile: getenv("TEMPORAL_TLS_KEY"),
			CAFile: getenv("TEMPORAL_TLS_CA"), ServerName: getenv("TEMPORAL_TLS_SERVER_NAME")},
	}
	c.MigrateDatabaseURL = getenv("MIGRATE_DATABASE_URL")
	var errs []error
	var err error
	if c.MaxBodyBytes, err = Int(getenv, "MAX_BODY_BYTES", 128<<10); err != nil || c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("MAX_BODY_BYTES: must be an integer of at least 1024"))
	}
	if c.PublicBurst, err = Int(getenv, "PUBLIC_RATE_BURST", 30); err != nil || c.PublicBurst < 0 {
		errs = append(errs, errors.New("PUBLIC_RATE_BURST: must be a non-negative integer"))
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		_, _, cerr := net.ParseCIDR(p)
		if cerr != nil && net.ParseIP(p) == nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	switch v := getenv("STAFF_AUTO_CONFIRM"); v {
	case "", "off":
	case "on":
		c.StaffAutoConfirm = true
	default:
		errs = append(errs, fmt.Errorf("STAFF_AUTO_CONFIRM: %q must be on or off", v))
	}
	switch v := getenv("TEAM_ISOLATION"); v {
	case "", "on":
		c.TeamIsolation = true
	case "off":
	default:
		errs = append(errs, fmt.Errorf("TEAM_ISOLATION: %q must be on or off", v))
	}
	c.PublicRate = 2
	if v := getenv("PUBLIC_RATE"); v != "" {
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || f < 0 {
			errs = append(errs, errors.New("PUBLIC_RATE: must be a non-negative number of requests per second (0 disables)"))
		}
		c.PublicRate = f
	}
	// Zero takes the SDK's default for the worker's settings.
	for _, v := range []struct {
		name     string
		dst      *int
		def, min int
	}{{"WORKER_CACHE_SIZE", &c.Worker.CacheSize, DefaultWorkerCacheSize, 0}, {"WORKER_WORKFLOW_TASKS", &c.Worker.WorkflowTasks, 0, 0},
		{"WORKER_ACTIVITIES", &c.Worker.Activities, 0, 0}, {"WORKER_LOCAL_ACTIVITIES", &c.Worker.LocalActivities, 0, 0},
		{"WORKER_WORKFLOW_POLLERS", &c.Worker.WorkflowPollers, DefaultWorkflowPollers, 0}, {"WORKER_ACTIVITY_POLLERS", &c.Worker.ActivityPollers, 0, 0},
		{"DATABASE_MAX_CONNS", &c.DatabaseMaxConns, 40, 2}} {
		n, err := Int(getenv, v.name, v.def)
		if err != nil || n < v.min {
			errs = append(errs, fmt.Errorf("%s: %q must be a whole number, at least %d", v.name, getenv(v.name), v.min))
			continue
		}
		*v.dst = n
	}
	if c.ShutdownTimeout, err = duration(getenv, "SHUTDOWN_TIMEOUT", 20*time.Second); err != nil {
		errs = append(errs, err)
	}
	if v := getenv("SHUTDOWN_DRAIN"); v != "" {
		if c.ShutdownDrain, err = time.ParseDuration(v); err != nil || c.ShutdownDrain < 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_DRAIN: %q is not a duration such as 5s (0 for none)", v))
		}
	}
	if c.TemporalTimeout, err = duration(getenv, "TEMPORAL_TIMEOUT", 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	if c.PaymentsTimeout, err = duration(getenv, "PAYMENTS_TIMEOUT", 15*time.Second); err != nil {
		errs = append(errs, err)
	}
	c.Spike = complaint.DefaultSpikeRule()
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"SYSTEMIC_WINDOW", &c.Spike.Window}, {"SYSTEMIC_BASELINE", &c.Spike.Baseline}, {"SYSTEMIC_INTERVAL", &c.Spike.Interval}} {
		if *d.dst, err = duration(getenv, d.name, *d.dst); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Spike.MinCount, err = Int(getenv, "SYSTEMIC_MIN_COUNT", c.Spike.MinCount); err != nil {
		errs = append(errs, errors.New("SYSTEMIC_MIN_COUNT: must be an integer"))
	}
	if v := getenv("SYSTEMIC_FACTOR"); v != "" {
		if c.Spike.Factor, err = strconv.ParseFloat(v, 64); err != nil {
			errs = append(errs, errors.New("SYSTEMIC_FACTOR: must be a number"))
		}
	}
	if v := getenv("SYSTEMIC_DIMENSIONS"); v != "" {
		c.Spike.Dimensions = strings.Split(strings.ReplaceAll(v, " ", ""), ",")
	}
	if err := c.Spike.Validate(); err != nil {
		// The rule names its field; the variable is SYSTEMIC_<FIELD>.
		field, _, _ := strings.Cut(err.Error(), ":")
		errs = append(errs, fmt.Errorf("SYSTEMIC_%s: %w", strings.ToUpper(field), err))
	}
	switch v := or(getenv("SYSTEMIC_DETECTOR"), "on"); v {
	case "on", "off":
		c.SpikeDetector = v == "on"
	default:
		errs = append(errs, fmt.Errorf("SYSTEMIC_DETECTOR: %q is not on or off", v))
	}
	for _, z := range strings.Split(or(getenv("REPORT_ZONES"), "UTC"), ",") {
		z = strings.TrimSpace(z)
		if _, err := time.LoadLocation(z); err != nil || z == "" || z == "Local" {
			errs = append(errs, fmt.Errorf("REPORT_ZONES: %q is not an IANA time zone", z))
			continue
		}
		if !slices.Contains(c.ReportZones, z) {
			c.ReportZones = append(c.ReportZones, z)
		}
	}
	if getenv("REPORT_REFRESH") != "off" {
		if c.ReportRefresh, err = duration(getenv, "REPORT_REFRESH", 5*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	for name, v := range map[string]string{"DATABASE_URL": c.DatabaseURL, "MIGRATE_DATABASE_URL": c.MigrateDatabaseURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql")) {
			errs = append(errs, fmt.Errorf("%s: must be a postgres:// URL", name))
		}
	}
	if c.MigrateDatabaseURL != "" && c.DatabaseURL == "" {
		errs = append(errs, errors.New("MIGRATE_DATABASE_URL: set DATABASE_URL too (the embedded database of `dev` makes its own roles)"))
	}
	if c.Authority, err = authority(getenv); err != nil {
		errs = append(errs, err)
	}
	for name, addr := range map[string]string{"HTTP_ADDR": c.HTTPAddr, "WORKER_HTTP_ADDR": c.WorkerHTTPAddr, "TEMPORAL_FRONTEND_ADDR": c.TemporalFrontend} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", name, addr))
		}
	}
	if c.TemporalAddress != "" {
		if _, _, err := net.SplitHostPort(c.TemporalAddress); err != nil {
			errs = append(errs, fmt.Errorf("TEMPORAL_ADDRESS: %q is not host:port", c.TemporalAddress))
		}
	}
	if c.JWTJWKSURL != "" {
		if u, err := url.Parse(c.JWTJWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("JWT_JWKS_URL: must be an http(s) URL"))
		}
	}
	switch v := or(getenv("PAYLOAD_ACCEPT_PLAINTEXT"), "false"); v {
	case "true", "false":
		c.PayloadAcceptPlaintext = v == "true"
	default:
		errs = append(errs, fmt.Errorf("PAYLOAD_ACCEPT_PLAINTEXT: %q is not true or false", v))
	}
	for name, v := range map[string]string{"DECISION_SIGNING_KEY": c.DecisionSigningKey, "DECISION_SIGNING_KEY_PREVIOUS": c.DecisionSigningKeyPrevious} {
		if v != "" && len(v) < 32 {
			errs = append(errs, fmt.Errorf("%s: must be at least 32 characters", name))
		}
	}
	if c.DecisionMaxAge, err = duration(getenv, "DECISION_MAX_AGE", 5*time.Minute); err != nil {
		errs = append(errs, err)
	}
	if t := c.TemporalTLS; (t.CertFile == "") != (t.KeyFile == "") {
		errs = append(errs, errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: set both or neither"))
	}
	if (c.PayloadKeys == "") != (c.PayloadKeyID == "") {
		errs = append(errs, errors.New("PAYLOAD_KEYS and PAYLOAD_KEY_ID: set both or neither"))
	}
	for name, v := range map[string]string{"NOTIFY_WEBHOOK_URL": c.NotifyWebhookURL, "PAYMENTS_URL": c.PaymentsURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			errs = append(errs, fmt.Errorf("%s: must be an http(s) URL", name))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("JWT_SECRET: must be at least 32 characters"))
	}
	if c.TokenSecret != "" && len(c.TokenSecret) < 32 {
		errs = append(errs, errors.New("TOKEN_SECRET: must be at least 32 characters"))
	}
	if c.PublicBaseURL == "" {
		c.PublicBaseURL = "http://" + DisplayAddr(c.HTTPAddr)
	}
	c.PublicBaseURL = strings.TrimRight(c.PublicBaseURL, "/")
	return c, errors.Join(errs...)
}

// RequireExternal checks what the production `api` and `worker` commands
// need: an existing database and Temporal cluster and a signing secret.
func (c Config) RequireExternal() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL: required (use `complaints dev` for an embedded database)"))
	}
	if c.TemporalAddress == "" {
		errs = append(errs, errors.New("TEMPORAL_ADDRESS: required (use `complaints dev` for an embedded Temporal server)"))
	}
	if c.JWTSecret == "" && c.JWTJWKSURL == "" {
		errs = append(errs, errors.New("JWT_SECRET or JWT_JWKS_URL: required"))
	}
	if c.TokenSecret == "" {
		errs = append(errs, errors.New("TOKEN_SECRET: required"))
	}
	if c.PayloadKeys == "" || c.PayloadKeyID == "" {
		errs = append(errs, errors.New("PAYLOAD_KEYS and PAYLOAD_KEY_ID: required (customers' personal data is encrypted in Temporal's history)"))
	}
	if c.DecisionSigningKey == "" {
		errs = append(errs, errors.New("DECISION_SIGNING_KEY: required (workers accept only decisions the API signed)"))
	}
	return errors.Join(errs...)
}

// authority reads AUTHORITY_MATRIX, BASE_CURRENCY, CURRENCIES and
// CURRENCY_RATES into one validated matrix.
func authority(getenv func(string) string) (complaint.AuthorityMatrix, error) {
	m := complaint.DefaultAuthority()
	if v := getenv("AUTHORITY_MATRIX"); v != "" {
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		m = complaint.AuthorityMatrix{}
		if err := dec.Decode(&m); err != nil {
			return m, fmt.Errorf("AUTHORITY_MATRIX: %w", err)
		}
	}
	if m.Currency == "" || getenv("BASE_CURRENCY") != "" {
		m.Currency = strings.ToUpper(or(getenv("BASE_CURRENCY"), complaint.LegacyCurrency))
	}
	if _, ok := complaint.MinorUnits(m.Currency); !ok {
		return m, fmt.Errorf("BASE_CURRENCY: %q is not an ISO 4217 code of %s", m.Currency, strings.Join(complaint.SupportedCurrencies(), ", "))
	}
	rates := map[string]string{}
	for _, kv := range strings.Split(getenv("CURRENCY_RATES"), ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		code, rate, _ := strings.Cut(kv, "=")
		code = strings.ToUpper(strings.TrimSpace(code))
		if _, err := complaint.ParseRate(strings.TrimSpace(rate)); err != nil {
			return m, fmt.Errorf("CURRENCY_RATES: %s: %w (write CODE=value of one unit in %s, e.g. JPY=0.0478)", code, err, m.Currency)
		}
		rates[code] = strings.TrimSpace(rate)
	}
	var errs []error
	for _, code := range strings.Split(or(getenv("CURRENCIES"), m.Currency), ",") {
		code = strings.ToUpper(strings.TrimSpace(code))
		switch _, known := complaint.MinorUnits(code); {
		case !known:
			errs = append(errs, fmt.Errorf("CURRENCIES: %q is not an ISO 4217 code of %s", code, strings.Join(complaint.SupportedCurrencies(), ", ")))
		case code == m.Currency:
		case rates[code] == "":
			errs = append(errs, fmt.Errorf("CURRENCY_RATES: %s is in CURRENCIES and needs a rate into %s", code, m.Currency))
		default:
			if m.Rates == nil {
				m.Rates = map[string]string{}
			}
			m.Rates[code] = rates[code]
		}
	}
	for _, code := range slices.Sorted(maps.Keys(rates)) {
		if _, listed := m.Rates[code]; !listed {
			errs = append(errs, fmt.Errorf("CURRENCY_RATES: %s is not in CURRENCIES", code))
		}
	}
	if len(errs) > 0 {
		return m, errors.Join(errs...)
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("AUTHORITY_MATRIX: %w", err)
	}
	return m, nil
}

// String prints the configuration with secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("database=%s temporal=%s namespace=%s queue=%s http=%s jwt_secret=%s token_secret=%s",
		redactURL(c.DatabaseURL), or(c.TemporalAddress, "(embedded)"), c.TemporalNamespace, c.TaskQueue,
		c.HTTPAddr, redacted(c.JWTSecret), redacted(c.TokenSecret)) + " payload_keys=" + redacted(c.PayloadKeys) +
		" decision_signing_key=" + redacted(c.DecisionSigningKey)
}

// DisplayAddr turns a listen address into one a person can open.
func DisplayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func redacted(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(set)"
}

func redactURL(s string) string {
	if s == "" {
		return "(embedded)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s: %q is not a positive duration such as 20s", name, v)
	}
	return d, nil
}

// Int reads an integer variable (helper for later settings).
func Int(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, fmt.Errorf("%s: %q is not an integer", name, v)
	}
	return n, nil
}
