package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// caseWithEvents stores a case with events 1..n (3..n through ApplyChange).
func caseWithEvents(t *testing.T, st *store.Store, id string, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.InsertCase(ctx, newCase(id)); err != nil {
		t.Fatal(err)
	}
	for seq := 3; seq <= n; seq++ {
		ch := complaint.Change{CaseID: id, Seq: seq, Event: complaint.Event{Type: "noted", Actor: "ann",
			At: time.Date(2026, 11, 23, 9, 0, seq, 123456000, time.UTC), Payload: map[string]any{"text": fmt.Sprintf("note %d", seq)}},
			Row: complaint.CaseRow{Status: "investigating", Level: "agent", Category: "billing", Severity: "low", Priority: 4}}
		if err := st.ApplyChange(ctx, ch, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppRoleCannotRewriteTheTrail plays a compromised application: its
// database role must not be able to empty, edit or delete the audit trail,
// nor switch off the trigger that guards it, while it still reads and
// appends.
func TestAppRoleCannotRewriteTheTrail(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	id := "11111111-2222-4333-8444-000000000001"
	caseWithEvents(t, st, id, 4)
	var super bool
	var owned int
	if err := st.Pool.QueryRow(ctx, `SELECT rolsuper, (SELECT count(*) FROM pg_tables WHERE tableowner = current_user)
        FROM pg_roles WHERE rolname = current_user`).Scan(&super, &owned); err != nil || super || owned != 0 {
		t.Errorf("the application's role: superuser=%v, owns %d tables, %v; want neither", super, owned, err)
	}
	for _, attack := range []struct{ name, sql string }{
		{"truncate", `TRUNCATE case_events CASCADE`},
		{"update", `UPDATE case_events SET actor = 'mallory'`},
		{"delete", `DELETE FROM case_events WHERE seq = 3`},
		{"disable trigger", `ALTER TABLE case_events DISABLE TRIGGER case_events_no_update`},
		{"disable all triggers", `ALTER TABLE case_events DISABLE TRIGGER ALL`},
		{"drop trigger", `DROP TRIGGER case_events_chain ON case_events`},
		{"replace the hash", `CREATE OR REPLACE FUNCTION case_events_hash(uuid, integer, text, text, timestamptz, jsonb, bytea)
            RETURNS bytea LANGUAGE sql AS $$ SELECT '\x00'::bytea $$`},
		{"skip triggers", `SET session_replication_role = replica`},
		{"take ownership", `ALTER TABLE case_events OWNER TO complaints_app`},
	} {
		t.Run(attack.name, func(t *testing.T) {
			_, err := st.Pool.Exec(ctx, attack.sql)
			var pg *pgconn.PgError
			// 42501 insufficient_privilege; 42883/42P01 would mean the
			// attack missed its target, which proves nothing.
			if !errors.As(err, &pg) || pg.Code != "42501" {
				t.Errorf("%s as the application's role: %v; want permission denied (42501)", attack.sql, err)
			}
		})
	}
	var n int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1 AND actor <> 'mallory'`, id).Scan(&n); err != nil || n != 4 {
		t.Errorf("events left intact = %d, %v; want 4", n, err)
	}
	if rep, err := st.VerifyAudit(ctx, id); err != nil || len(rep.Breaks) != 0 {
		t.Errorf("verify after the attacks: %+v, %v", rep, err)
	}
}

// tamper runs sql (statements separated by ";\n") as the superuser with
// triggers off, as an intruder with the owner's rights would.
func tamper(t *testing.T, owner *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	err := pgx.BeginFunc(context.Background(), owner, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		for _, stmt := range strings.Split(sql, ";\n") {
			if _, err := tx.Exec(context.Background(), stmt, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tamper %q: %v", sql, err)
	}
}

// TestVerifyAuditDetectsTampering edits the trail as the owner in each way
// the chain must reveal, and checks VerifyAudit names the first broken seq.
func TestVerifyAuditDetectsTampering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		sql     string
		seq     int // 0: intact
		because string
	}{
		{"intact", ``, 0, ""},
		{"edited actor", `UPDATE case_events SET actor = 'mallory' WHERE case_id = $1 AND seq = 4`, 4, "edited"},
		{"edited payload", `UPDATE case_events SET payload = '{"text": "nothing happened"}' WHERE case_id = $1 AND seq = 5`, 5, "edited"},
		{"edited time", `UPDATE case_events SET at = at + interval '1 microsecond' WHERE case_id = $1 AND seq = 3`, 3, "edited"},
		{"deleted", `DELETE FROM case_events WHERE case_id = $1 AND seq = 4`, 5, "deleted, inserted or moved"},
		{"deleted at the end", `DELETE FROM case_events WHERE case_id = $1 AND seq >= 5`, 5, "events at the end were deleted"},
		// Seqs 4 and 5 swapped (through -1, as the pair is unique).
		{"reordered", `UPDATE case_events SET seq = -1 WHERE case_id = $1 AND seq = 4;
            UPDATE case_events SET seq = 4 WHERE case_id = $1 AND seq = 5;
            UPDATE case_events SET seq = 5 WHERE case_id = $1 AND seq = -1`, 5, "edited"},
		{"moved to the end", `UPDATE case_events SET id = id + 1000000 WHERE case_id = $1 AND seq = 4`, 5, "deleted, inserted or moved"},
		// A forged event with a correct hash of its own, slipped in after
		// seq 3: the event after it no longer links to its predecessor.
		{"inserted", `UPDATE case_events SET id = id + 1000000 WHERE case_id = $1 AND seq >= 4`, 4, "deleted, inserted or moved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := env.NewStore(t)
			ctx := context.Background()
			id := "11111111-2222-4333-8444-000000000002"
			other := "11111111-2222-4333-8444-000000000003"
			caseWithEvents(t, st, id, 6)
			caseWithEvents(t, st, other, 5)
			if tc.sql != "" {
				owner := env.OwnerPool(t, st)
				tamper(t, owner, tc.sql, id)
				if tc.name == "inserted" {
					tamper(t, owner, `INSERT INTO case_events (id, case_id, seq, type, actor, at, payload, prev_hash, hash)
                        SELECT id + 1, case_id, 99, 'noted', 'mallory', at, '{}', hash, case_events_hash(case_id, 99, 'noted', 'mallory', at, '{}', hash)
                        FROM case_events WHERE case_id = $1 AND seq = 3`, id)
				}
			}
			for _, only := range []string{id, ""} {
				rep, err := st.VerifyAudit(ctx, only)
				if err != nil {
					t.Fatal(err)
				}
				if tc.seq == 0 {
					if len(rep.Breaks) != 0 {
						t.Errorf("intact trail reported broken: %v", rep.Breaks)
					}
					continue
				}
				if len(rep.Breaks) != 1 || rep.Breaks[0].CaseID != id || rep.Breaks[0].Seq != tc.seq || !strings.Contains(rep.Breaks[0].Reason, tc.because) {
					t.Errorf("verify(%q) = %v; want one break at %s seq %d (%s)", only, rep.Breaks, id, tc.seq, tc.because)
				}
			}
		})
	}
	t.Run("unknown case", func(t *testing.T) {
		st := env.NewStore(t)
		if _, err := st.VerifyAudit(context.Background(), "11111111-2222-4333-8444-00000000ffff"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("verify of a case that does not exist: %v; want ErrNotFound", err)
		}
	})
}

// TestAuditChainUnderConcurrentAppends appends to one case from many
// transactions at once (retried activities, out of order): the chain stays
// whole.
func TestAuditChainUnderConcurrentAppends(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	id := "11111111-2222-4333-8444-000000000004"
	caseWithEvents(t, st, id, 2)
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := 3 + (i*7)%30 // each seq twice, out of order
			errs <- st.ApplyChange(ctx, complaint.Change{CaseID: id, Seq: seq, Event: complaint.Event{Type: "noted", Actor: "ann", At: time.Now()},
				Row: complaint.CaseRow{Status: "investigating", Level: "agent", Category: "billing", Severity: "low", Priority: 4}}, nil)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rep, err := st.VerifyAudit(ctx, id)
	if err != nil || len(rep.Breaks) != 0 || rep.Events != 32 {
		t.Errorf("after concurrent appends: %+v, %v; want 32 events and no break", rep, err)
	}
}

// TestAuditMigrationChainsExistingEvents applies migration 00012 to a
// database that already has events: they get a chain that verifies.
func TestAuditMigrationChainsExistingEvents(t *testing.T) {
	owner := env.NewOwnerStore(t)
	ctx := context.Background()
	m, err := store.NewMigrator(owner.Pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.DownTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"11111111-2222-4333-8444-000000000005", "11111111-2222-4333-8444-000000000006"} {
		if _, err := owner.InsertCase(ctx, newCase(id)); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Pool.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload)
            SELECT $1, s, 'noted', 'ann', now(), jsonb_build_object('n', s) FROM generate_series(3, $2) s`, id, 4+i); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := owner.VerifyAudit(ctx, "")
	if err != nil || len(rep.Breaks) != 0 || rep.Cases != 2 || rep.Events != 9 {
		t.Errorf("after the migration: %+v, %v; want 2 cases, 9 events, no break", rep, err)
	}
}

// TestAppRoleCannotRewriteTheLedger plays a compromised application that
// would hide a payment it made: its role appends to the ledger and reads
// it, and may not change, delete or empty it (migration 00017).
func TestAppRoleCannotRewriteTheLedger(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	id := "11111111-2222-4333-8444-000000000017"
	caseWithEvents(t, st, id, 1)
	first, err := st.InsertLedger(ctx, store.LedgerEntry{IdempotencyKey: id + ":r1:execute", CaseID: id, RemedyID: "r1",
		Kind: "payout", RemedyType: "refund", Amount: 12000, Currency: "CNY"})
	if err != nil || !first {
		t.Fatalf("append as the application: %v, %v", first, err)
	}
	for _, attack := range []struct{ name, sql string }{
		{"update", `UPDATE ledger SET amount_minor = 1`},
		{"delete", `DELETE FROM ledger`},
		{"truncate", `TRUNCATE ledger`},
	} {
		t.Run(attack.name, func(t *testing.T) {
			_, err := st.Pool.Exec(ctx, attack.sql)
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != "42501" {
				t.Errorf("%s as the application's role: %v; want permission denied (42501)", attack.sql, err)
			}
		})
	}
	entries, err := st.LedgerForCase(ctx, id)
	if err != nil || len(entries) != 1 || entries[0].Amount != 12000 {
		t.Errorf("the ledger after the attacks: %+v, %v; want the one payment of 12000", entries, err)
	}
}
