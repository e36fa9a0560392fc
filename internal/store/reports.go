package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReportDimensions are the dimensions a breakdown may group and filter by,
// each with the SQL expression it reads. day, week and month group by the
// date of receipt in the report's time zone; they do not filter.
var ReportDimensions = map[string]string{
	"category":       "category",
	"cause":          "COALESCE(cause, '')",
	"cause_detail":   "COALESCE(cause_detail, '')",
	"responsibility": "COALESCE(responsibility, '')",
	"channel":        "channel",
	"region":         "region",
	"branch":         "branch",
	"product":        "product",
	"team":           "COALESCE(team_id, '')",
	"handler":        "COALESCE(assignee_id, '')",
	"profile":        "profile",
	"severity":       "severity",
	"status":         "status",
	"day":            "to_char(received_at AT TIME ZONE @tz, 'YYYY-MM-DD')",
	"week":           `to_char(received_at AT TIME ZONE @tz, 'IYYY-"W"IW')`,
	"month":          "to_char(received_at AT TIME ZONE @tz, 'YYYY-MM')",
}

// TimeDimensions group only.
var TimeDimensions = []string{"day", "week", "month"}

// BreakdownQuery asks for figures grouped by dimensions, over cases
// received in [From, To), filtered by dimension values.
type BreakdownQuery struct {
	By       []string
	From, To *time.Time
	Filters  map[string]string
	// TimeZone is an IANA zone for day, week and month (default UTC).
	TimeZone string
}

// BreakdownGroup is one group's figures. Times are seconds; a figure with
// no case to measure is nil.
type BreakdownGroup struct {
	Key               map[string]string `json:"key"`
	Count             int               `json:"count"`
	Share             float64           `json:"share"`
	AcknowledgeP50    *float64          `json:"acknowledge_p50_s"`
	AcknowledgeP90    *float64          `json:"acknowledge_p90_s"`
	ResolveP50        *float64          `json:"resolve_p50_s"`
	ResolveP90        *float64          `json:"resolve_p90_s"`
	BreachRate        float64           `json:"breach_rate"`
	UpheldRate        *float64          `json:"upheld_rate"`
	CompensationMinor int64             `json:"compensation_minor"`
	SurveyAverage     *float64          `json:"survey_average"`
	SurveyAnswers     int               `json:"survey_answers"`
	// RepeatRate is the share of cases with a repeat contact; ReopenRate
	// the share reopened by one after closing; FirstContactResolution the
	// share of closed cases closed without a transfer or an appeal.
	RepeatRate             float64  `json:"repeat_rate"`
	ReopenRate             float64  `json:"reopen_rate"`
	FirstContactResolution *float64 `json:"first_contact_resolution"`
}

// Breakdown computes the figures of every group: counts and share of the
// total, median and 90th percentile time to acknowledge and to resolve,
// breach rate, upheld rate (the company responsible, among cases with
// findings), compensation paid, the average survey score, and the repeat,
// reopen and first-contact resolution rates.
func (s *Store) Breakdown(ctx context.Context, q BreakdownQuery) ([]BreakdownGroup, error) {
	tz := q.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	var args []any
	var where []string
	if q.From != nil {
		args = append(args, *q.From)
		where = append(where, fmt.Sprintf("received_at >= $%d", len(args)))
	}
	if q.To != nil {
		args = append(args, *q.To)
		where = append(where, fmt.Sprintf("received_at < $%d", len(args)))
	}
	keys := make([]string, 0, len(q.Filters))
	for k := range q.Filters {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		expr, ok := ReportDimensions[k]
		if !ok || slices.Contains(TimeDimensions, k) {
			return nil, fmt.Errorf("store.Breakdown: %q cannot filter", k)
		}
		args = append(args, q.Filters[k])
		where = append(where, fmt.Sprintf("%s = $%d", expr, len(args)))
	}
	var cols, groups []string
	tzParam := ""
	for i, d := range q.By {
		expr, ok := ReportDimensions[d]
		if !ok {
			return nil, fmt.Errorf("store.Breakdown: unknown dimension %q", d)
		}
		if strings.Contains(expr, "@tz") {
			if tzParam == "" {
				args = append(args, tz)
				tzParam = fmt.Sprintf("$%d", len(args))
			}
			expr = strings.ReplaceAll(expr, "@tz", tzParam)
		}
		cols = append(cols, fmt.Sprintf("%s AS d%d", expr, i))
		groups = append(groups, fmt.Sprint(i+1))
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("store.Breakdown: no dimension")
	}
	sql := fmt.Sprintf(`
SELECT %s, count(*),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - received_at)) FILTER (WHERE acknowledged_at IS NOT NULL),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - received_at)) FILTER (WHERE acknowledged_at IS NOT NULL),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received_at)) FILTER (WHERE resolved_at IS NOT NULL),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received_at)) FILTER (WHERE resolved_at IS NOT NULL),
    avg(breached::int)::float8,
    (avg((responsibility = 'company')::int) FILTER (WHERE responsibility IS NOT NULL))::float8,
    COALESCE(sum(compensation_minor), 0)::bigint,
    avg(survey_score)::float8,
    count(survey_score),
    avg((repeat_count > 0)::int)::float8,
    avg((cases.id IN (SELECT e.case_id FROM case_events e WHERE e.type = 'repeat_contact'
        AND e.payload->>'reopened' = 'true'))::int)::float8,
    (avg((transfer_count = 0 AND appeal_count = 0)::int) FILTER (WHERE status = 'closed'))::float8
FROM cases %s
GROUP BY %s ORDER BY count(*) DESC, %s`,
		strings.Join(cols, ", "), whereClause(where), strings.Join(groups, ", "), strings.Join(groups, ", "))
	rows, err := s.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store.Breakdown: %w", err)
	}
	defer rows.Close()
	var out []BreakdownGroup
	total := 0
	for rows.Next() {
		dims := make([]string, len(q.By))
		g := BreakdownGroup{Key: map[string]string{}}
		dest := make([]any, 0, len(dims)+11)
		for i := range dims {
			dest = append(dest, &dims[i])
		}
		dest = append(dest, &g.Count, &g.AcknowledgeP50, &g.AcknowledgeP90, &g.ResolveP50, &g.ResolveP90,
			&g.BreachRate, &g.UpheldRate, &g.CompensationMinor, &g.SurveyAverage, &g.SurveyAnswers,
			&g.RepeatRate, &g.ReopenRate, &g.FirstContactResolution)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store.Breakdown: %w", err)
		}
		for i, d := range q.By {
			g.Key[d] = dims[i]
		}
		total += g.Count
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.Breakdown: %w", err)
	}
	for i := range out {
		out[i].Share = float64(out[i].Count) / float64(total)
	}
	return out, nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(conds, " AND ")
}

