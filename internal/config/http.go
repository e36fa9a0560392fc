package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// loadHTTP reads the HTTP side: the listen addresses (HTTP_ADDR,
// WORKER_HTTP_ADDR), PUBLIC_BASE_URL (default: HTTP_ADDR's), the limits on
// requests (MAX_BODY_BYTES, PUBLIC_RATE, PUBLIC_RATE_BURST), the proxies
// trusted to name the client (TRUSTED_PROXIES), and the graceful shutdown
// (SHUTDOWN_TIMEOUT, SHUTDOWN_DRAIN).
func loadHTTP(getenv func(string) string, c *Config) []error {
	var errs []error
	c.HTTPAddr = or(getenv("HTTP_ADDR"), ":8080")
	c.WorkerHTTPAddr = or(getenv("WORKER_HTTP_ADDR"), ":8081")
	for _, v := range []struct{ name, addr string }{{"HTTP_ADDR", c.HTTPAddr}, {"WORKER_HTTP_ADDR", c.WorkerHTTPAddr}} {
		if _, _, err := net.SplitHostPort(v.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", v.name, v.addr))
		}
	}
	c.PublicBaseURL = getenv("PUBLIC_BASE_URL")
	if c.PublicBaseURL == "" {
		c.PublicBaseURL = "http://" + DisplayAddr(c.HTTPAddr)
	}
	c.PublicBaseURL = strings.TrimRight(c.PublicBaseURL, "/")
	var err error
	if c.MaxBodyBytes, err = Int(getenv, "MAX_BODY_BYTES", 128<<10); err != nil || c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("MAX_BODY_BYTES: must be an integer of at least 1024"))
	}
	if c.PublicBurst, err = Int(getenv, "PUBLIC_RATE_BURST", 30); err != nil || c.PublicBurst < 0 {
		errs = append(errs, errors.New("PUBLIC_RATE_BURST: must be a non-negative integer"))
	}
	c.PublicRate = 2
	if v := getenv("PUBLIC_RATE"); v != "" {
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || f < 0 {
			errs = append(errs, errors.New("PUBLIC_RATE: must be a non-negative number of requests per second (0 disables)"))
		}
		c.PublicRate = f
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		_, _, cerr := net.ParseCIDR(p)
		if cerr != nil && net.ParseIP(p) == nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP address nor a CIDR", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.ShutdownTimeout, err = duration(getenv, "SHUTDOWN_TIMEOUT", 20*time.Second); err != nil {
		errs = append(errs, err)
	}
	if v := getenv("SHUTDOWN_DRAIN"); v != "" {
		if c.ShutdownDrain, err = time.ParseDuration(v); err != nil || c.ShutdownDrain < 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_DRAIN: %q is not a duration such as 5s (0 for none)", v))
		}
	}
	return errs
}
