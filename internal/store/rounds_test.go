package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
)

// TestCaseNumberDateInTheCalendarZone: the case number carries the date
// of receipt in the case's calendar zone, not in UTC (a case received at
// 07:00 in Beijing was numbered with the day before).
func TestCaseNumberDateInTheCalendarZone(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	newYork, _ := time.LoadLocation("America/New_York")
	for i, tc := range []struct {
		name     string
		received time.Time
		zone     string
		date     string
	}{
		{"07:00 in Beijing is the same day there", time.Date(2026, 11, 23, 7, 0, 0, 0, shanghai), "Asia/Shanghai", "20261123"},
		{"20:00 in New York is the same day there", time.Date(2026, 11, 23, 20, 0, 0, 0, newYork), "America/New_York", "20261123"},
		{"no zone is UTC", time.Date(2026, 11, 23, 7, 0, 0, 0, shanghai), "", "20261122"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newCase(fmt.Sprintf("21111111-2222-4333-8444-55555555555%d", i))
			n.Complaint.ReceivedAt, n.Complaint.IdempotencyKey, n.TimeZone = tc.received, "", tc.zone
			number, err := st.InsertCase(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(number, "CMP-"+tc.date+"-") {
				t.Errorf("case number %s, want the date %s", number, tc.date)
			}
		})
	}
}

// TestSurveyRounds: each closing's survey is a row of its own, opening one
// closes the round before (at most one open survey per case), and each
// round may have its own recovery task; both stay idempotent.
func TestSurveyRounds(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	ctx := context.Background()
	id := "31111111-2222-4333-8444-555555555555"
	if _, err := st.InsertCase(ctx, newCase(id)); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		round int
		tok   string
	}{{1, "s1"}, {1, "s1"}, {2, "s2"}, {2, "s2"}} {
		if err := st.OpenSurvey(ctx, id, step.round, store.HashToken(step.tok)); err != nil {
			t.Fatalf("round %d: %v", step.round, err)
		}
		if err := st.OpenRecoveryTask(ctx, id, step.round, "billing", "", "survey score 1"); err != nil {
			t.Fatalf("recovery round %d: %v", step.round, err)
		}
	}
	rows, err := st.Pool.Query(ctx, `SELECT round, status FROM surveys WHERE case_id = $1 ORDER BY round`, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var r int
		var s string
		_ = rows.Scan(&r, &s)
		got = append(got, fmt.Sprintf("%d:%s", r, s))
	}
	rows.Close()
	if strings.Join(got, ",") != "1:superseded,2:sent" {
		t.Errorf("surveys = %v, want round 1 superseded and round 2 open", got)
	}
	var tasks int
	_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM recovery_tasks WHERE case_id = $1`, id).Scan(&tasks)
	if tasks != 2 {
		t.Errorf("recovery tasks = %d, want one per round", tasks)
	}
	// The database refuses a second open survey however it is written.
	if _, err := st.Pool.Exec(ctx, `UPDATE surveys SET status = 'sent' WHERE case_id = $1`, id); err == nil {
		t.Error("two open surveys for one case were accepted")
	}
}
