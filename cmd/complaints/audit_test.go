package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/pgserver"
	"github.com/complaint-handling/complaints/internal/store"
	"github.com/complaint-handling/complaints/internal/testenv"
)

// TestAuditVerifyCommand migrates a database as the owner with `complaints
// migrate up`, writes two cases as the application's role, and runs
// `complaints audit verify`: the intact trail passes; after the owner
// edits an event of one case, the command fails naming that case and seq,
// for that case and for all.
func TestAuditVerifyCommand(t *testing.T) {
	testenv.SkipIfShort(t)
	ctx := context.Background()
	pg, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(t.TempDir(), "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	if err := pg.EnsureDatabase(ctx, "complaints"); err != nil {
		t.Fatal(err)
	}
	if err := pg.EnsureAppRole(ctx); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": pg.AppURL("complaints"), "MIGRATE_DATABASE_URL": pg.URL("complaints"), "LOG_LEVEL": "error"}
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, func(k string) string { return vars[k] }, &out, &errOut)
		return out.String(), err
	}
	if out, err := cli("migrate", "up"); err != nil || !strings.Contains(out, "00012") {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	st, err := store.Open(ctx, pg.AppURL("complaints"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := []string{"11111111-2222-4333-8444-0000000000a1", "11111111-2222-4333-8444-0000000000a2"}
	for _, id := range ids {
		c := complaint.Complaint{CaseID: id, Customer: complaint.Customer{ID: "c-" + id}, Channel: "web", Subject: "s",
			Description: "d", Language: "en", ReceivedAt: time.Now()}
		if _, err := st.InsertCase(ctx, store.NewCase{Complaint: c, WorkflowID: "w-" + id, TokenHash: store.HashToken(id), Profile: "default",
			Classification: complaint.Classification{Category: "billing", Severity: "low", Priority: 4}}); err != nil {
			t.Fatal(err)
		}
		for seq := 3; seq <= 5; seq++ {
			if err := st.ApplyChange(ctx, complaint.Change{CaseID: id, Seq: seq, Event: complaint.Event{Type: "noted", Actor: "ann", At: time.Now()},
				Row: complaint.CaseRow{Status: "investigating", Level: "agent", Category: "billing", Severity: "low", Priority: 4}}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := cli("audit", "verify"); err != nil || !strings.Contains(out, "checked 10 events of 2 cases: 0 broken") {
		t.Fatalf("verify of an intact trail: %v\n%s", err, out)
	}

	owner, err := pgx.Connect(ctx, pg.URL("complaints"))
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `UPDATE case_events SET payload = '{"text": "nothing to see"}' WHERE case_id = $1 AND seq = 4`, ids[1]); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"all cases", []string{"audit", "verify"}},
		{"the edited case", []string{"audit", "verify", "--case", ids[1]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := cli(tc.args...)
			if err == nil || !strings.Contains(err.Error(), "case "+ids[1]+", at seq 4") || !strings.Contains(out, "BROKEN case "+ids[1]+": seq 4: its contents do not match its hash") {
				t.Errorf("verify after an edit: %v\n%s", err, out)
			}
		})
	}
	if out, err := cli("audit", "verify", "--case", ids[0]); err != nil {
		t.Errorf("verify of the untouched case: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"audit"}, {"audit", "verify", "--case", "x'; DROP TABLE cases"}, {"audit", "verify", "--case", "11111111-2222-4333-8444-00000000ffff"}} {
		if _, err := cli(bad...); err == nil {
			t.Errorf("%q succeeded", bad)
		}
	}
}
