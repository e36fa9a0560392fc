package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintAndVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	good, err := Mint(secret, "alice", "manager", "billing", "Alice", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := Mint(secret, "alice", "manager", "billing", "", time.Minute, now.Add(-2*time.Hour))
	otherKey, _ := Mint([]byte("another-secret-another-secret-xx"), "alice", "manager", "", "", time.Hour, now)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "eve", Issuer: Issuer, ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}})
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	badRole, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{Role: "root", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "eve", Issuer: Issuer, ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}).SignedString(secret)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{Role: "agent", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "eve", Issuer: Issuer}}).SignedString(secret)

	v := Verifier{Secret: secret, Now: func() time.Time { return now }}
	for _, tt := range []struct {
		name, token string
		ok          bool
	}{
		{"valid", good, true}, {"expired", expired, false}, {"wrong signature", otherKey, false},
		{"alg none", noneTok, false}, {"unknown role", badRole, false}, {"no expiry", noExp, false},
		{"garbage", "not.a.token", false}, {"empty", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if tt.ok && (err != nil || c.Subject != "alice" || c.Role != "manager" || c.Team != "billing") {
				t.Errorf("Verify = %+v, %v", c, err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify accepted a bad token: %v", err)
			}
		})
	}
	if _, err := Mint(secret, "bob", "wizard", "", "", time.Hour, now); err == nil {
		t.Error("minted a token with an unknown role")
	}
}

// TestVerifyClaims signs tokens whose signature is good but whose claims
// are not: another service's audience, times in the future, control
// characters and huge values in the claims that name a member.
func TestVerifyClaims(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	sign := func(edit func(*Claims)) string {
		c := Claims{Role: "agent", Team: "billing", Name: "Ann", RegisteredClaims: jwt.RegisteredClaims{
			Subject: "ann", Issuer: Issuer, Audience: jwt.ClaimStrings{"complaints-api"},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}
		edit(&c)
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	v := Verifier{Secret: secret, Audience: "complaints-api", Now: func() time.Time { return now }}
	for _, tt := range []struct {
		name string
		edit func(*Claims)
		ok   bool
	}{
		{"valid", func(*Claims) {}, true},
		{"issued 30 s ahead (skew)", func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(30 * time.Second)) }, true},
		{"no iat", func(c *Claims) { c.IssuedAt = nil }, true},
		{"non-ASCII name", func(c *Claims) { c.Name = "王小明" }, true},
		{"other audience", func(c *Claims) { c.Audience = jwt.ClaimStrings{"payments-api"} }, false},
		{"no audience", func(c *Claims) { c.Audience = nil }, false},
		{"issued in an hour", func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) }, false},
		{"not before tomorrow", func(c *Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(24 * time.Hour)) }, false},
		{"NUL in sub", func(c *Claims) { c.Subject = "ann\x00admin" }, false},
		{"newline in name", func(c *Claims) { c.Name = "Ann\nlevel=ERROR msg=forged" }, false},
		{"bidi override in team", func(c *Claims) { c.Team = "billing\u202e" }, false},
		{"DEL in team", func(c *Claims) { c.Team = "bill\x7fing" }, false},
		{"sub of 129 bytes", func(c *Claims) { c.Subject = strings.Repeat("a", MaxSubLen+1) }, false},
		{"team of 65 bytes", func(c *Claims) { c.Team = strings.Repeat("t", MaxTeamLen+1) }, false},
		{"name of 10 kB", func(c *Claims) { c.Name = strings.Repeat("n", 10000) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), sign(tt.edit))
			if tt.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("accepted (err %v)", err)
			}
		})
	}
	// Without an audience configured, aud is not required.
	if _, err := (Verifier{Secret: secret, Now: v.Now}).Verify(context.Background(), sign(func(c *Claims) { c.Audience = nil })); err != nil {
		t.Errorf("no audience configured: %v", err)
	}
}
