package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestInboundSettings reads the listener's settings: off by default, on
// with its support addresses, networks and limits, and every bad value
// named.
func TestInboundSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Inbound.Enabled() || c.Inbound.MaxBytes != 25<<20 || c.Inbound.RetryBase != 30*time.Second || c.Inbound.MaxAttempts != 12 ||
		c.Inbound.LMTP || len(c.Inbound.AllowedNets) != 0 {
		t.Errorf("inbound defaults = %+v", c.Inbound)
	}
	if c, err := Load(env(map[string]string{"INBOUND_SMTP_ADDR": "off"})); err != nil || c.Inbound.Enabled() {
		t.Errorf("off = %+v, %v", c.Inbound, err)
	}
	c, err = Load(env(map[string]string{"INBOUND_SMTP_ADDR": "0.0.0.0:25", "INBOUND_PROTOCOL": "lmtp",
		"SUPPORT_ADDRESS": "Help <help@example.com>, 投诉@example.cn", "INBOUND_ALLOWED_NETS": "10.1.2.3, 192.168.0.0/16", "INBOUND_MAX_BYTES": "1048576"}))
	if err != nil || !c.Inbound.Enabled() || !c.Inbound.LMTP || !slices.Equal(c.Inbound.SupportAddresses, []string{"help@example.com", "投诉@example.cn"}) ||
		!slices.Equal(c.Inbound.AllowedNets, []netip.Prefix{netip.MustParsePrefix("10.1.2.3/32"), netip.MustParsePrefix("192.168.0.0/16")}) ||
		c.Inbound.MaxBytes != 1<<20 {
		t.Errorf("inbound on = %+v, %v", c.Inbound, err)
	}
	if w := c.inboundWarning(); w != "" {
		t.Errorf("warning with allowed networks: %q", w)
	}
	c, _ = Load(env(map[string]string{"INBOUND_SMTP_ADDR": "0.0.0.0:25", "SUPPORT_ADDRESS": "help@example.com"}))
	if !slices.ContainsFunc(c.Warnings(), func(w string) bool { return strings.Contains(w, "INBOUND_ALLOWED_NETS") }) {
		t.Errorf("no warning for a listener open to everyone: %q", c.Warnings())
	}
	c, _ = Load(env(map[string]string{"INBOUND_SMTP_ADDR": "127.0.0.1:2525", "SUPPORT_ADDRESS": "help@example.com"}))
	if w := c.inboundWarning(); w != "" {
		t.Errorf("warning on loopback: %q", w)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no support address", map[string]string{"INBOUND_SMTP_ADDR": "127.0.0.1:2525"}, []string{"SUPPORT_ADDRESS"}},
		{"bad values", map[string]string{"INBOUND_SMTP_ADDR": "localhost", "SUPPORT_ADDRESS": "help", "INBOUND_PROTOCOL": "pop3",
			"INBOUND_ALLOWED_NETS": "10.0.0.0/33", "INBOUND_MAX_BYTES": "10", "INBOUND_MAX_ATTEMPTS": "0", "INBOUND_RETRY_BASE": "soon"},
			[]string{"INBOUND_SMTP_ADDR", "SUPPORT_ADDRESS", "INBOUND_PROTOCOL", "INBOUND_ALLOWED_NETS", "INBOUND_MAX_BYTES", "INBOUND_MAX_ATTEMPTS", "INBOUND_RETRY_BASE"}},
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
		})
	}
}
