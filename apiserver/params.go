package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
)

// MaxQueryValue is the longest query parameter value accepted, in
// characters (the search text q has its own, lower limit).
const MaxQueryValue = 1000

// checkParams refuses, before any handler runs, a query string that is
// not well formed (400) and any query or path parameter that is not one
// line of valid text (422 naming it for a query parameter, 404 for a path
// parameter: no case, token or staff member is named so). The check is
// complaint.CheckText, the one every text field goes through: invalid
// UTF-8 (`%ff`, `%c3%28`), NUL (`%00`) and other control characters, U+FFFD
// and values over MaxQueryValue characters. Nothing malformed reaches
// PostgreSQL, which would refuse it with an error.
func (s *Server) checkParams() gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := url.ParseQuery(c.Request.URL.RawQuery)
		if err != nil {
			problem(c, http.StatusBadRequest, "malformed query string", "the query string is not valid percent-encoding")
			return
		}
		names := make([]string, 0, len(q))
		for name := range q {
			names = append(names, name)
		}
		sort.Strings(names)
		var errs []FieldProblem
		for _, name := range names {
			if p, bad := complaint.TextProblem(name, 100, complaint.SingleLine); bad {
				errs = append(errs, p.Prefixed("a parameter's name ").At("(query)"))
				continue
			}
			for _, v := range q[name] {
				if p, bad := complaint.TextProblem(v, MaxQueryValue, complaint.SingleLine); bad {
					errs = append(errs, p.At(name))
					break
				}
			}
		}
		if len(errs) > 0 {
			invalidFields(c, errs...)
			return
		}
		for _, p := range c.Params {
			if complaint.CheckText(p.Value, 200, complaint.SingleLine) != "" {
				problem(c, http.StatusNotFound, "not found", "")
				return
			}
		}
		c.Next()
	}
}

// zones is the set of time zone names PostgreSQL knows, read once (on the
// first report that needs it, and again after a failure) and kept: Go's
// copy of the zone rules knows names PostgreSQL does not (Local, or zones
// newer than the server's tzdata), and a report in such a zone would fail
// in PostgreSQL.
type zones struct {
	mu    sync.Mutex
	names map[string]bool
}

// known reports whether PostgreSQL knows zone name.
func (s *Server) knownZone(ctx context.Context, name string) (bool, error) {
	s.zones.mu.Lock()
	defer s.zones.mu.Unlock()
	if s.zones.names == nil {
		names, err := s.store.TimeZoneNames(ctx)
		if err != nil {
			return false, fmt.Errorf("time zone names: %w", err)
		}
		s.zones.names = make(map[string]bool, len(names))
		for _, n := range names {
			s.zones.names[n] = true
		}
	}
	return s.zones.names[name], nil
}
