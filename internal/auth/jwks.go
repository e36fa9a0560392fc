package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWKS fetches and caches the RSA public keys of an identity provider's
// JSON Web Key Set, by key id. An unknown kid triggers a refetch, at most
// once per MinRefresh, so a key rotation at the provider is picked up.
type JWKS struct {
	URL        string
	Client     *http.Client
	MinRefresh time.Duration

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// Key returns the public key with id kid.
func (j *JWKS) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	min := j.MinRefresh
	if min == 0 {
		min = time.Minute
	}
	if !j.fetched.IsZero() && time.Since(j.fetched) < min {
		return nil, fmt.Errorf("jwks: unknown key id %q", kid)
	}
	if err := j.fetch(ctx); err != nil {
		return nil, err
	}
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("jwks: unknown key id %q", kid)
}

func (j *JWKS) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	client := j.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("jwks: GET %s: %w", j.URL, err)
	}
	defer resp.Body.Close()
	j.fetched = time.Now()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jwks: GET %s: status %d", j.URL, resp.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kid, Kty, N, E, Use string
		} `json:"keys"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("jwks: decode: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err := errors.Join(err1, err2); err != nil || len(e) > 4 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	j.keys = keys
	return nil
}
