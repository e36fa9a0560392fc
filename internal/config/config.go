// Package config loads the one configuration of the complaints binaries from
// the environment, with defaults and validation. Every variable is
// documented in the README.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

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

	// Mail is outbound email (SMTP_URL, MAIL_FROM, SEND_WINDOW, MAIL_*).
	Mail Mail
	// SMS configures texts to customers over SMPP (docs/channels.md).
	SMS SMS
	// Inbound is inbound email (INBOUND_*, SUPPORT_ADDRESS).
	Inbound Inbound
	// Chat is the posting of staff notifications to chat bots (CHAT_*).
	Chat Chat

	// Attachments are the limits on files attached to cases and the
	// optional virus scanner (ATTACHMENT_*, CLAMD_*).
	Attachments Attachments

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

	// Engineers' tools (docs/engineers.md). TemporalUIAddr is where the dev
	// stack serves the Temporal Web UI ("off": not at all); TemporalUIURL
	// is the UI's base URL that engineers' case pages link to (in dev, the
	// served UI's when unset); CodecOrigins are the browser origins (the
	// UI's) allowed to call the API's codec endpoint.
	TemporalUIAddr string
	TemporalUIURL  string
	CodecOrigins   []string

	// Classifier is how the API classifies new complaints (CLASSIFIER,
	// CLASSIFIER_TAXONOMY_TTL; docs/classification.md).
	Classifier Classifier
}

// Load reads the environment through getenv (os.Getenv in production, a map
// in tests), applies defaults and validates. Each topic's loader reads its
// settings and returns its problems; Load reports every bad setting at
// once, each naming its variable.
func Load(getenv func(string) string) (Config, error) {
	c := Config{LogLevel: or(getenv("LOG_LEVEL"), "info")}
	var errs []error
	for _, load := range []func(func(string) string, *Config) []error{
		loadDatabase, loadTemporal, loadHTTP, loadStaff, loadOutbound, loadMailSettings, loadSMSSettings, loadInboundSettings, loadChatSettings, loadSystemic, loadReports, loadCurrency, loadAttachments,
		func(getenv func(string) string, c *Config) []error { return c.loadEngineerTools(getenv) },
		loadClassifier,
	} {
		errs = append(errs, load(getenv, &c)...)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	return c, errors.Join(errs...)
}

// RequireExternal checks what the production `api` and `worker` commands
// need: an existing database and Temporal cluster and a signing secret.
func (c Config) RequireExternal() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL: required (`make run`, i.e. `complaints-dev dev`, runs an embedded database)"))
	}
	if c.TemporalAddress == "" {
		errs = append(errs, errors.New("TEMPORAL_ADDRESS: required (`make run`, i.e. `complaints-dev dev`, runs an embedded Temporal server)"))
	}
	if c.JWTSecret == "" && c.JWTJWKSURL == "" {
		errs = append(errs, errors.New("JWT_SECRET or JWT_JWKS_URL: required"))
	}
	if w := c.jwksAudienceWarning(); w != "" {
		errs = append(errs, errors.New(w))
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

// DefaultTemporalUIAddr is where the dev stack serves the Temporal Web UI.
const DefaultTemporalUIAddr = "127.0.0.1:8233"

// loadEngineerTools reads TEMPORAL_UI_ADDR, TEMPORAL_UI_URL and
// CODEC_ALLOWED_ORIGINS (default: the origin of TEMPORAL_UI_URL, else the
// dev UI's, http://localhost:8233).
func (c *Config) loadEngineerTools(getenv func(string) string) []error {
	var errs []error
	c.TemporalUIAddr = or(getenv("TEMPORAL_UI_ADDR"), DefaultTemporalUIAddr)
	if c.TemporalUIAddr != "off" {
		if _, _, err := net.SplitHostPort(c.TemporalUIAddr); err != nil {
			errs = append(errs, fmt.Errorf("TEMPORAL_UI_ADDR: %q is not host:port or off", c.TemporalUIAddr))
		}
	}
	c.TemporalUIURL = strings.TrimRight(getenv("TEMPORAL_UI_URL"), "/")
	if c.TemporalUIURL != "" {
		if _, err := origin(c.TemporalUIURL); err != nil {
			errs = append(errs, fmt.Errorf("TEMPORAL_UI_URL: %w", err))
		}
	}
	origins := getenv("CODEC_ALLOWED_ORIGINS")
	if origins == "" {
		origins = "http://localhost:8233"
		if o, err := origin(c.TemporalUIURL); err == nil && c.TemporalUIURL != "" {
			origins = o
		}
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if got, err := origin(o); err != nil || got != o {
			errs = append(errs, fmt.Errorf("CODEC_ALLOWED_ORIGINS: %q is not an origin (scheme://host[:port], no path)", o))
			continue
		}
		c.CodecOrigins = append(c.CodecOrigins, o)
	}
	return errs
}

// origin is the scheme://host[:port] of an http(s) URL.
func origin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Warnings are settings that are accepted but unsafe; the application
// logs each at start (the production commands refuse them: RequireExternal).
func (c Config) Warnings() []string {
	var out []string
	if w := c.jwksAudienceWarning(); w != "" {
		out = append(out, w)
	}
	if w := c.inboundWarning(); w != "" {
		out = append(out, w)
	}
	return out
}

// jwksAudienceWarning objects to JWKS mode without JWT_AUDIENCE: an
// identity provider's keys sign the tokens of every application it
// serves, so without an audience check a token issued for any of them is
// taken as a staff token here.
func (c Config) jwksAudienceWarning() string {
	if c.JWTJWKSURL != "" && strings.TrimSpace(c.JWTAudience) == "" {
		return "JWT_AUDIENCE: required with JWT_JWKS_URL (without it a token the identity provider issued for any other application is accepted)"
	}
	return ""
}
