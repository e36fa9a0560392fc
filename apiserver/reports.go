package apiserver

import (
	"encoding/csv"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"net/http"
	"slices"
	"sort"
	"strconv"
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

// reportZone loads a report's time zone: one both Go and PostgreSQL know
// (else a problem for tz is added to errs and UTC returned). It reports
// false when it has answered the request (PostgreSQL unreachable).
func (s *Server) reportZone(c *gin.Context, name string, errs *[]FieldProblem) (*time.Location, bool) {
	known, err := s.knownZone(c, name)
	if err != nil {
		s.fail(c, "time zones", err)
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil || !known {
		*errs = append(*errs, complaint.NewProblem(complaint.CodeUnknownTimeZone, "is not an IANA time zone the database knows (such as Asia/Shanghai or UTC)").At("tz"))
		return time.UTC, true
	}
	return loc, true
}

// freeTextDimensions are the report dimensions whose values are free
// text, which may carry personal data.
var freeTextDimensions = map[string]bool{"cause_detail": true, "product": true, "region": true, "branch": true}

// breakdown answers GET /v1/reports/breakdown: figures grouped by up to
// three dimensions, over a date range, filtered by dimension values.
func (s *Server) breakdown(c *gin.Context) {
	var errs []FieldProblem
	q := store.BreakdownQuery{Filters: map[string]string{}, TimeZone: c.DefaultQuery("tz", "UTC")}
	loc, ok := s.reportZone(c, q.TimeZone, &errs)
	if !ok {
		return
	}
	known := store.ReportDimensions()
	sort.Strings(known)
	by := c.Query("by")
	if by == "" {
		errs = append(errs, complaint.RequiredBecause(": one to three of "+strings.Join(known, ", ")).At("by"))
	}
	for _, d := range strings.Split(by, ",") {
		d = strings.TrimSpace(d)
		switch {
		case by == "":
		case !slices.Contains(known, d):
			errs = append(errs, complaint.OneOfSaying(d+" is not one of "+strings.Join(known, ", "), known...).At("by"))
		case slices.Contains(q.By, d):
			errs = append(errs, complaint.NewProblem(complaint.CodeDuplicate, d+" is given twice", "value", d).At("by"))
		default:
			q.By = append(q.By, d)
		}
	}
	if len(q.By) > 3 {
		errs = append(errs, complaint.NewProblem(complaint.CodeTooMany, "at most three dimensions", "max", 3).At("by"))
	}
	for _, bound := range []struct {
		name string
		dst  **time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := c.Query(bound.name); v != "" {
			t, ok := reportDate(v, loc)
			if !ok {
				errs = append(errs, complaint.NewProblem(complaint.CodeNotADate, "must be a date (YYYY-MM-DD) or an RFC 3339 time").At(bound.name))
				continue
			}
			*bound.dst = &t
		}
	}
	if q.From != nil && q.To != nil && !q.To.After(*q.From) {
		errs = append(errs, complaint.NewProblem(complaint.CodeNotAfter, "must be after from", "other", "from").At("to"))
	}
	for name, vals := range c.Request.URL.Query() {
		switch {
		case name == "by" || name == "from" || name == "to" || name == "tz":
		case slices.Contains(store.TimeDimensions(), name):
			errs = append(errs, complaint.NewProblem(complaint.CodeGroupOnly, "groups only; use from and to for a date range").At(name))
		case store.IsReportDimension(name):
			q.Filters[name] = vals[len(vals)-1]
		default:
			errs = append(errs, unknownParameter().At(name))
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		invalidFields(c, errs...)
		return
	}
	me := staffOf(c)
	// A team-bound reader (a supervisor under TEAM_ISOLATION) sees the
	// figures of their own team, whatever team filter was asked for.
	if sc := s.scopeOf(me); sc != nil {
		if sc.Team == "" {
			c.JSON(http.StatusOK, gin.H{"groups": []store.BreakdownGroup{}})
			return
		}
		q.Filters["team"] = sc.Team
	}
	groups, err := s.store.Breakdown(c, q)
	if err != nil {
		s.fail(c, "breakdown", err)
		return
	}
	if groups == nil {
		groups = []store.BreakdownGroup{}
	}
	// Free-text dimensions (what a handler or a customer typed) are
	// masked for the roles that see personal data masked.
	if !seesPersonalData(me.Role) {
		for _, g := range groups {
			for d, v := range g.Key {
				if freeTextDimensions[d] {
					g.Key[d] = maskText(v)
				}
			}
		}
	}
	c.JSON(http.StatusOK, gin.H{"groups": groups})
}

// monthly answers GET /v1/reports/monthly?month=YYYY-MM&level=branch|team|handler
// with the accountability report, as JSON or (format=csv) as CSV.
func (s *Server) monthly(c *gin.Context) {
	var errs []FieldProblem
	tz := c.DefaultQuery("tz", "UTC")
	loc, ok := s.reportZone(c, tz, &errs)
	if !ok {
		return
	}
	month, err := time.ParseInLocation("2006-01", c.Query("month"), loc)
	if err != nil {
		errs = append(errs, complaint.NewProblem(complaint.CodeNotAMonth, "must be a month as YYYY-MM").At("month"))
	}
	level := c.Query("level")
	if !slices.Contains(store.MonthlyLevels(), level) {
		errs = append(errs, complaint.OneOfSaying("must be branch, team or handler", "branch", "team", "handler").At("level"))
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" {
		errs = append(errs, complaint.OneOfSaying("must be json or csv", "json", "csv").At("format"))
	}
	for name := range c.Request.URL.Query() {
		if !slices.Contains([]string{"month", "level", "tz", "format"}, name) {
			errs = append(errs, unknownParameter().At(name))
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		invalidFields(c, errs...)
		return
	}
	// A team-bound reader's report covers their own team; without a
	// team there is nothing of theirs to report.
	var rows []store.MonthlyRow
	sc := s.scopeOf(staffOf(c))
	if sc == nil || sc.Team != "" {
		team := ""
		if sc != nil {
			team = sc.Team
		}
		if rows, err = s.store.MonthlyForTeam(c, month, level, tz, team); err != nil {
			s.fail(c, "monthly report", err)
			return
		}
	}
	if rows == nil {
		rows = []store.MonthlyRow{}
	}
	if freeTextDimensions[level] && !seesPersonalData(staffOf(c).Role) {
		for i := range rows {
			rows[i].Unit = maskText(rows[i].Unit)
		}
	}
	if format == "json" {
		c.JSON(http.StatusOK, gin.H{"month": month.Format("2006-01"), "level": level, "time_zone": tz, "rows": rows})
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="complaints-%s-%s.csv"`, month.Format("2006-01"), level))
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"rank", level, "count", "previous_count", "change", "acknowledge_p50_s", "resolve_p50_s",
		"low", "medium", "high", "critical", "breaches", "appeals", "survey_average", "compensation_minor"})
	num := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	for _, r := range rows {
		_ = w.Write([]string{strconv.Itoa(r.Rank), csvSafe(r.Unit), strconv.Itoa(r.Count), strconv.Itoa(r.PreviousCount), num(r.Change),
			num(r.AcknowledgeP50), num(r.ResolveP50), strconv.Itoa(r.Severity["low"]), strconv.Itoa(r.Severity["medium"]),
			strconv.Itoa(r.Severity["high"]), strconv.Itoa(r.Severity["critical"]), strconv.Itoa(r.Breaches), strconv.Itoa(r.Appeals),
			num(r.SurveyAverage), strconv.FormatInt(r.CompensationMinor, 10)})
	}
	w.Flush()
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func unknownParameter() complaint.Problem {
	return complaint.NewProblem(complaint.CodeUnknownParameter, "is not a report parameter")
}
