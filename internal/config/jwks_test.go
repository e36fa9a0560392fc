package config

import (
	"strings"
	"testing"
)

// TestJWKSWithoutAudience is the insider's attack: with JWT_JWKS_URL and
// no JWT_AUDIENCE, a token the company's identity provider issued for any
// other application verifies as a staff token. The production commands
// refuse the setting; the development ones warn.
func TestJWKSWithoutAudience(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "postgres://x@db/complaints", "TEMPORAL_ADDRESS": "t:7233",
		"JWT_JWKS_URL": "https://idp.example.com/jwks.json", "TOKEN_SECRET": strings.Repeat("t", 32),
		"PAYLOAD_KEYS": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "PAYLOAD_KEY_ID": "k1",
		"DECISION_SIGNING_KEY": strings.Repeat("d", 32)}
	for _, tc := range []struct {
		name, audience string
		refused        bool
	}{{"no audience", "", true}, {"blank audience", "  ", true}, {"audience", "complaints-api", false}} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{"JWT_AUDIENCE": tc.audience}
			for k, v := range base {
				m[k] = v
			}
			c, err := Load(env(m))
			if err != nil {
				t.Fatal(err)
			}
			err = c.RequireExternal()
			if got := err != nil && strings.Contains(err.Error(), "JWT_AUDIENCE"); got != tc.refused {
				t.Errorf("RequireExternal() = %v; refused over JWT_AUDIENCE %v, want %v", err, got, tc.refused)
			}
			if got := len(c.Warnings()) > 0; got != tc.refused {
				t.Errorf("Warnings() = %q, want a warning %v", c.Warnings(), tc.refused)
			}
		})
	}
}
