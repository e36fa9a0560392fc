package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/internal/store"
)

// cellsDump is every cell of the summary in a fixed order, durations sorted
// (their order in a cell is not part of its meaning).
func cellsDump(t *testing.T, st *store.Store) string {
	t.Helper()
	rows, err := st.Pool.Query(context.Background(), `
SELECT zone, dim, day, value, cases, breached, with_finding, upheld, compensation, survey_sum, survey_n, repeated, reopened, closed,
    first_contact, (SELECT array_agg(x ORDER BY x) FROM unnest(acknowledge) x), (SELECT array_agg(x ORDER BY x) FROM unnest(resolve) x)
FROM report_cells ORDER BY zone, dim, day, value`)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		v, err := r.Values()
		return fmt.Sprint(v), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(len(vals), vals)
}

func pending(t *testing.T, st *store.Store) int {
	t.Helper()
	n, err := st.PendingSummaryChanges(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSummaryRefresh walks the change marks and the refresh: every kind of
// case change marks its hour, a refresh takes the marks and rebuilds their
// days, the summary kept up this way equals one built from scratch, a
// refresh that finds another at work leaves the marks alone, and a zone
// no longer listed is dropped.
func TestSummaryRefresh(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	cases := generate(200)
	insertGenerated(t, st, 0, cases)
	if n := pending(t, st); n == 0 {
		t.Fatal("inserted cases left no mark")
	}
	zones := []string{"UTC", "Asia/Kolkata"} // a half-hour offset: hours straddle days
	r, err := st.RefreshSummary(ctx, zones)
	if err != nil || fmt.Sprint(r.Built) != "[Asia/Kolkata UTC]" || r.Days != 0 {
		t.Fatalf("first refresh = %+v, %v", r, err)
	}
	if n := pending(t, st); n != 0 {
		t.Fatalf("%d marks left after the build", n)
	}
	var cells int
	if err := st.Pool.QueryRow(ctx, `SELECT count(DISTINCT dim) FROM report_cells`).Scan(&cells); err != nil || cells != len(store.SummaryDimensions()) {
		t.Fatalf("cells cover %d dimensions (%v), want %d", cells, err, len(store.SummaryDimensions()))
	}

	changes := []struct{ name, sql string }{
		{"update", `UPDATE cases SET survey_score = 1, status = 'closed', resolved_at = received_at + interval '2 days' WHERE case_number = 'GEN-000003'`},
		{"delete", `DELETE FROM cases c WHERE case_number = (SELECT min(case_number) FROM cases c
            WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id))`},
		{"reopening contact", `INSERT INTO case_events (case_id, seq, type, actor, at, payload)
            SELECT id, 90, 'repeat_contact', 'customer', now(), '{"reopened": true}' FROM cases WHERE case_number = 'GEN-000011'`},
		{"insert", `INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id, channel, subject, description, status, received_at)
            VALUES (gen_random_uuid(), 'GEN-NEW', 'GEN-NEW', 'GEN-NEW', 'gen', 'web', 's', 'd', 'acknowledged', '2026-08-15 18:45:00+00')`},
	}
	for _, c := range changes {
		if _, err := st.Pool.Exec(ctx, c.sql); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n := pending(t, st); n != 1 {
			t.Fatalf("%s: %d marks, want 1", c.name, n)
		}
		r, err := st.RefreshSummary(ctx, zones)
		// One UTC day; in Kolkata (+05:30) the UTC hour may straddle two.
		if err != nil || r.Marks != 1 || r.Days < 2 || r.Days > 3 {
			t.Fatalf("%s: refresh = %+v, %v", c.name, r, err)
		}
	}
	// An audit event of another kind is no report change.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload)
        SELECT id, 91, 'note', 'agent', now(), '{}' FROM cases WHERE case_number = 'GEN-000012'`); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, st); n != 0 {
		t.Fatalf("a note left %d marks", n)
	}

	kept := cellsDump(t, st)
	if _, err := st.RefreshSummary(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if d := cellsDump(t, st); d != "0 []" {
		t.Fatalf("dropped zones left cells: %.200s", d)
	}
	if _, err := st.RefreshSummary(ctx, zones); err != nil {
		t.Fatal(err)
	}
	if rebuilt := cellsDump(t, st); rebuilt != kept {
		t.Errorf("the summary kept up by refreshes differs from one built anew:\n kept %.300s\nbuilt %.300s", kept, rebuilt)
	}

	// A refresh that finds the lock held skips, and the marks wait.
	tx, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, store.SummaryLock); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE cases SET breached = true WHERE case_number = 'GEN-000020'`); err != nil {
		t.Fatal(err)
	}
	if r, err := st.RefreshSummary(ctx, zones); err != nil || !r.Skipped || pending(t, st) != 1 {
		t.Fatalf("refresh under a held lock = %+v, %v; %d marks", r, err, pending(t, st))
	}
	_ = tx.Rollback(ctx)
	if r, err := st.RefreshSummary(ctx, zones); err != nil || r.Skipped || r.Marks != 1 {
		t.Fatalf("refresh after the lock = %+v, %v", r, err)
	}

	if _, err := st.RefreshSummary(ctx, []string{"Mars/Olympus"}); err == nil {
		t.Error("an unknown zone was accepted")
	}
}

// TestSummaryTakesInChangesCommittedDuringARefresh checks that a change
// committed while a refresh runs keeps its mark: the refresh reads one
// snapshot, and takes only the marks it can see.
func TestSummaryTakesInChangesCommittedDuringARefresh(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	insertGenerated(t, st, 0, generate(50))
	if _, err := st.RefreshSummary(ctx, []string{"UTC"}); err != nil {
		t.Fatal(err)
	}
	// Hold a change uncommitted; refresh; commit; the mark is still there.
	tx, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE cases SET compensation_minor = 12345 WHERE case_number = 'GEN-000001'`); err != nil {
		t.Fatal(err)
	}
	if r, err := st.RefreshSummary(ctx, []string{"UTC"}); err != nil || r.Marks != 0 {
		t.Fatalf("refresh = %+v, %v", r, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, st); n != 1 {
		t.Fatalf("%d marks after the commit, want 1", n)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := st.Breakdown(ctx, store.BreakdownQuery{By: []string{"profile"}, From: &from})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, g := range got {
		sum += g.CompensationMinor
	}
	var want int64
	if err := st.Pool.QueryRow(ctx, `SELECT sum(compensation_minor) FROM cases`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if sum != want {
		t.Errorf("compensation %d from the summary, %d in the rows", sum, want)
	}
}
