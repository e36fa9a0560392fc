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
}

// Breakdown computes the figures of every group: counts and share of the
// total, median and 90th percentile time to acknowledge and to resolve,
// breach rate, upheld rate (the company responsible, among cases with
// findings), compensation paid and the average survey score.
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
    count(survey_score)
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
			&g.BreachRate, &g.UpheldRate, &g.CompensationMinor, &g.SurveyAverage, &g.SurveyAnswers)
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
