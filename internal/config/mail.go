package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Mail configures outbound email (docs/channels.md). It is off, and the
// outbox and the tracking page are the only delivery, while SMTPURL is
// empty.
type Mail struct {
	// SMTPURL is smtp://user:pass@host:port (STARTTLS when the server
	// offers it) or smtps://... (TLS from the first byte).
	SMTPURL string
	// RequireTLS refuses to send over a connection without TLS.
	RequireTLS bool
	// From is the sender address; its domain ends every Message-ID.
	From string
	// SendWindow is the daytime, in the case calendar's zone, within which
	// timed follow-ups (survey, reminders, progress reports) are sent, as
	// HH:MM-HH:MM; empty sends at once.
	SendWindow string
	// RetryBase is the first retry's wait after a temporary failure; each
	// further retry waits twice as long, up to an hour.
	RetryBase time.Duration
	// MaxAttempts ends the retries: the delivery is failed after it.
	MaxAttempts int
	// SendTimeout bounds one attempt (connect, dialogue, data); an attempt
	// whose worker died is taken again after it.
	SendTimeout time.Duration
	// Poll is how often a worker looks for deliveries that are due.
	Poll time.Duration
}

// Enabled reports whether outbound email is configured.
func (m Mail) Enabled() bool { return m.SMTPURL != "" }

// loadMail reads the MAIL_* and SMTP_* settings.
func loadMail(getenv func(string) string) (Mail, []error) {
	m := Mail{SMTPURL: getenv("SMTP_URL"), From: getenv("MAIL_FROM"), SendWindow: or(getenv("SEND_WINDOW"), "09:00-21:00")}
	var errs []error
	switch v := or(getenv("SMTP_REQUIRE_TLS"), "off"); v {
	case "on", "off":
		m.RequireTLS = v == "on"
	default:
		errs = append(errs, fmt.Errorf("SMTP_REQUIRE_TLS: %q is not on or off", v))
	}
	if m.SendWindow == "off" {
		m.SendWindow = ""
	} else if _, _, err := ParseWindow(m.SendWindow); err != nil {
		errs = append(errs, fmt.Errorf("SEND_WINDOW: %w", err))
	}
	var err error
	if m.RetryBase, err = duration(getenv, "MAIL_RETRY_BASE", 30*time.Second); err != nil {
		errs = append(errs, err)
	}
	if m.SendTimeout, err = duration(getenv, "MAIL_SEND_TIMEOUT", 30*time.Second); err != nil {
		errs = append(errs, err)
	}
	if m.Poll, err = duration(getenv, "MAIL_POLL", time.Second); err != nil {
		errs = append(errs, err)
	}
	if m.MaxAttempts, err = Int(getenv, "MAIL_MAX_ATTEMPTS", 12); err == nil && m.MaxAttempts < 1 {
		err = fmt.Errorf("MAIL_MAX_ATTEMPTS: must be at least 1")
	}
	if err != nil {
		errs = append(errs, err)
	}
	if m.SMTPURL == "" {
		return m, errs
	}
	u, err := url.Parse(m.SMTPURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		// The URL may hold a password: it is not repeated.
		errs = append(errs, errors.New("SMTP_URL: must be smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]"))
	}
	if a, err := mail.ParseAddress(m.From); err != nil || !strings.Contains(a.Address, "@") {
		errs = append(errs, errors.New("MAIL_FROM: must be an email address (required with SMTP_URL)"))
	}
	return m, errs
}

// ParseWindow reads HH:MM-HH:MM into minutes after midnight; the end may
// be before the start (a window across midnight).
func ParseWindow(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	if start, err = minutes(a); err == nil {
		end, err = minutes(b)
	}
	if err == nil && start == end {
		err = fmt.Errorf("%q is empty", s)
	}
	return start, end, err
}

func minutes(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time such as 09:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// loadMailSettings is loadMail as one of Load's topic loaders.
func loadMailSettings(getenv func(string) string, c *Config) []error {
	var errs []error
	c.Mail, errs = loadMail(getenv)
	return errs
}
