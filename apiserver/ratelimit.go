package apiserver

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// ipLimiter rate-limits unauthenticated callers per client address. Staff
// with a valid token are not held by it.
type ipLimiter struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	clients map[string]*clientLimit
	now     func() time.Time
}

type clientLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(perSec float64, burst int) *ipLimiter {
	return &ipLimiter{perSec: rate.Limit(perSec), burst: burst, clients: map[string]*clientLimit{}, now: time.Now}
}

// allow reports whether addr may make a request now, and if not, how long
// until it may.
func (l *ipLimiter) allow(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c, ok := l.clients[addr]
	if !ok {
		if len(l.clients) > 100_000 {
			l.evict(now)
		}
		c = &clientLimit{lim: rate.NewLimiter(l.perSec, l.burst)}
		l.clients[addr] = c
	}
	c.seen = now
	r := c.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict forgets clients idle for ten minutes (their buckets are full again).
func (l *ipLimiter) evict(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) > 10*time.Minute {
			delete(l.clients, k)
		}
	}
}

// rateLimitPublic answers 429 with Retry-After to an unauthenticated
// client over its limit; it runs after optional authentication.
func (s *Server) rateLimitPublic() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.limiter == nil || staffOf(c) != nil {
			c.Next()
			return
		}
		ok, wait := s.limiter.allow(c.ClientIP())
		if !ok {
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			problem(c, http.StatusTooManyRequests, "too many requests", "slow down and retry after the time in Retry-After")
			return
		}
		c.Next()
	}
}
