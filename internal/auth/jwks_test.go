package auth

import (
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
	c, err := v.Verify(sign("k1", key, jwt.SigningMethodRS256, key))
	if err != nil || c.Subject != "sso-user" || c.Role != "supervisor" {
		t.Fatalf("valid RS256 token: %+v %v", c, err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tok := range map[string]string{
		"other key":    sign("k1", other, jwt.SigningMethodRS256, other),
		"unknown kid":  sign("k9", key, jwt.SigningMethodRS256, key),
		"HS256 with n": sign("k1", key, jwt.SigningMethodHS256, key.N.Bytes()),
	} {
		if _, err := v.Verify(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	if fetches != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached; unknown kids refetch at most once per MinRefresh)", fetches)
	}
}
