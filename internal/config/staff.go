package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// loadStaff reads who staff are and what signs for them: the staff tokens
// (JWT_SECRET, or JWT_JWKS_URL with JWT_ISSUER; JWT_AUDIENCE), the
// customers' token secret (TOKEN_SECRET), the decision signing keys
// (DECISION_*), and the staff rules (STAFF_AUTO_CONFIRM, TEAM_ISOLATION).
func loadStaff(getenv func(string) string, c *Config) []error {
	var errs []error
	c.JWTSecret, c.TokenSecret = getenv("JWT_SECRET"), getenv("TOKEN_SECRET")
	c.JWTJWKSURL, c.JWTIssuer, c.JWTAudience = getenv("JWT_JWKS_URL"), getenv("JWT_ISSUER"), getenv("JWT_AUDIENCE")
	c.DecisionSigningKey, c.DecisionSigningKeyPrevious = getenv("DECISION_SIGNING_KEY"), getenv("DECISION_SIGNING_KEY_PREVIOUS")
	switch v := getenv("STAFF_AUTO_CONFIRM"); v {
	case "", "off":
	case "on":
		c.StaffAutoConfirm = true
	default:
		errs = append(errs, fmt.Errorf("STAFF_AUTO_CONFIRM: %q must be on or off", v))
	}
	switch v := getenv("TEAM_ISOLATION"); v {
	case "", "on":
		c.TeamIsolation = true
	case "off":
	default:
		errs = append(errs, fmt.Errorf("TEAM_ISOLATION: %q must be on or off", v))
	}
	if c.JWTJWKSURL != "" {
		if u, err := url.Parse(c.JWTJWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("JWT_JWKS_URL: must be an http(s) URL"))
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("JWT_SECRET: must be at least 32 characters"))
	}
	if c.TokenSecret != "" && len(c.TokenSecret) < 32 {
		errs = append(errs, errors.New("TOKEN_SECRET: must be at least 32 characters"))
	}
	for _, v := range []struct{ name, value string }{{"DECISION_SIGNING_KEY", c.DecisionSigningKey}, {"DECISION_SIGNING_KEY_PREVIOUS", c.DecisionSigningKeyPrevious}} {
		if v.value != "" && len(v.value) < 32 {
			errs = append(errs, fmt.Errorf("%s: must be at least 32 characters", v.name))
		}
	}
	var err error
	if c.DecisionMaxAge, err = duration(getenv, "DECISION_MAX_AGE", 5*time.Minute); err != nil {
		errs = append(errs, err)
	}
	return errs
}
