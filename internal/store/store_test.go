package store_test

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// migratedDown is a store whose every migration has been rolled back,
// with its migrator (closed at the end of the test).
func migratedDown(t *testing.T) (*store.Store, *store.Migrator) {
	t.Helper()
	st := env.NewOwnerStore(t)
	m, err := store.NewMigrator(st.Pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.DownAll(context.Background()); err != nil {
		t.Fatalf("down: %v", err)
	}
	return st, m
}

func TestMigrationsDownAndUp(t *testing.T) {
	st, m := migratedDown(t)
	ctx := context.Background()
	var n int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tables left after down", n)
	}
	if err := m.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	var sb strings.Builder
	if err := m.Status(ctx, &sb); err != nil || !strings.Contains(sb.String(), "applied") {
		t.Errorf("status = %q, %v", sb.String(), err)
	}
}

// TestReplicasMigrateTogether starts four migrations at once on an empty
// database, as two APIs and two workers do on a fresh deployment: the
// advisory lock makes them take turns, and all four succeed.
func TestReplicasMigrateTogether(t *testing.T) {
	st, _ := migratedDown(t)
	ctx := context.Background()
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- store.Migrate(ctx, st.Pool) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("a replica's migration failed: %v", err)
		}
	}
	files, err := fs.Glob(os.DirFS("migrations"), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v, %v", files, err)
	}
	var n int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("applied migrations recorded = %d, %v; want each of the %d once", n, err, len(files))
	}
}

func newCase(id string) store.NewCase {
	return store.NewCase{
		Complaint: complaint.Complaint{CaseID: id, Customer: complaint.Customer{ID: "c1", Name: "N"}, Channel: "web",
			Subject: "s", Description: "d", Language: "en", ReceivedAt: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), IdempotencyKey: "c1:k"},
		WorkflowID: "complaint:" + id, Classification: complaint.Classification{Category: "billing", Severity: "low", Priority: 4},
		TokenHash: store.HashToken("tok-" + id), Profile: "default",
	}
}

