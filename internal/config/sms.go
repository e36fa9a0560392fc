package config

import (
	"errors"
	"net/url"
	"time"
)

// SMS configures texts to customers over SMPP 3.4 (docs/channels.md). It
// is off while URL is empty; the deliveries' retries, attempts and poll
// are email's (MAIL_RETRY_BASE, MAIL_MAX_ATTEMPTS, MAIL_POLL).
type SMS struct {
	// URL is smpp://system_id:password@host:port.
	URL string
	// From is the source address: a number, a short code or an
	// alphanumeric sender id of up to 11 characters.
	From string
	// Timeout bounds the bind and each submission's answer.
	Timeout time.Duration
}

// Enabled reports whether SMS is configured.
func (s SMS) Enabled() bool { return s.URL != "" }

// loadSMSSettings reads SMS_URL, SMS_FROM and SMS_TIMEOUT.
func loadSMSSettings(getenv func(string) string, c *Config) []error {
	c.SMS = SMS{URL: getenv("SMS_URL"), From: getenv("SMS_FROM")}
	var errs []error
	var err error
	if c.SMS.Timeout, err = duration(getenv, "SMS_TIMEOUT", 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	if c.SMS.URL == "" {
		return errs
	}
	if u, err := url.Parse(c.SMS.URL); err != nil || u.Scheme != "smpp" || u.Hostname() == "" || u.User == nil || u.User.Username() == "" {
		// The URL holds a password: it is not repeated.
		errs = append(errs, errors.New("SMS_URL: must be smpp://system_id:password@host[:port]"))
	}
	if c.SMS.From == "" || len(c.SMS.From) > 20 {
		errs = append(errs, errors.New("SMS_FROM: must be a number, short code or sender id (required with SMS_URL)"))
	}
	return errs
}
