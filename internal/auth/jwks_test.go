package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestRS256WithJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fetches := 0
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches++
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kid": "k1", "kty": "RSA", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	defer idp.Close()
	sign := func(kid string, k *rsa.PrivateKey, method jwt.SigningMethod, signer any) string {
		tok := jwt.NewWithClaims(method, Claims{Role: "supervisor", Team: "billing", RegisteredClaims: jwt.RegisteredClaims{
			Subject: "sso-user", Issuer: "https://idp.example", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(signer)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	v := Verifier{JWKS: &JWKS{URL: idp.URL, MinRefresh: time.Hour}, Issuer: "https://idp.example"}
	c, err := v.Verify(context.Background(), sign("k1", key, jwt.SigningMethodRS256, key))
	if err != nil || c.Subject != "sso-user" || c.Role != "supervisor" {
		t.Fatalf("valid RS256 token: %+v %v", c, err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tok := range map[string]string{
		"other key":    sign("k1", other, jwt.SigningMethodRS256, other),
		"unknown kid":  sign("k9", key, jwt.SigningMethodRS256, key),
		"HS256 with n": sign("k1", key, jwt.SigningMethodHS256, key.N.Bytes()),
	} {
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	if fetches != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached; unknown kids refetch at most once per MinRefresh)", fetches)
	}
}

// TestJWKSFetchFollowsTheCallersContext plays a caller that gives up (a
// client that hangs up, a request deadline) while the identity provider's
// key set hangs: the fetch is abandoned with the caller, not kept open for
// the fetch's own 5 s timeout, so slow-provider requests cannot pile up
// behind requests nobody waits for.
func TestJWKSFetchFollowsTheCallersContext(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	abandoned := make(chan struct{})
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			close(abandoned)
		case <-time.After(10 * time.Second):
		}
	}))
	defer idp.Close()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, Claims{Role: "agent", Team: "billing", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "sso-user", Issuer: "https://idp.example", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	v := Verifier{JWKS: &JWKS{URL: idp.URL}, Issuer: "https://idp.example"}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = v.Verify(ctx, signed)
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("Verify returned %s after its caller gave up (200 ms): the key fetch ignored the caller's context", took)
	}
	if !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Verify with the key set unreachable = %v, want ErrInvalidToken", err)
	}
	select {
	case <-abandoned:
	case <-time.After(3 * time.Second):
		t.Error("the identity provider's request was not cancelled with the caller")
	}
}