func TestInsertCaseIsIdempotent(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	id := "11111111-2222-4333-8444-555555555555"
	a, err := st.InsertCase(ctx, newCase(id))
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.InsertCase(ctx, newCase(id))
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a != "CMP-20261123-000001" {
		t.Errorf("numbers %s, %s", a, b)
	}
	var rows, events int
	_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&rows)
	_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events`).Scan(&events)
	if rows != 1 || events != 2 {
		t.Errorf("rows=%d events=%d, want 1 and 2", rows, events)
	}
	got, err := st.CaseForIdempotencyKey(ctx, "c1:k")
	if err != nil || got != id {
		t.Errorf("idempotency key -> %s, %v", got, err)
	}
}

func TestApplyChangeOnceAndAppendOnly(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	id := "11111111-2222-4333-8444-555555555556"
	if _, err := st.InsertCase(ctx, newCase(id)); err != nil {
		t.Fatal(err)
	}
	row := func(status string, transfers int) complaint.CaseRow {
		return complaint.CaseRow{Status: status, Level: "agent", Category: "billing", Severity: "low", Priority: 4, TransferCount: transfers, Team: "billing"}
	}
	ch3 := complaint.Change{CaseID: id, Seq: 3, Event: complaint.Event{Type: "transferred", Actor: "sue", At: time.Now()}, Row: row("investigating", 1)}
	ch4 := complaint.Change{CaseID: id, Seq: 4, Event: complaint.Event{Type: "proposed", Actor: "ann", At: time.Now()}, Row: row("awaiting_approval", 1)}
	notes := []store.Notification{{CaseID: id, Key: id + ":x", Audience: "customer", Kind: "k", Language: "en", Subject: "s", Body: "b"}}
	// The newer change lands first, then the older one, each retried.
	for _, ch := range []complaint.Change{ch4, ch3, ch4, ch3} {
		if err := st.ApplyChange(ctx, ch, notes); err != nil {
			t.Fatal(err)
		}
	}
	var transfers, nn, events int
	var status string
	_ = st.Pool.QueryRow(ctx, `SELECT transfer_count, status FROM cases WHERE id = $1`, id).Scan(&transfers, &status)
	_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&nn)
	_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events`).Scan(&events)
	if transfers != 1 || status != "awaiting_approval" || nn != 1 || events != 4 {
		t.Errorf("after out-of-order retried applies: transfers=%d status=%s notifications=%d events=%d", transfers, status, nn, events)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE case_events SET actor = 'mallory'`); err == nil {
		t.Error("case_events accepted an UPDATE")
	}
	if _, err := st.Pool.Exec(ctx, `DELETE FROM case_events`); err == nil {
		t.Error("case_events accepted a DELETE")
	}
}

func TestLedgerUniqueKey(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	id := "11111111-2222-4333-8444-555555555557"
	if _, err := st.InsertCase(ctx, newCase(id)); err != nil {
		t.Fatal(err)
	}
	e := store.LedgerEntry{IdempotencyKey: id + ":p1-r1:execute", CaseID: id, RemedyID: "p1-r1", Kind: "payout", RemedyType: "refund", Amount: 100, Currency: "CNY"}
	first, err := st.InsertLedger(ctx, e)
	if err != nil || !first {
		t.Fatalf("first insert: %v %v", first, err)
	}
	second, err := st.InsertLedger(ctx, e)
	if err != nil || second {
		t.Fatalf("second insert: %v %v", second, err)
	}
}

func TestLeastLoadedAssignment(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	for _, s := range []struct{ id, role string }{{"a1", "agent"}, {"a2", "agent"}, {"s1", "supervisor"}} {
		if _, err := st.RegisterStaff(ctx, s.id, "", s.role, "billing"); err != nil {
			t.Fatal(err)
		}
	}
	// Members known only from a token are never picked, though they would
	// win every tie (no cases, first ids, the preferred team).
	for _, s := range []struct{ id, role, team string }{{"a0", "agent", "billing"}, {"s0", "supervisor", "quality"}} {
		if got, err := st.UpsertStaffFromClaims(ctx, s.id, "", s.role, s.team); err != nil || got.Confirmed {
			t.Fatalf("registered from a token: %+v, %v", got, err)
		}
	}
	id := "11111111-2222-4333-8444-555555555558"
	if _, err := st.InsertCase(ctx, newCase(id)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE cases SET assignee_id = 'a1' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	got, err := st.LeastLoaded(ctx, "billing", "agent", "")
	if err != nil || got != "a2" {
		t.Errorf("least loaded = %q, %v; want a2", got, err)
	}
	// The trigger keeps each member's open cases through reassignment,
	// closing and reopening (cases are never deleted: their audit trail
	// is append-only).
	load := func() map[string]int {
		m := map[string]int{}
		rows, err := st.Pool.Query(ctx, `SELECT id, open_cases FROM staff`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			m[id] = n
		}
		return m
	}
	for _, step := range []struct {
		sql    string
		a1, a2 int
	}{
		{`SELECT 1`, 1, 0},
		{`UPDATE cases SET assignee_id = 'a2' WHERE id = $1`, 0, 1},
		{`UPDATE cases SET status = 'closed' WHERE id = $1`, 0, 0},
		{`UPDATE cases SET status = 'investigating', assignee_id = 'a1' WHERE id = $1`, 1, 0},
		{`UPDATE cases SET subject = 'edited' WHERE id = $1`, 1, 0},
	} {
		sql := strings.ReplaceAll(step.sql, "$1", "'"+id+"'")
		if _, err := st.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
		if l := load(); l["a1"] != step.a1 || l["a2"] != step.a2 {
			t.Errorf("after %s: open cases a1=%d a2=%d, want %d and %d", step.sql, l["a1"], l["a2"], step.a1, step.a2)
		}
	}
	if _, _, err := st.UpdateStaff(ctx, "a2", store.StaffChange{Active: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.LeastLoaded(ctx, "billing", "agent", ""); got != "a1" {
		t.Errorf("with a2 inactive got %q, want a1", got)
	}
	if got, _ := st.AnyAtLeast(ctx, "quality", "supervisor", ""); got != "s1" {
		t.Errorf("escalation target = %q, want s1", got)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSeedSyntheticCasesGrows seeds the benchmark's synthetic rows in two
// steps, as the bench grows them, without clashing numbers or events.
func TestSeedSyntheticCasesGrows(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	now := time.Now()
	if err := st.SeedSyntheticCases(ctx, 0, 200, now); err != nil {
		t.Fatal(err)
	}
	if err := st.SeedSyntheticCases(ctx, 200, 300, now); err != nil {
		t.Fatal(err)
	}
	var cases, events int
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE case_number LIKE 'SEED-%'),
    (SELECT count(*) FROM case_events WHERE type = 'repeat_contact')`).Scan(&cases, &events); err != nil {
		t.Fatal(err)
	}
	if cases != 500 || events != 25 {
		t.Errorf("%d cases and %d repeat contacts, want 500 and 25 (one in twenty)", cases, events)
	}
}
