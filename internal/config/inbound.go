package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"
)

// Inbound configures inbound email (docs/channels.md#inbound-email): a
// listener the organisation's MTA delivers the support address's mail to.
// It is off while Addr is empty.
type Inbound struct {
	// Addr is the listener's host:port (or a Unix socket's path).
	Addr string
	// LMTP speaks LMTP instead of SMTP (INBOUND_PROTOCOL=lmtp).
	LMTP bool
	// SupportAddresses are the recipients accepted; mail to any other
	// address is refused (550).
	SupportAddresses []string
	// MaxBytes refuses larger mails (552).
	MaxBytes int64
	// AllowedNets are the client networks that may deliver; empty: any.
	AllowedNets []netip.Prefix
	// RetryBase, MaxAttempts and Poll shape the processing of recorded
	// mails: a failure is retried after RetryBase, doubling, until
	// MaxAttempts; Poll is how often due retries are looked for.
	RetryBase   time.Duration
	MaxAttempts int
	Poll        time.Duration
}

// InboundOff is INBOUND_SMTP_ADDR's value that keeps the listener off
// even in `make run`, which otherwise listens on DevInboundAddr.
const InboundOff = "off"

// DevInboundAddr is where `make run` listens for inbound mail unless told
// otherwise.
const DevInboundAddr = "127.0.0.1:2525"

// Enabled reports whether the inbound listener is configured.
func (i Inbound) Enabled() bool { return i.Addr != "" && i.Addr != InboundOff }

// loadInboundSettings reads INBOUND_* and SUPPORT_ADDRESS.
func loadInboundSettings(getenv func(string) string, c *Config) []error {
	in := Inbound{Addr: getenv("INBOUND_SMTP_ADDR")}
	var errs []error
	switch v := or(getenv("INBOUND_PROTOCOL"), "smtp"); v {
	case "smtp", "lmtp":
		in.LMTP = v == "lmtp"
	default:
		errs = append(errs, fmt.Errorf("INBOUND_PROTOCOL: %q is not smtp or lmtp", v))
	}
	for _, a := range strings.Split(getenv("SUPPORT_ADDRESS"), ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if p, err := mail.ParseAddress(a); err != nil || !strings.Contains(p.Address, "@") {
			errs = append(errs, fmt.Errorf("SUPPORT_ADDRESS: %q is not an email address", a))
		} else {
			in.SupportAddresses = append(in.SupportAddresses, p.Address)
		}
	}
	for _, n := range strings.Split(getenv("INBOUND_ALLOWED_NETS"), ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !strings.Contains(n, "/") {
			if a, err := netip.ParseAddr(n); err == nil {
				n = netip.PrefixFrom(a, a.BitLen()).String()
			}
		}
		p, err := netip.ParsePrefix(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("INBOUND_ALLOWED_NETS: %q is not an address or a network such as 10.0.0.0/8", n))
			continue
		}
		in.AllowedNets = append(in.AllowedNets, p.Masked())
	}
	maxBytes, err := Int(getenv, "INBOUND_MAX_BYTES", 25<<20)
	if err == nil && maxBytes < 1024 {
		err = errors.New("INBOUND_MAX_BYTES: must be at least 1024")
	}
	if err != nil {
		errs = append(errs, err)
	}
	in.MaxBytes = int64(maxBytes)
	if in.RetryBase, err = duration(getenv, "INBOUND_RETRY_BASE", 30*time.Second); err != nil {
		errs = append(errs, err)
	}
	if in.Poll, err = duration(getenv, "INBOUND_POLL", 5*time.Second); err != nil {
		errs = append(errs, err)
	}
	if in.MaxAttempts, err = Int(getenv, "INBOUND_MAX_ATTEMPTS", 12); err == nil && in.MaxAttempts < 1 {
		err = errors.New("INBOUND_MAX_ATTEMPTS: must be at least 1")
	}
	if err != nil {
		errs = append(errs, err)
	}
	if in.Enabled() && len(in.SupportAddresses) == 0 {
		errs = append(errs, errors.New("SUPPORT_ADDRESS: required with INBOUND_SMTP_ADDR (the addresses whose mail is accepted)"))
	}
	if in.Enabled() && !strings.HasPrefix(in.Addr, "/") {
		if _, _, err := net.SplitHostPort(in.Addr); err != nil {
			errs = append(errs, fmt.Errorf("INBOUND_SMTP_ADDR: %q is not host:port or a socket path", in.Addr))
		}
	}
	c.Inbound = in
	return errs
}

// inboundWarning warns of a listener open to every client on a network
// address (anyone who reaches it can file complaints as any sender).
func (c Config) inboundWarning() string {
	in := c.Inbound
	if !in.Enabled() || len(in.AllowedNets) > 0 || strings.HasPrefix(in.Addr, "/") {
		return ""
	}
	host, _, _ := net.SplitHostPort(in.Addr)
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() || host == "localhost" {
		return ""
	}
	return "INBOUND_SMTP_ADDR listens beyond loopback without INBOUND_ALLOWED_NETS: any client that reaches it can deliver mail; name your MTAs"
}
