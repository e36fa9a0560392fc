package store

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// summaryPlan answers a breakdown from the report summary: the cells of
// one dimension over whole local days, and the case rows of the days whose
// cells are stale (marked) and of the partial days at the query's bounds.
type summaryPlan struct {
	q   BreakdownQuery
	loc *time.Location
	// dim is the one dimension the query groups or filters by (or any,
	// when it groups by time alone); filter its value, when filtered.
	dim    string
	filter *string
}

// allCasesDim is the dimension read for a breakdown by time alone: every
// case row is in exactly one of its cells, and it has few values.
const allCasesDim = "severity"

// planSummary returns the plan when the summary covers q, else nil.
func planSummary(ctx context.Context, tx pgx.Tx, q BreakdownQuery, loc *time.Location) (*summaryPlan, error) {
	var used []string
	for _, d := range q.By {
		if !slices.Contains(TimeDimensions, d) {
			used = append(used, d)
		}
	}
	for d := range q.Filters {
		if !slices.Contains(used, d) {
			used = append(used, d)
		}
	}
	if len(used) > 1 {
		return nil, nil
	}
	var kept bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM report_zones WHERE zone = $1)`, zoneOf(q)).Scan(&kept); err != nil {
		return nil, fmt.Errorf("summary zones: %w", err)
	}
	if !kept {
		return nil, nil
	}
	p := &summaryPlan{q: q, loc: loc, dim: allCasesDim}
	if len(used) == 1 {
		p.dim = used[0]
		if v, ok := q.Filters[p.dim]; ok {
			p.filter = &v
		}
	}
	return p, nil
}

// cell is one row of report_cells, or the same computed from case rows.
type cell struct {
	day                                           time.Time
	dim, value                                    string
	cases, breached, withFinding, upheld          int
	compensation, surveySum                       int64
	surveyN, repeated, reopened, closed, firstHit int
	acknowledge, resolve                          []float64
}

func (c *cell) fields() []any {
	return []any{&c.day, &c.dim, &c.value, &c.cases, &c.breached, &c.withFinding, &c.upheld, &c.compensation,
		&c.surveySum, &c.surveyN, &c.repeated, &c.reopened, &c.closed, &c.firstHit, &c.acknowledge, &c.resolve}
}

func (c *cell) add(o *cell) {
	c.cases += o.cases
	c.breached += o.breached
	c.withFinding += o.withFinding
	c.upheld += o.upheld
	c.compensation += o.compensation
	c.surveySum += o.surveySum
	c.surveyN += o.surveyN
	c.repeated += o.repeated
	c.reopened += o.reopened
	c.closed += o.closed
	c.firstHit += o.firstHit
	c.acknowledge = append(c.acknowledge, o.acknowledge...)
	c.resolve = append(c.resolve, o.resolve...)
}

// group turns summed cells into a breakdown group's figures, as the scan
// of the case rows computes them.
func (c *cell) group(key map[string]string) BreakdownGroup {
	ratio := func(n, d int) *float64 {
		if d == 0 {
			return nil
		}
		r := float64(n) / float64(d)
		return &r
	}
	slices.Sort(c.acknowledge)
	slices.Sort(c.resolve)
	g := BreakdownGroup{Key: key, Count: c.cases,
		AcknowledgeP50: percentileCont(c.acknowledge, 0.5), AcknowledgeP90: percentileCont(c.acknowledge, 0.9),
		ResolveP50: percentileCont(c.resolve, 0.5), ResolveP90: percentileCont(c.resolve, 0.9),
		BreachRate: *ratio(c.breached, c.cases), UpheldRate: ratio(c.upheld, c.withFinding),
		CompensationMinor: c.compensation, SurveyAnswers: c.surveyN,
		RepeatRate: *ratio(c.repeated, c.cases), ReopenRate: *ratio(c.reopened, c.cases),
		FirstContactResolution: ratio(c.firstHit, c.closed)}
	if c.surveyN > 0 {
		a := float64(c.surveySum) / float64(c.surveyN)
		g.SurveyAverage = &a
	}
	return g
}

// percentileCont is PostgreSQL's percentile_cont over sorted values: the
// value at fraction p of the way from the first to the last, interpolated
// linearly between the two nearest, with PostgreSQL's own arithmetic.
func percentileCont(sorted []float64, p float64) *float64 {
	if len(sorted) == 0 {
		return nil
	}
	pos := p * float64(len(sorted)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	v := sorted[int(lo)]
	if hi > lo {
		// float64() keeps the product rounded on its own, as PostgreSQL's
		// float8 arithmetic does (no fused multiply-add).
		v += float64((pos - lo) * (sorted[int(hi)] - v))
	}
	return &v
}

// run computes the breakdown.
func (p *summaryPlan) run(ctx context.Context, tx pgx.Tx) ([]BreakdownGroup, error) {
	q := p.q
	// Whole days [first, last) come from cells; partial days at the bounds
	// (when a bound is not a local midnight) from case rows.
	var first, last *time.Time
	var partial []dayRange
	if q.From != nil {
		d := localDay(*q.From, p.loc)
		if r := rangeOf(d, p.loc); !r.lo.Equal(*q.From) {
			partial = append(partial, dayRange{*q.From, r.hi})
			d = d.AddDate(0, 0, 1)
		}
		first = &d
	}
	if q.To != nil {
		d := localDay(*q.To, p.loc)
		if r := rangeOf(d, p.loc); !r.lo.Equal(*q.To) {
			partial = append(partial, dayRange{r.lo, *q.To})
		}
		last = &d
	}
	if first != nil && last != nil && !first.Before(*last) {
		// No whole day: the rows between the bounds.
		return p.merge(ctx, tx, nil, []dayRange{{*q.From, *q.To}})
	}
	var hours []time.Time
	rows, err := tx.Query(ctx, `SELECT DISTINCT received_hour FROM report_changes`)
	if err != nil {
		return nil, fmt.Errorf("summary marks: %w", err)
	}
	if hours, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
		return nil, fmt.Errorf("summary marks: %w", err)
	}
	stale := []time.Time{} // not nil: NOT day = ANY(NULL) is never true
	for _, d := range markedDays(hours, p.loc) {
		if (first == nil || !d.Before(*first)) && (last == nil || d.Before(*last)) {
			stale = append(stale, d)
			partial = append(partial, rangeOf(d, p.loc))
		}
	}
	return p.merge(ctx, tx, &cellRange{first, last, stale}, partial)
}

// cellRange is the whole days read from cells: [first, last) (nil: open)
// but the stale ones.
type cellRange struct {
	first, last *time.Time
	stale       []time.Time
}

// merge sums the cells of days and those computed from the case rows in
// ranges into the query's groups.
func (p *summaryPlan) merge(ctx context.Context, tx pgx.Tx, days *cellRange, ranges []dayRange) ([]BreakdownGroup, error) {
	groups := map[string]*cell{}
	take := func(rows pgx.Rows) error {
		defer rows.Close()
		var c cell
		dest := c.fields()
		for rows.Next() {
			c.acknowledge, c.resolve = nil, nil
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			id := p.groupID(&c)
			if g := groups[id]; g != nil {
				g.add(&c)
				continue
			}
			g := c
			groups[id] = &g
		}
		return rows.Err()
	}
	if days != nil {
		args := []any{zoneOf(p.q), p.dim, days.stale}
		sql := `SELECT ` + cellColumns + ` FROM report_cells WHERE zone = $1 AND dim = $2 AND NOT day = ANY($3)`
		if days.first != nil {
			args = append(args, *days.first)
			sql += fmt.Sprintf(" AND day >= $%d", len(args))
		}
		if days.last != nil {
			args = append(args, *days.last)
			sql += fmt.Sprintf(" AND day < $%d", len(args))
		}
		if p.filter != nil {
			args = append(args, *p.filter)
			sql += fmt.Sprintf(" AND value = $%d", len(args))
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return nil, fmt.Errorf("summary cells: %w", err)
		}
		if err := take(rows); err != nil {
			return nil, fmt.Errorf("summary cells: %w", err)
		}
	}
	if len(ranges) > 0 {
		lo, hi := make([]time.Time, len(ranges)), make([]time.Time, len(ranges))
		for i, r := range ranges {
			lo[i], hi[i] = r.lo, r.hi
		}
		args := []any{zoneOf(p.q), lo, hi}
		where := ""
		if p.filter != nil {
			args = append(args, *p.filter)
			where = ReportDimensions[p.dim] + " = $4"
		}
		rows, err := tx.Query(ctx, cellsSQL([]string{p.dim}, true, where), args...)
		if err != nil {
			return nil, fmt.Errorf("summary live days: %w", err)
		}
		if err := take(rows); err != nil {
			return nil, fmt.Errorf("summary live days: %w", err)
		}
	}
	out := make([]BreakdownGroup, 0, len(groups))
	for _, id := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, groups[id].group(p.key(groups[id])))
	}
	return out, nil
}

// groupID identifies the group a cell belongs to: its key's labels.
func (p *summaryPlan) groupID(c *cell) string {
	var b strings.Builder
	for _, d := range p.q.By {
		b.WriteString(p.label(c, d))
		b.WriteByte(0)
	}
	return b.String()
}

// key is the group a cell belongs to: its day's label for each time
// dimension, its value for the other.
func (p *summaryPlan) key(c *cell) map[string]string {
	key := make(map[string]string, len(p.q.By))
	for _, d := range p.q.By {
		key[d] = p.label(c, d)
	}
	return key
}

// label is a cell's value of dimension d, time labels as the case-row scan
// writes them (to_char's YYYY-MM-DD, IYYY-"W"IW and YYYY-MM).
func (p *summaryPlan) label(c *cell, d string) string {
	switch d {
	case "day":
		return c.day.Format(time.DateOnly)
	case "week":
		y, w := c.day.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case "month":
		return c.day.Format("2006-01")
	}
	return c.value
}
