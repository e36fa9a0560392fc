package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// reportDimensions are the dimensions a breakdown may group and filter by,
// in the order the API lists them, each with the SQL expression it reads
// (over the case rows as c). day, week and month group by the date of
// receipt in the report's time zone; they do not filter.
var reportDimensions = [...]struct{ name, sql string }{
	{"category", "c.category"},
	{"cause", "COALESCE(c.cause, '')"},
	{"cause_detail", "COALESCE(c.cause_detail, '')"},
	{"responsibility", "COALESCE(c.responsibility, '')"},
	{"channel", "c.channel"},
	{"region", "c.region"},
	{"branch", "c.branch"},
	{"product", "c.product"},
	{"team", "COALESCE(c.team_id, '')"},
	{"handler", "COALESCE(c.assignee_id, '')"},
	{"profile", "c.profile"},
	{"severity", "c.severity"},
	{"status", "c.status"},
	{"day", "to_char(c.received_at AT TIME ZONE @tz, 'YYYY-MM-DD')"},
	{"week", `to_char(c.received_at AT TIME ZONE @tz, 'IYYY-"W"IW')`},
	{"month", "to_char(c.received_at AT TIME ZONE @tz, 'YYYY-MM')"},
}

// ReportDimensions returns the name of every dimension a breakdown may
// group by, in order; all but the TimeDimensions may also filter.
func ReportDimensions() []string {
	out := make([]string, len(reportDimensions))
	for i, d := range reportDimensions {
		out[i] = d.name
	}
	return out
}

// IsReportDimension says whether a breakdown may group by name.
func IsReportDimension(name string) bool {
	_, ok := dimensionSQL(name)
	return ok
}

// dimensionSQL is the SQL expression a report dimension reads, and false
// for a name that is none.
func dimensionSQL(name string) (string, bool) {
	for _, d := range reportDimensions {
		if d.name == name {
			return d.sql, true
		}
	}
	return "", false
}

