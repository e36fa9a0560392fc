package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The report summary (migration 00009) keeps, per time zone, one cell per
// local day, dimension and value: counts and sums that add up across days,
// and the durations themselves, so any set of days gives the same figures
// as the case rows, percentiles included. Case changes mark their hour of
// receipt in report_changes in the same transaction; RefreshSummary takes
// the marks and rebuilds the days they touch; a breakdown reads the cells
// of unmarked days and computes marked days (and partial days at its
// bounds) from the case rows, all in one snapshot, so it is exact however
// far behind the refresh is.

// SummaryLock is the advisory lock a refresh holds, so one runs at a time
// (every worker process runs a refresher).
const SummaryLock = 0x7265_706f_7274 // "report"

// SummaryDimensions are the dimensions the summary keeps: every report
// dimension but the time ones, which come from the cell's day.
func SummaryDimensions() []string {
	var out []string
	for d := range reportDimensions {
		if !slices.Contains(TimeDimensions(), d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// cellFigures are a cell's columns after zone, dim, day and value, as one
// select list over cases (alias c) grouped by day and value.
const cellFigures = `count(*),
    count(*) FILTER (WHERE c.breached),
    count(c.responsibility),
    count(*) FILTER (WHERE c.responsibility = 'company'),
    COALESCE(sum(c.compensation_minor), 0)::bigint,
    COALESCE(sum(c.survey_score), 0)::bigint,
    count(c.survey_score),
    count(*) FILTER (WHERE c.repeat_count > 0),
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id
        AND e.type = 'repeat_contact' AND e.payload->>'reopened' = 'true')),
    count(*) FILTER (WHERE c.status = 'closed'),
    count(*) FILTER (WHERE c.status = 'closed' AND c.transfer_count = 0 AND c.appeal_count = 0),
    COALESCE(array_agg(extract(epoch FROM c.acknowledged_at - c.received_at)::float8)
        FILTER (WHERE c.acknowledged_at IS NOT NULL), '{}'),
    COALESCE(array_agg(extract(epoch FROM c.resolved_at - c.received_at)::float8)
        FILTER (WHERE c.resolved_at IS NOT NULL), '{}')`

// cellsSQL selects cells (day, dim, value, figures) of the given
// dimensions from the case rows (alias c; the zone is $1), each case row
// counted once per dimension. With ranged, only rows of the local days
// given as arrays in $2 (the day), $3 and $4 (optional bounds within it:
// from, to), each day once; where adds a condition (arguments from $5 on).
//
// A day's rows are those PostgreSQL labels with it, (received_at AT TIME
// ZONE zone)::date, everywhere: the cells, the days marks touch and the
// bounds of a breakdown, so no second copy of the zone rules (Go's) can
// disagree. The index is read from local midnight widened by 3 hours each
// way (more than any daylight-saving shift), and the label decides.
func cellsSQL(dims []string, ranged bool, where string) string {
	pairs := make([]string, len(dims))
	for i, d := range dims {
		pairs[i] = fmt.Sprintf("('%s', %s)", d, reportDimensions[d])
	}
	from := "cases c"
	if ranged {
		// OFFSET 0 keeps the subquery a scan of the index on received_at
		// per day: joined flat, the planner guessed the days' rows and
		// read the whole table (370 ms for two days of 1,000,000 rows).
		from = `unnest($2::date[], $3::timestamptz[], $4::timestamptz[]) AS r(day, lo, hi)
    CROSS JOIN LATERAL (SELECT * FROM cases
        WHERE received_at >= GREATEST(r.lo, (r.day::timestamp AT TIME ZONE $1) - interval '3 hours')
            AND received_at < LEAST(r.hi, ((r.day + 1)::timestamp AT TIME ZONE $1) + interval '3 hours')
            AND (received_at AT TIME ZONE $1)::date = r.day
        OFFSET 0) c`
	}
	return fmt.Sprintf(`SELECT (c.received_at AT TIME ZONE $1)::date, d.sdim, d.sval, %s
FROM %s CROSS JOIN LATERAL (VALUES %s) AS d(sdim, sval) %s
GROUP BY 1, 2, 3`, cellFigures, from, strings.Join(pairs, ", "), whereClause(nonEmpty(where)))
}

// liveDay is one local day read from the case rows, from lo and before hi
// when they are set (GREATEST and LEAST ignore NULL).
type liveDay struct {
	day    time.Time
	lo, hi *time.Time
}

// liveArgs are cellsSQL's $2, $3 and $4 for days.
func liveArgs(days []liveDay) (day []time.Time, lo, hi []*time.Time) {
	for _, d := range days {
		day, lo, hi = append(day, d.day), append(lo, d.lo), append(hi, d.hi)
	}
	return day, lo, hi
}

// cellColumns are report_cells' columns after zone, in cellsSQL's order.
const cellColumns = `day, dim, value, cases, breached, with_finding, upheld, compensation, survey_sum, survey_n,
    repeated, reopened, closed, first_contact, acknowledge, resolve`

// insertCells stores the cells a cellsSQL selects under the zone $1.
func insertCells(sel string) string {
	return `INSERT INTO report_cells (zone, ` + cellColumns + `) SELECT $1, s.* FROM (` + sel + `) s`
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// markedDays are the local days of zone that the marked hours (UTC) touch:
// those of each hour's first and last instant (an hour can straddle two
// days where the offset has a half hour).
func markedDays(ctx context.Context, tx pgx.Tx, zone string, hours []time.Time) ([]time.Time, error) {
	if len(hours) == 0 {
		return []time.Time{}, nil
	}
	return collect[time.Time](ctx, tx, `SELECT DISTINCT d FROM unnest($2::timestamptz[]) AS h,
    LATERAL (VALUES ((h AT TIME ZONE $1)::date), (((h + interval '1 hour' - interval '1 microsecond') AT TIME ZONE $1)::date)) AS v(d)
ORDER BY 1`, zone, hours)
}

// dayOf is the local day of t in zone, and whether t is its first instant.
func dayOf(ctx context.Context, tx pgx.Tx, zone string, t time.Time) (day time.Time, starts bool, err error) {
	err = tx.QueryRow(ctx, `SELECT ($2::timestamptz AT TIME ZONE $1)::date,
    (($2::timestamptz - interval '1 microsecond') AT TIME ZONE $1)::date < ($2::timestamptz AT TIME ZONE $1)::date`, zone, t).Scan(&day, &starts)
	return day, starts, err
}

// SummaryRefresh says what one RefreshSummary did.
type SummaryRefresh struct {
	// Skipped is true when another refresh held the lock.
	Skipped bool
	// Marks is the number of change marks taken in; Days the local days
	// rebuilt over all zones; Built the zones built from scratch.
	Marks, Days int
	Built       []string
	Took        time.Duration
}

// RefreshSummary brings the summary up to date for zones (IANA names): a
// zone not yet kept is built from every case row, a zone no longer listed
// is dropped, and the days of the change marks committed so far are
// rebuilt. It runs in one repeatable-read transaction, so the marks it
// removes are exactly those whose changes it reads; changes committed
// meanwhile keep their marks for the next refresh. Concurrent refreshes
// take turns: one that finds the lock held returns Skipped.
func (s *Store) RefreshSummary(ctx context.Context, zones []string) (SummaryRefresh, error) {
	began := time.Now()
	var out SummaryRefresh
	zones = append([]string{}, zones...) // not nil: NOT zone = ANY(NULL) is never true
	for _, z := range zones {
		if _, err := time.LoadLocation(z); err != nil {
			return out, fmt.Errorf("store.RefreshSummary: zone %q: %w", z, err)
		}
	}
	// The lock is taken before the transaction's snapshot, so the snapshot
	// sees everything the previous holder committed.
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return out, fmt.Errorf("store.RefreshSummary: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, SummaryLock).Scan(&locked); err != nil {
		return out, fmt.Errorf("store.RefreshSummary: lock: %w", err)
	}
	if !locked {
		out.Skipped = true
		return out, nil
	}
	defer func() {
		// A connection that cannot unlock is closed, which unlocks.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, SummaryLock); err != nil {
			_ = conn.Conn().Close(uctx)
		}
	}()
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		kept, err := collect[string](ctx, tx, `SELECT zone FROM report_zones`)
		if err != nil {
			return fmt.Errorf("zones: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM report_zones WHERE NOT zone = ANY($1)`, zones); err != nil {
			return fmt.Errorf("drop zones: %w", err)
		}
		hours, err := collect[time.Time](ctx, tx, `WITH taken AS (DELETE FROM report_changes RETURNING received_hour)
SELECT DISTINCT received_hour FROM taken`)
		if err != nil {
			return fmt.Errorf("take marks: %w", err)
		}
		out.Marks = len(hours)
		dims := SummaryDimensions()
		for _, z := range slices.Sorted(slices.Values(zones)) {
			if !slices.Contains(kept, z) {
				if _, err := tx.Exec(ctx, `INSERT INTO report_zones (zone) VALUES ($1)`, z); err != nil {
					return fmt.Errorf("add zone %s: %w", z, err)
				}
				if _, err := tx.Exec(ctx, insertCells(cellsSQL(dims, false, "")), z); err != nil {
					return fmt.Errorf("build zone %s: %w", z, err)
				}
				out.Built = append(out.Built, z)
				continue
			}
			days, err := markedDays(ctx, tx, z, hours)
			if err != nil {
				return fmt.Errorf("marked days of %s: %w", z, err)
			}
			if len(days) == 0 {
				continue
			}
			live := make([]liveDay, len(days))
			for i, d := range days {
				live[i] = liveDay{day: d}
			}
			day, lo, hi := liveArgs(live)
			if _, err := tx.Exec(ctx, `DELETE FROM report_cells WHERE zone = $1 AND day = ANY($2)`, z, days); err != nil {
				return fmt.Errorf("clear days of %s: %w", z, err)
			}
			if _, err := tx.Exec(ctx, insertCells(cellsSQL(dims, true, "")), z, day, lo, hi); err != nil {
				return fmt.Errorf("rebuild days of %s: %w", z, err)
			}
			out.Days += len(days)
		}
		return nil
	})
	out.Took = time.Since(began)
	if err != nil {
		return out, fmt.Errorf("store.RefreshSummary: %w", err)
	}
	return out, nil
}

// PendingSummaryChanges counts the change marks not yet taken in (a gauge
// for the refresher's backlog).
func (s *Store) PendingSummaryChanges(ctx context.Context) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM report_changes`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store.PendingSummaryChanges: %w", err)
	}
	return n, nil
}

// collect runs a one-column query.
func collect[T any](ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[T])
}
