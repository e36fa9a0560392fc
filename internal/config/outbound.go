package config

import (
	"fmt"
	"net/url"
	"time"
)

// loadOutbound reads the services the worker calls: the notification
// webhook (NOTIFY_WEBHOOK_URL) and the payment provider (PAYMENTS_URL,
// PAYMENTS_TIMEOUT).
func loadOutbound(getenv func(string) string, c *Config) []error {
	var errs []error
	c.NotifyWebhookURL, c.PaymentsURL = getenv("NOTIFY_WEBHOOK_URL"), getenv("PAYMENTS_URL")
	for _, v := range []struct{ name, value string }{{"NOTIFY_WEBHOOK_URL", c.NotifyWebhookURL}, {"PAYMENTS_URL", c.PaymentsURL}} {
		if u, err := url.Parse(v.value); v.value != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			errs = append(errs, fmt.Errorf("%s: must be an http(s) URL", v.name))
		}
	}
	var err error
	if c.PaymentsTimeout, err = duration(getenv, "PAYMENTS_TIMEOUT", 15*time.Second); err != nil {
		errs = append(errs, err)
	}
	return errs
}
