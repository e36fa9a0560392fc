package apiserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/internal/auth"
)

func TestIPLimiter(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := newIPLimiter(1, 2, 10)
	l.now = func() time.Time { return now }
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.allow("1.2.3.4"); ok != want {
			t.Errorf("call %d: allowed=%v", i, ok)
		}
	}
	if ok, _ := l.allow("5.6.7.8"); !ok {
		t.Error("another address was held by the first one's limit")
	}
	_, wait := l.allow("1.2.3.4")
	if wait <= 0 || wait > time.Second {
		t.Errorf("wait = %s", wait)
	}
	now = now.Add(1100 * time.Millisecond)
	if ok, _ := l.allow("1.2.3.4"); !ok {
		t.Error("not allowed again after the refill")
	}
}

// TestIPLimiterMemoryIsBounded sends 100,000 distinct addresses within
// one second (no bucket has refilled, so nothing is idle): the limiter
// remembers no more than its cap, and an address in use is kept.
func TestIPLimiterMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	const limit = 5_000
	l := newIPLimiter(1, 1, limit)
	l.now = func() time.Time { return now }
	if ok, _ := l.allow("198.51.100.7"); !ok {
		t.Fatal("first call refused")
	}
	for i := range 100_000 {
		l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		if i%1000 == 0 {
			// The busy client keeps coming back: it is the most recent,
			// never the one evicted, so its empty bucket holds.
			if ok, _ := l.allow("198.51.100.7"); ok {
				t.Fatalf("after %d other addresses the busy client's limit was forgotten", i)
			}
		}
	}
	if n := l.size(); n > limit {
		t.Errorf("remembers %d addresses, cap %d", n, limit)
	}
	if n := l.lru.Len(); n != l.size() {
		t.Errorf("lru holds %d, map %d", n, l.size())
	}
}

func limitedServer(t *testing.T, trusted ...string) *Server {
	t.Helper()
	s, err := New(nil, nil, auth.Verifier{}, Config{PublicRate: 0.001, PublicBurst: 2, TrustedProxies: trusted},
		slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// send makes one request from remote with the given headers (pairs); a
// complaint with an empty body is refused by validation (422) without a
// database, after the limiter.
func send(s *Server, method, path, remote string, headers ...string) *httptest.ResponseRecorder {
	var body *strings.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{}`)
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = remote
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

// TestForgedForwardingHeadersDoNotBypassTheLimit is the attack: one
// client sends every request with a new X-Forwarded-For or X-Real-IP to
// get a fresh bucket each time. Only a configured proxy's headers count.
func TestForgedForwardingHeadersDoNotBypassTheLimit(t *testing.T) {
	for _, hdr := range []string{"X-Forwarded-For", "X-Real-IP"} {
		t.Run(hdr, func(t *testing.T) {
			s := limitedServer(t)
			var codes []int
			for i := range 4 {
				w := send(s, http.MethodPost, "/v1/complaints", "203.0.113.9:40000", hdr, fmt.Sprintf("198.51.100.%d", i))
				codes = append(codes, w.Code)
			}
			if codes[2] != http.StatusTooManyRequests || codes[3] != http.StatusTooManyRequests {
				t.Errorf("statuses %v: forged %s gave the caller new buckets", codes, hdr)
			}
		})
	}
	t.Run("trusted proxy", func(t *testing.T) {
		s := limitedServer(t, "192.0.2.0/24")
		for i := range 4 {
			w := send(s, http.MethodPost, "/v1/complaints", "192.0.2.80:40000", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
			if w.Code == http.StatusTooManyRequests {
				t.Errorf("client %d behind the trusted proxy: %d, want its own bucket", i, w.Code)
			}
		}
		// The proxy's clients share nothing with the proxy's own bucket,
		// and one client behind it is still limited.
		for range 2 {
			send(s, http.MethodPost, "/v1/complaints", "192.0.2.80:40000", "X-Forwarded-For", "198.51.100.200")
		}
		if w := send(s, http.MethodPost, "/v1/complaints", "192.0.2.80:40000", "X-Forwarded-For", "198.51.100.200"); w.Code != http.StatusTooManyRequests {
			t.Errorf("one client behind the proxy: %d, want 429", w.Code)
		}
	})
}

// TestCustomerPagesShareTheLimit spends a client's bucket on the JSON API
// and then asks for the tracking and survey pages: they are limited too
// (they look a token up just as the JSON does), and say no-store.
func TestCustomerPagesShareTheLimit(t *testing.T) {
	s := limitedServer(t)
	for range 2 {
		send(s, http.MethodPost, "/v1/complaints", "203.0.113.9:40000")
	}
	for _, p := range []string{"/track/some-token", "/survey/some-token"} {
		w := send(s, http.MethodGet, p, "203.0.113.9:40000")
		if w.Code != http.StatusTooManyRequests {
			t.Errorf("%s: %d after the bucket was spent, want 429", p, w.Code)
		}
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", p, w.Header())
		}
	}
}

// TestCustomerAnswersAreNotStored checks the customer routes' answers,
// errors included, forbid caching and sniffing.
func TestCustomerAnswersAreNotStored(t *testing.T) {
	s := newTestServer(t)
	for _, r := range []struct{ method, path string }{
		{http.MethodPost, "/v1/complaints"},
		{http.MethodPost, "/v1/track/x/withdraw"},
		{http.MethodPost, "/v1/surveys/x"},
	} {
		w := send(s, r.method, r.path, "203.0.113.9:40000", "Content-Type", "application/json")
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s (%d): Cache-Control %q, X-Content-Type-Options %q", r.method, r.path, w.Code,
				w.Header().Get("Cache-Control"), w.Header().Get("X-Content-Type-Options"))
		}
	}
}

// TestIPv6RotationWithinASlash64IsOneClient is the attack: a caller given
// an IPv6 /64 (any home line or cloud host) sends each request from
// another address in it. The /64 is one bucket; another /64 has its own.
func TestIPv6RotationWithinASlash64IsOneClient(t *testing.T) {
	s := limitedServer(t)
	var codes []int
	for i := range 40 {
		w := send(s, http.MethodPost, "/v1/complaints", fmt.Sprintf("[2001:db8:1:2::%x]:40000", i+1))
		codes = append(codes, w.Code)
	}
	allowed := 0
	for _, c := range codes {
		if c != http.StatusTooManyRequests {
			allowed++
		}
	}
	if allowed != 2 {
		t.Errorf("40 addresses of one /64: %d requests let through (statuses %v), want the burst of 2", allowed, codes)
	}
	if w := send(s, http.MethodPost, "/v1/complaints", "[2001:db8:1:3::1]:40000"); w.Code == http.StatusTooManyRequests {
		t.Errorf("a neighbouring /64: %d, want its own bucket", w.Code)
	}
	for _, tc := range []struct{ in, want string }{
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"192.0.2.7", "192.0.2.7"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := limitKey(tc.in); got != tc.want {
			t.Errorf("limitKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
