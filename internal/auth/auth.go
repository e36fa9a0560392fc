// Package auth mints and verifies staff tokens: JWTs signed with HS256 and
// a configured secret, carrying sub, role and team, with expiry enforced.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// Roles returns the staff roles a token may carry (complaint.Roles).
func Roles() []string { return complaint.Roles() }

// Claims are a staff token's claims.
type Claims struct {
	Role string `json:"role"`
	Team string `json:"team,omitempty"`
	Name string `json:"name,omitempty"`
	jwt.RegisteredClaims
}

// Issuer is the iss claim of tokens minted here.
const Issuer = "complaints"

// ErrInvalidToken is returned for any token that does not verify.
var ErrInvalidToken = errors.New("invalid token")

// Mint signs a token for sub with role and team, valid for ttl.
func Mint(secret []byte, sub, role, team, name string, ttl time.Duration, now time.Time) (string, error) {
	if sub == "" {
		return "", errors.New("auth.Mint: sub is required")
	}
	if !slices.Contains(Roles(), role) {
		return "", fmt.Errorf("auth.Mint: role %q is not one of %v", role, Roles())
	}
	c := Claims{Role: role, Team: team, Name: name, RegisteredClaims: jwt.RegisteredClaims{
		Subject: sub, Issuer: Issuer, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth.Mint: %w", err)
	}
	return s, nil
}

// Verifier checks tokens: HS256 with Secret by default, or RS256 with the
// keys of an identity provider's JWKS when JWKS is set.
type Verifier struct {
	Secret []byte
	JWKS   *JWKS
	// Issuer is the expected iss claim; empty means Issuer (the tokens
	// `complaints token` mints).
	Issuer string
	// Audience, when set, must be among the token's aud values.
	Audience string
	// Skew is the clock difference tolerated for iat, nbf and exp
	// (default DefaultSkew).
	Skew time.Duration
	Now  func() time.Time
}

// DefaultSkew is the clock difference between issuer and verifier a token's
// times are allowed.
const DefaultSkew = time.Minute

// Limits on the claims that name a member: longer values are not identities
// but attempts to fill the directory and logs.
const (
	MaxSubLen  = 128
	MaxTeamLen = 64
	MaxNameLen = 200
)

// Verify parses and checks a token: the one allowed algorithm, signature,
// expiry, issuer, audience (when configured), issued-at and not-before not
// in the future beyond the skew, a known role, and sub, team and name as
// printable text of a sane length. Every failure is ErrInvalidToken
// (wrapped with the reason). ctx is the caller's (the request's): a JWKS
// fetch it needs is abandoned when the caller goes away.
func (v Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	var c Claims
	iss := v.Issuer
	if iss == "" {
		iss = Issuer
	}
	skew := v.Skew
	if skew <= 0 {
		skew = DefaultSkew
	}
	alg := jwt.SigningMethodHS256.Alg()
	keyFunc := func(*jwt.Token) (any, error) { return v.Secret, nil }
	if v.JWKS != nil {
		alg = jwt.SigningMethodRS256.Alg()
		keyFunc = func(t *jwt.Token) (any, error) {
			kid, _ := t.Header["kid"].(string)
			return v.JWKS.Key(ctx, kid)
		}
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{alg}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(iss),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(skew),
	}
	if v.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.Audience))
	}
	if v.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(v.Now))
	}
	_, err := jwt.ParseWithClaims(token, &c, keyFunc, opts...)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" {
		return Claims{}, fmt.Errorf("%w: no sub", ErrInvalidToken)
	}
	if !slices.Contains(Roles(), c.Role) {
		return Claims{}, fmt.Errorf("%w: unknown role %q", ErrInvalidToken, c.Role)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"sub", c.Subject, MaxSubLen}, {"team", c.Team, MaxTeamLen}, {"name", c.Name, MaxNameLen}} {
		if err := checkText(f.v, f.max); err != nil {
			return Claims{}, fmt.Errorf("%w: %s %w", ErrInvalidToken, f.name, err)
		}
	}
	return c, nil
}

// checkText refuses a claim that is not valid UTF-8, is longer than max
// bytes, or holds control or format characters (NUL, newlines that forge
// log lines, bidirectional overrides that disguise a name).
func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("is longer than %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return errors.New("is not UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("holds the control character %U", r)
		}
	}
	return nil
}
