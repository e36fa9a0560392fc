package apiserver

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/internal/store"
)

// reportDate reads a report bound: a date (YYYY-MM-DD, midnight in the
// report's zone) or an RFC 3339 instant.
func reportDate(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// breakdown answers GET /v1/reports/breakdown: figures grouped by up to
// three dimensions, over a date range, filtered by dimension values.
func (s *Server) breakdown(c *gin.Context) {
	var errs []FieldProblem
	q := store.BreakdownQuery{Filters: map[string]string{}, TimeZone: c.DefaultQuery("tz", "UTC")}
	loc, err := time.LoadLocation(q.TimeZone)
	if err != nil {
		errs = append(errs, FieldProblem{"tz", "is not an IANA time zone"})
		loc = time.UTC
	}
	known := make([]string, 0, len(store.ReportDimensions))
	for d := range store.ReportDimensions {
		known = append(known, d)
	}
	sort.Strings(known)
	by := c.Query("by")
	if by == "" {
		errs = append(errs, FieldProblem{"by", "is required: one to three of " + strings.Join(known, ", ")})
	}
	for _, d := range strings.Split(by, ",") {
		d = strings.TrimSpace(d)
		switch {
		case by == "":
		case !slices.Contains(known, d):
			errs = append(errs, FieldProblem{"by", d + " is not one of " + strings.Join(known, ", ")})
		case slices.Contains(q.By, d):
			errs = append(errs, FieldProblem{"by", d + " is given twice"})
		default:
			q.By = append(q.By, d)
		}
	}
	if len(q.By) > 3 {
		errs = append(errs, FieldProblem{"by", "at most three dimensions"})
	}
	for _, bound := range []struct {
		name string
		dst  **time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := c.Query(bound.name); v != "" {
			t, ok := reportDate(v, loc)
			if !ok {
				errs = append(errs, FieldProblem{bound.name, "must be a date (YYYY-MM-DD) or an RFC 3339 time"})
				continue
			}
			*bound.dst = &t
		}
	}
	if q.From != nil && q.To != nil && !q.To.After(*q.From) {
		errs = append(errs, FieldProblem{"to", "must be after from"})
	}
	for name, vals := range c.Request.URL.Query() {
		switch {
		case name == "by" || name == "from" || name == "to" || name == "tz":
		case slices.Contains(store.TimeDimensions, name):
			errs = append(errs, FieldProblem{name, "groups only; use from and to for a date range"})
		case store.ReportDimensions[name] != "":
			q.Filters[name] = vals[len(vals)-1]
		default:
			errs = append(errs, FieldProblem{name, "is not a report parameter"})
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		invalidFields(c, errs...)
		return
	}
	groups, err := s.store.Breakdown(c, q)
	if err != nil {
		s.fail(c, "breakdown", err)
		return
	}
	if groups == nil {
		groups = []store.BreakdownGroup{}
	}
	c.JSON(http.StatusOK, gin.H{"groups": groups})
}
