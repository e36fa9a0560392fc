package config

import (
	"fmt"
	"strings"
	"time"
)

// Chat configures the posting of staff notifications to teams' chat bots
// (docs/channels.md); the channels themselves are in the database, set by
// an admin.
type Chat struct {
	// WebhookHosts are hosts a channel's webhook URL may name besides its
	// service's own (a private relay, a test receiver): host or host:port.
	WebhookHosts []string
	// RetryBase is the first retry's wait after a temporary failure; each
	// further one waits twice as long, up to an hour.
	RetryBase time.Duration
	// MaxAttempts fails a delivery after that many attempts.
	MaxAttempts int
	// SendTimeout bounds one post; an attempt whose worker died is taken
	// again after 1.5 times it plus a second.
	SendTimeout time.Duration
	// Poll is how often a worker looks for chat deliveries that are due.
	Poll time.Duration
}

// loadChatSettings reads the CHAT_* settings.
func loadChatSettings(getenv func(string) string, c *Config) []error {
	var errs []error
	for _, h := range strings.Split(getenv("CHAT_WEBHOOK_HOSTS"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			if strings.ContainsAny(h, "/@ ") {
				errs = append(errs, fmt.Errorf("CHAT_WEBHOOK_HOSTS: %q is not a host or host:port", h))
				continue
			}
			c.Chat.WebhookHosts = append(c.Chat.WebhookHosts, h)
		}
	}
	var err error
	if c.Chat.RetryBase, err = duration(getenv, "CHAT_RETRY_BASE", 30*time.Second); err != nil {
		errs = append(errs, err)
	}
	if c.Chat.SendTimeout, err = duration(getenv, "CHAT_SEND_TIMEOUT", 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	if c.Chat.Poll, err = duration(getenv, "CHAT_POLL", time.Second); err != nil {
		errs = append(errs, err)
	}
	if c.Chat.MaxAttempts, err = Int(getenv, "CHAT_MAX_ATTEMPTS", 10); err == nil && c.Chat.MaxAttempts < 1 {
		err = fmt.Errorf("CHAT_MAX_ATTEMPTS: must be at least 1")
	}
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}
