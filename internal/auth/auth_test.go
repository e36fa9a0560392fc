package auth

import (
	"errors"
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
			c, err := v.Verify(tt.token)
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
