package config

import (
	"strings"
	"testing"
	"time"
)

func TestMailSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.Enabled() || c.Mail.SendWindow != "09:00-21:00" || c.Mail.RequireTLS || c.Mail.RetryBase != 30*time.Second ||
		c.Mail.MaxAttempts != 12 || c.Mail.SendTimeout != 30*time.Second {
		t.Errorf("mail defaults = %+v", c.Mail)
	}
	c, err = Load(env(map[string]string{"SMTP_URL": "smtps://relay:pw@mail.example.com:465", "MAIL_FROM": "Complaints <help@example.com>",
		"SMTP_REQUIRE_TLS": "on", "SEND_WINDOW": "off"}))
	if err != nil || !c.Mail.Enabled() || !c.Mail.RequireTLS || c.Mail.SendWindow != "" {
		t.Errorf("mail on = %+v, %v", c.Mail, err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"not an smtp URL", map[string]string{"SMTP_URL": "http://relay:hunter2@mail.example.com", "MAIL_FROM": "a@example.com"}, []string{"SMTP_URL"}},
		{"no sender", map[string]string{"SMTP_URL": "smtp://relay:hunter2@mail.example.com"}, []string{"MAIL_FROM"}},
		{"bad window and flags", map[string]string{"SEND_WINDOW": "9-21", "SMTP_REQUIRE_TLS": "yes", "MAIL_MAX_ATTEMPTS": "0",
			"MAIL_RETRY_BASE": "soon"}, []string{"SEND_WINDOW", "SMTP_REQUIRE_TLS", "MAIL_MAX_ATTEMPTS", "MAIL_RETRY_BASE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.env))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not name %s", err, w)
				}
			}
			// The URL's password is never repeated.
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error prints the SMTP password: %v", err)
			}
		})
	}
}
