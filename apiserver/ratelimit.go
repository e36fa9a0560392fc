package apiserver

import (
	"container/list"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// maxLimitedClients bounds the addresses the public limiter remembers.
// Each costs about 200 bytes, so 100,000 stay near 20 MB whatever a
// caller with many addresses (or forged ones) sends.
const maxLimitedClients = 100_000

// ipLimiter rate-limits unauthenticated callers per client address. Staff
// with a valid token are not held by it. It remembers at most max
// addresses: past that, the one seen longest ago is forgotten first (a
// forgotten address starts again with a full bucket, so the cap trades a
// little leniency for a bounded memory).
type ipLimiter struct {
	mu     sync.Mutex
	perSec rate.Limit
	burst  int
	max    int
	// clients maps an address to its element in lru, whose front is the
	// address seen last.
	clients map[string]*list.Element
	lru     *list.List
	now     func() time.Time
}

type clientLimit struct {
	addr string
	lim  *rate.Limiter
}

func newIPLimiter(perSec float64, burst, max int) *ipLimiter {
	return &ipLimiter{perSec: rate.Limit(perSec), burst: burst, max: max,
		clients: map[string]*list.Element{}, lru: list.New(), now: time.Now}
}

// allow reports whether addr may make a request now, and if not, how long
// until it may.
func (l *ipLimiter) allow(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e, ok := l.clients[addr]
	if ok {
		l.lru.MoveToFront(e)
	} else {
		for l.lru.Len() >= l.max {
			old := l.lru.Back()
			delete(l.clients, old.Value.(*clientLimit).addr)
			l.lru.Remove(old)
		}
		e = l.lru.PushFront(&clientLimit{addr: addr, lim: rate.NewLimiter(l.perSec, l.burst)})
		l.clients[addr] = e
	}
	r := e.Value.(*clientLimit).lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// size is the number of addresses remembered.
func (l *ipLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// rateLimitPublic answers 429 with Retry-After to an unauthenticated
// client over its limit; it runs after optional authentication. The
// client address is the connection's peer unless that peer is one of
// TRUSTED_PROXIES (gin's ClientIP), so forged forwarding headers do not
// give a caller fresh buckets.
func (s *Server) rateLimitPublic() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.limiter == nil || staffOf(c) != nil {
			c.Next()
			return
		}
		ok, wait := s.limiter.allow(limitKey(c.ClientIP()))
		if !ok {
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			problem(c, http.StatusTooManyRequests, "too many requests", "slow down and retry after the time in Retry-After")
			return
		}
		c.Next()
	}
}

// limitKey is the bucket a client address is limited under: an IPv4
// address itself, and an IPv6 address's /64. One subscriber or cloud
// host is given a whole /64 and may send from any address in it, so
// keying on the full address would give it 2^64 fresh buckets. An
// IPv4-mapped IPv6 address counts as the IPv4 address.
func limitKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

// noStore marks a customer's answers private: a tracking or survey answer
// names a case and must not be kept by a shared cache or the browser's,
// nor sniffed into another type.
func noStore() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Next()
	}
}