// TimeDimensions returns the dimensions that group only.
func TimeDimensions() []string { return []string{"day", "week", "month"} }

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
// reopen and first-contact resolution rates. Groups come largest first,
// then by key. A query that groups and filters by at most one dimension
// besides time, in a zone the summary keeps, is answered from the report
// summary; any other from the case rows; both give the same figures.
func (s *Store) Breakdown(ctx context.Context, q BreakdownQuery) ([]BreakdownGroup, error) {
	var out []BreakdownGroup
	err := s.inBreakdown(ctx, q, func(tx pgx.Tx, p *summaryPlan) (err error) {
		if p != nil {
			out, err = p.run(ctx, tx)
		} else {
			out, err = scanBreakdown(ctx, tx, q)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store.Breakdown: %w", err)
	}
	total := 0
	for _, g := range out {
		total += g.Count
	}
	for i := range out {
		out[i].Share = float64(out[i].Count) / float64(total)
	}
	slices.SortStableFunc(out, func(a, b BreakdownGroup) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		for _, d := range q.By {
			if c := strings.Compare(a.Key[d], b.Key[d]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out, nil
}

// BreakdownSource says where Breakdown answers q from: "summary" or "cases".
func (s *Store) BreakdownSource(ctx context.Context, q BreakdownQuery) (string, error) {
	source := "cases"
	err := s.inBreakdown(ctx, q, func(_ pgx.Tx, p *summaryPlan) error {
		if p != nil {
			source = "summary"
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store.BreakdownSource: %w", err)
	}
	return source, nil
}

// inBreakdown validates q and calls fn in one read-only repeatable-read
// transaction, with the summary plan when the summary covers q.
func (s *Store) inBreakdown(ctx context.Context, q BreakdownQuery, fn func(pgx.Tx, *summaryPlan) error) error {
	if len(q.By) == 0 {
		return fmt.Errorf("no dimension")
	}
	for _, d := range q.By {
		if !IsReportDimension(d) {
			return fmt.Errorf("unknown dimension %q", d)
		}
	}
	for k := range q.Filters {
		if !IsReportDimension(k) || slices.Contains(TimeDimensions(), k) {
			return fmt.Errorf("%q cannot filter", k)
		}
	}
	if _, err := time.LoadLocation(zoneOf(q)); err != nil {
		return fmt.Errorf("time zone: %w", err)
	}
	return pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		p, err := planSummary(ctx, tx, q)
		if err != nil {
			return err
		}
		return fn(tx, p)
	})
}

func zoneOf(q BreakdownQuery) string {
	if q.TimeZone == "" {
		return "UTC"
	}
	return q.TimeZone
}

// scanBreakdown computes a breakdown from the case rows.
func scanBreakdown(ctx context.Context, tx pgx.Tx, q BreakdownQuery) ([]BreakdownGroup, error) {
	var args []any
	var where []string
	if q.From != nil {
		args = append(args, *q.From)
		where = append(where, fmt.Sprintf("c.received_at >= $%d", len(args)))
	}
	if q.To != nil {
		args = append(args, *q.To)
		where = append(where, fmt.Sprintf("c.received_at < $%d", len(args)))
	}
	for _, k := range slices.Sorted(maps.Keys(q.Filters)) {
		args = append(args, q.Filters[k])
		expr, _ := dimensionSQL(k)
		where = append(where, fmt.Sprintf("%s = $%d", expr, len(args)))
	}
	var cols, groups []string
	tzParam := ""
	for i, d := range q.By {
		expr, _ := dimensionSQL(d)
		if strings.Contains(expr, "@tz") {
			if tzParam == "" {
				args = append(args, zoneOf(q))
				tzParam = fmt.Sprintf("$%d", len(args))
			}
			expr = strings.ReplaceAll(expr, "@tz", tzParam)
		}
		cols = append(cols, fmt.Sprintf("%s AS d%d", expr, i))
		groups = append(groups, fmt.Sprint(i+1))
	}
	sql := fmt.Sprintf(`
SELECT %s, count(*),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.acknowledged_at - c.received_at)) FILTER (WHERE c.acknowledged_at IS NOT NULL),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM c.acknowledged_at - c.received_at)) FILTER (WHERE c.acknowledged_at IS NOT NULL),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.resolved_at - c.received_at)) FILTER (WHERE c.resolved_at IS NOT NULL),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM c.resolved_at - c.received_at)) FILTER (WHERE c.resolved_at IS NOT NULL),
    avg(c.breached::int)::float8,
    (avg((c.responsibility = 'company')::int) FILTER (WHERE c.responsibility IS NOT NULL))::float8,
    COALESCE(sum(c.compensation_minor), 0)::bigint,
    avg(c.survey_score)::float8,
    count(c.survey_score),
    avg((c.repeat_count > 0)::int)::float8,
    avg((c.id IN (SELECT e.case_id FROM case_events e WHERE e.type = 'repeat_contact'
        AND e.payload->>'reopened' = 'true'))::int)::float8,
    (avg((c.transfer_count = 0 AND c.appeal_count = 0)::int) FILTER (WHERE c.status = 'closed'))::float8
FROM cases c %s
GROUP BY %s`,
		strings.Join(cols, ", "), whereClause(where), strings.Join(groups, ", "))
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BreakdownGroup
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
			return nil, err
		}
		for i, d := range q.By {
			g.Key[d] = dims[i]
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(conds, " AND ")
}

// monthlyLevels are the units a monthly accountability report ranks, each
// with the SQL expression of its unit.
var monthlyLevels = map[string]string{
	"branch":  "branch",
	"team":    "COALESCE(team_id, '')",
	"handler": "COALESCE(assignee_id, '')",
}

// MonthlyLevels returns the units a monthly accountability report may
// rank, sorted (a new slice each call).
func MonthlyLevels() []string { return slices.Sorted(maps.Keys(monthlyLevels)) }

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
	return s.MonthlyForTeam(ctx, month, level, tz, "")
}

// MonthlyForTeam is Monthly over the cases of one team (every case when
// team is empty): a team-bound reader's report.
func (s *Store) MonthlyForTeam(ctx context.Context, month time.Time, level, tz, team string) ([]MonthlyRow, error) {
	unit, ok := monthlyLevels[level]
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
    FROM cases WHERE received_at >= $1 AND received_at < $2 AND ($4 = '' OR team_id = $4) GROUP BY 1),
prev AS (SELECT %[1]s AS unit, count(*) AS n FROM cases WHERE received_at >= $3 AND received_at < $1 AND ($4 = '' OR team_id = $4) GROUP BY 1)
SELECT cur.unit, cur.n, COALESCE(prev.n, 0), cur.ack, cur.res, cur.low, cur.medium, cur.high, cur.critical,
    cur.breaches, cur.appeals, cur.survey, cur.comp
FROM cur LEFT JOIN prev USING (unit)
ORDER BY cur.n DESC, cur.unit`, unit), start, next, prev, team)
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
