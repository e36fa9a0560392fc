package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/complaint-handling/complaints/internal/store"
)

// TestCodecAccessLog: each decode is recorded and read back, and the
// application's role may only append to the log: it cannot rewrite or
// erase who read which payloads.
func TestCodecAccessLog(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	rec := store.CodecAccess{StaffID: "eng-eve", Role: "engineer", Op: "decode", Namespace: "complaints",
		WorkflowID: "complaint:m-1", CaseID: "11111111-2222-4333-8444-000000000001", Payloads: 3, Masked: true}
	if err := st.RecordCodecAccess(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordCodecAccess(ctx, store.CodecAccess{StaffID: "eng-eve", Role: "engineer", Op: "encode", Namespace: "complaints", Payloads: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := st.CodecAccessSince(ctx, time.Now().Add(-time.Hour), 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	got[0].At = time.Time{}
	if got[0] != rec || got[1].Op != "encode" || got[1].WorkflowID != "" || got[1].CaseID != "" {
		t.Errorf("read back %+v, want %+v first", got, rec)
	}
	if err := st.RecordCodecAccess(ctx, store.CodecAccess{StaffID: "x", Role: "engineer", Op: "peek", Namespace: "n"}); err == nil {
		t.Error("an unknown operation was recorded")
	}
	for _, attack := range []string{`UPDATE codec_access SET staff_id = 'mallory'`, `DELETE FROM codec_access`, `TRUNCATE codec_access`} {
		_, err := st.Pool.Exec(ctx, attack)
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "42501" {
			t.Errorf("%s as the application's role: %v; want permission denied (42501)", attack, err)
		}
	}
}