// MonthlyLevels are the units a monthly accountability report ranks.
var MonthlyLevels = map[string]string{
	"branch":  "branch",
	"team":    "COALESCE(team_id, '')",
	"handler": "COALESCE(assignee_id, '')",
}

// MonthlyRow is one unit's month: volume and its change from the month
// before, speed, severity mix, breaches, appeals, satisfaction and
// compensation, with its rank by volume.
type MonthlyRow struct {
	Unit              string         `json:"unit"`
	Rank              int            `json:"rank"`
	Count             int            `json:"count"`
	PreviousCount     int            `json:"previous_count"`
	Change            *float64       `json:"change"`
	AcknowledgeP50    *float64       `json:"acknowledge_p50_s"`
	ResolveP50        *float64       `json:"resolve_p50_s"`
	Severity          map[string]int `json:"severity"`
	Breaches          int            `json:"breaches"`
	Appeals           int            `json:"appeals"`
	SurveyAverage     *float64       `json:"survey_average"`
	CompensationMinor int64          `json:"compensation_minor"`
}

// Monthly is the accountability report of month (any instant in it) in
// time zone tz, per unit of level, largest first.
func (s *Store) Monthly(ctx context.Context, month time.Time, level, tz string) ([]MonthlyRow, error) {
	unit, ok := MonthlyLevels[level]
	if !ok {
		return nil, fmt.Errorf("store.Monthly: unknown level %q", level)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("store.Monthly: %w", err)
	}
	m := month.In(loc)
	start := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, loc)
	prev, next := start.AddDate(0, -1, 0), start.AddDate(0, 1, 0)
	rows, err := s.Pool.Query(ctx, fmt.Sprintf(`
WITH cur AS (
    SELECT %[1]s AS unit, count(*) AS n,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - received_at)) FILTER (WHERE acknowledged_at IS NOT NULL) AS ack,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received_at)) FILTER (WHERE resolved_at IS NOT NULL) AS res,
        count(*) FILTER (WHERE severity = 'low') AS low, count(*) FILTER (WHERE severity = 'medium') AS medium,
        count(*) FILTER (WHERE severity = 'high') AS high, count(*) FILTER (WHERE severity = 'critical') AS critical,
        count(*) FILTER (WHERE breached) AS breaches, COALESCE(sum(appeal_count), 0) AS appeals,
        avg(survey_score)::float8 AS survey, COALESCE(sum(compensation_minor), 0)::bigint AS comp
    FROM cases WHERE received_at >= $1 AND received_at < $2 GROUP BY 1),
prev AS (SELECT %[1]s AS unit, count(*) AS n FROM cases WHERE received_at >= $3 AND received_at < $1 GROUP BY 1)
SELECT cur.unit, cur.n, COALESCE(prev.n, 0), cur.ack, cur.res, cur.low, cur.medium, cur.high, cur.critical,
    cur.breaches, cur.appeals, cur.survey, cur.comp
FROM cur LEFT JOIN prev USING (unit)
ORDER BY cur.n DESC, cur.unit`, unit), start, next, prev)
	if err != nil {
		return nil, fmt.Errorf("store.Monthly: %w", err)
	}
	defer rows.Close()
	var out []MonthlyRow
	for rows.Next() {
		r := MonthlyRow{Severity: map[string]int{}}
		var low, medium, high, critical int
		if err := rows.Scan(&r.Unit, &r.Count, &r.PreviousCount, &r.AcknowledgeP50, &r.ResolveP50, &low, &medium, &high, &critical,
			&r.Breaches, &r.Appeals, &r.SurveyAverage, &r.CompensationMinor); err != nil {
			return nil, fmt.Errorf("store.Monthly: %w", err)
		}
		r.Severity["low"], r.Severity["medium"], r.Severity["high"], r.Severity["critical"] = low, medium, high, critical
		if r.PreviousCount > 0 {
			c := float64(r.Count-r.PreviousCount) / float64(r.PreviousCount)
			r.Change = &c
		}
		r.Rank = len(out) + 1
		out = append(out, r)
	}
	return out, rows.Err()
}
