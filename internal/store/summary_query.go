package store

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// summaryPlan answers a breakdown from the report summary: the cells of
// one dimension over whole local days, and the case rows of the days whose
// cells are stale (marked) and of the partial days at the query's bounds.
type summaryPlan struct {
	q BreakdownQuery
	// dim is the one dimension the query groups or filters by (or any,
	// when it groups by time alone); filter its value, when filtered.
	dim    string
	filter *string
}

// allCasesDim is the dimension read for a breakdown by time alone: every
// case row is in exactly one of its cells, and it has few values.
const allCasesDim = "severity"

// planSummary returns the plan when the summary covers q, else nil.
func planSummary(ctx context.Context, tx pgx.Tx, q BreakdownQuery) (*summaryPlan, error) {
	var used []string
	for _, d := range q.By {
		if !slices.Contains(TimeDimensions(), d) {
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
	p := &summaryPlan{q: q, dim: allCasesDim}
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
	day                                               time.Time
	dim, value                                        string
	cases, breached, withFinding, upheld              int
	compensation, surveySum                           int64
	surveyN, repeated, reopened, closed, firstContact int
	acknowledge, resolve                              []float64
	// ackParts and resParts are the durations of the cells added to this
	// one, joined once at the end (appending cell by cell was a quarter
	// of a year's breakdown in memmove).
	ackParts, resParts [][]float64
}

func (c *cell) fields() []any {
	return []any{&c.day, &c.dim, &c.value, &c.cases, &c.breached, &c.withFinding, &c.upheld, &c.compensation,
		&c.surveySum, &c.surveyN, &c.repeated, &c.reopened, &c.closed, &c.firstContact, &c.acknowledge, &c.resolve}
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
	c.firstContact += o.firstContact
	c.ackParts = append(c.ackParts, o.acknowledge)
	c.resParts = append(c.resParts, o.resolve)
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
	ack := percentilesCont(slices.Concat(append(c.ackParts, c.acknowledge)...), 0.9, 0.5)
	res := percentilesCont(slices.Concat(append(c.resParts, c.resolve)...), 0.9, 0.5)
	g := BreakdownGroup{Key: key, Count: c.cases,
		AcknowledgeP50: ack[1], AcknowledgeP90: ack[0], ResolveP50: res[1], ResolveP90: res[0],
		BreachRate: *ratio(c.breached, c.cases), UpheldRate: ratio(c.upheld, c.withFinding),
		CompensationMinor: c.compensation, SurveyAnswers: c.surveyN,
		RepeatRate: *ratio(c.repeated, c.cases), ReopenRate: *ratio(c.reopened, c.cases),
		FirstContactResolution: ratio(c.firstContact, c.closed)}
	if c.surveyN > 0 {
		a := float64(c.surveySum) / float64(c.surveyN)
		g.SurveyAverage = &a
	}
	return g
}

// percentilesCont is PostgreSQL's percentile_cont of xs at each fraction
// of ps (largest first): the value at fraction p of the way from the
// smallest to the largest, interpolated linearly between the two nearest,
// with PostgreSQL's own arithmetic. It reorders xs: it selects the order
// statistics it needs rather than sorting (a year's breakdown spent most
// of its Go time sorting).
func percentilesCont(xs []float64, ps ...float64) []*float64 {
	out := make([]*float64, len(ps))
	if len(xs) == 0 {
		return out
	}
	// Selecting the largest rank first leaves every smaller rank in the
	// prefix before it.
	end := len(xs)
	for i, p := range ps {
		pos := p * float64(len(xs)-1)
		lo, hi := math.Floor(pos), math.Ceil(pos)
		k := int(lo)
		v := selectKth(xs[:end], k)
		if hi > lo {
			next := slices.Min(xs[k+1:]) // nothing after k is smaller than v
			// float64() keeps the product rounded on its own, as
			// PostgreSQL's float8 arithmetic does (no fused multiply-add).
			v += float64((pos - lo) * (next - v))
		}
		out[i] = &v
		end = k + 1
	}
	return out
}

// selectKth reorders xs so that xs[k] is its k-th smallest value (from 0),
// with no larger value before it and no smaller after, and returns it:
// quickselect with a median-of-three pivot, falling back to a sort of
// what is left when the partitions stay unbalanced.
func selectKth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for budget := 2 * bits.Len(uint(len(xs))); lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(xs[lo : hi+1])
			break
		}
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// run computes the breakdown.
func (p *summaryPlan) run(ctx context.Context, tx pgx.Tx) ([]BreakdownGroup, error) {
	q, zone := p.q, zoneOf(p.q)
	// Whole days [first, last) come from cells; a day a bound falls inside
	// (not at its first instant) from case rows.
	var first, last *time.Time
	var live []liveDay
	if q.From != nil {
		d, starts, err := dayOf(ctx, tx, zone, *q.From)
		if err != nil {
			return nil, fmt.Errorf("summary bounds: %w", err)
		}
		if !starts {
			live = append(live, liveDay{day: d, lo: q.From})
			d = d.AddDate(0, 0, 1)
		}
		first = &d
	}
	if q.To != nil {
		d, starts, err := dayOf(ctx, tx, zone, *q.To)
		if err != nil {
			return nil, fmt.Errorf("summary bounds: %w", err)
		}
		if !starts {
			if len(live) == 1 && live[0].day.Equal(d) {
				// Both bounds inside one day.
				return p.merge(ctx, tx, nil, []liveDay{{day: d, lo: q.From, hi: q.To}})
			}
			live = append(live, liveDay{day: d, hi: q.To})
		}
		last = &d
	}
	hours, err := collect[time.Time](ctx, tx, `SELECT DISTINCT received_hour FROM report_changes`)
	if err != nil {
		return nil, fmt.Errorf("summary marks: %w", err)
	}
	marked, err := markedDays(ctx, tx, zone, hours)
	if err != nil {
		return nil, fmt.Errorf("summary marks: %w", err)
	}
	stale := []time.Time{} // not nil: NOT day = ANY(NULL) is never true
	for _, d := range marked {
		if (first == nil || !d.Before(*first)) && (last == nil || d.Before(*last)) {
			stale = append(stale, d)
			live = append(live, liveDay{day: d})
		}
	}
	if first != nil && last != nil && !first.Before(*last) {
		return p.merge(ctx, tx, nil, live)
	}
	return p.merge(ctx, tx, &cellRange{first, last, stale}, live)
}

// cellRange is the whole days read from cells: [first, last) (nil: open)
// but the stale ones.
type cellRange struct {
	first, last *time.Time
	stale       []time.Time
}

// merge sums the cells of days and those computed from the case rows of
// live days into the query's groups.
func (p *summaryPlan) merge(ctx context.Context, tx pgx.Tx, days *cellRange, live []liveDay) ([]BreakdownGroup, error) {
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
	if len(live) > 0 {
		day, lo, hi := liveArgs(live)
		args := []any{zoneOf(p.q), day, lo, hi}
		where := ""
		if p.filter != nil {
			args = append(args, *p.filter)
			where = reportDimensions[p.dim] + " = $5"
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
