package app_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
)

// cfpbChannel maps the CFPB "Submitted via" values to our channels.
var cfpbChannel = map[string]string{"Web": "web", "Web Referral": "web", "Phone": "phone", "Referral": "regulator",
	"Postal mail": "post", "Email": "email", "Fax": "post"}

// readCFPB reads a sample of testdata/cfpb: its rows after the
// header, and each column's index by header name.
func readCFPB(t *testing.T, name string) ([][]string, map[string]int) {
	t.Helper()
	f, err := os.Open("../../testdata/cfpb/" + name)
	if err != nil {
		t.Fatalf("the CFPB sample (testdata/cfpb at the repository root) is needed: %v", err)
	}
	defer f.Close()
	rd := csv.NewReader(f)
	rd.LazyQuotes = true // the narratives hold stray quotes
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	return rows[1:], col
}

// TestCFPBReplay files every complaint of the 2023 CFPB sample through the
// API (product and issue as product and subject, "Submitted via" as the
// channel, state as the region, the date received mapped into the last
// ten days, keeping its order), then checks that the breakdowns by channel
// and by product match counts computed independently from the CSV.
func TestCFPBReplay(t *testing.T) {
	rows, col := readCFPB(t, "complaints-2023-sample.csv")
	if len(rows) != 3999 {
		t.Fatalf("%d rows read, want the sample's 3999", len(rows))
	}
	wantChannel, wantProduct := map[string]int{}, map[string]int{}
	var first, last time.Time
	for i, r := range rows {
		d, err := time.Parse("02-01-2006", r[col["Date_received"]])
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if first.IsZero() || d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
		ch, ok := cfpbChannel[r[col["Submitted_via"]]]
		if !ok {
			t.Fatalf("row %d: unmapped channel %q", i, r[col["Submitted_via"]])
		}
		wantChannel[ch]++
		wantProduct[r[col["Product"]]]++
	}

	s := startStack(t)
	agent := s.token("agent-cfpb", "agent", "billing")
	sup := s.token("sup-cfpb", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", sup, nil, nil)
	now := time.Now().UTC().Add(-time.Hour)
	span := last.Sub(first)
	var failed, retried atomic.Int32
	work := make(chan []string)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				d, _ := time.Parse("02-01-2006", r[col["Date_received"]])
				received := now.Add(-time.Duration(float64(10*24*time.Hour) * float64(last.Sub(d)) / float64(span)))
				id := r[col["Complaint_ID"]]
				desc := r[col["Consumer_complaint_narrative"]]
				if desc == "" {
					desc = strings.TrimSpace(r[col["Issue"]] + ". " + r[col["Sub-issue"]])
				}
				body := map[string]any{
					"customer": map[string]any{"id": "cfpb-" + id, "name": "CFPB consumer " + id, "email": "consumer" + id + "@example.com"},
					"channel":  cfpbChannel[r[col["Submitted_via"]]], "subject": r[col["Issue"]], "description": desc,
					"product": r[col["Product"]], "region": r[col["State"]], "language": "en", "profile": "us-cfpb",
					"received_at": received.Format(time.RFC3339),
				}
				// A 503 is the API's "retry shortly" (Temporal did not answer
				// within TEMPORAL_TIMEOUT on a loaded machine): a channel
				// integration retries it with the same Idempotency-Key, which
				// files the complaint once whatever became of the first try
				// (200 when it had, 201 when it had not). The case count
				// below proves nothing was lost or filed twice.
				code := s.call("POST", "/v1/complaints", agent, body, nil, "Idempotency-Key", "cfpb-"+id)
				for try := 0; code == http.StatusServiceUnavailable && try < 3; try++ {
					retried.Add(1)
					time.Sleep(2 * time.Second)
					if code = s.call("POST", "/v1/complaints", agent, body, nil, "Idempotency-Key", "cfpb-"+id); code == http.StatusOK {
						code = http.StatusCreated
					}
				}
				if code != http.StatusCreated {
					failed.Add(1)
					t.Errorf("complaint %s: %d", id, code)
				}
			}
		}()
	}
	for _, r := range rows {
		work <- r
	}
	close(work)
	wg.Wait()
	t.Logf("%d CFPB complaints filed in %s (%d failed, %d retries after a 503)", len(rows), time.Since(start).Round(time.Millisecond), failed.Load(), retried.Load())
	var n int
	_ = s.app.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM cases`).Scan(&n)
	if n != len(rows) {
		t.Fatalf("%d cases stored, want %d", n, len(rows))
	}
	check := func(by string, want map[string]int) {
		var got struct {
			Groups []struct {
				Key   map[string]string `json:"key"`
				Count int               `json:"count"`
			} `json:"groups"`
		}
		s.must(200, "GET", "/v1/reports/breakdown?by="+by, sup, nil, &got)
		seen := map[string]int{}
		for _, g := range got.Groups {
			seen[g.Key[by]] = g.Count
		}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("by %s:\n got %v\nwant %v", by, seen, want)
		}
	}
	check("channel", wantChannel)
	check("product", wantProduct)
	// The same figures once the worker has taken the cases into the report
	// summary: breakdowns by one dimension then read its cells.
	ctx := context.Background()
	eventually(t, "the report summary to take in the cases", func() bool {
		n, err := s.app.Store.PendingSummaryChanges(ctx)
		return err == nil && n == 0
	})
	if src, err := s.app.Store.BreakdownSource(ctx, store.BreakdownQuery{By: []string{"channel"}}); err != nil || src != "summary" {
		t.Errorf("a breakdown by channel is answered from %q (%v), want the summary", src, err)
	}
	check("channel", wantChannel)
	check("product", wantProduct)
	// A filter narrows the same figures.
	var web struct {
		Groups []struct{ Count int } `json:"groups"`
	}
	s.must(200, "GET", "/v1/reports/breakdown?by=profile&channel=web", sup, nil, &web)
	if len(web.Groups) != 1 || web.Groups[0].Count != wantChannel["web"] {
		t.Errorf("web filter: %+v, want %d", web.Groups, wantChannel["web"])
	}
	// Bad parameters are named.
	var prob struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	s.must(422, "GET", "/v1/reports/breakdown?by=colour,month&from=yesterday&month=2026-01&shoe=9", sup, nil, &prob)
	fields := []string{}
	for _, e := range prob.Errors {
		fields = append(fields, e.Field)
	}
	if strings.Join(fields, ",") != "by,from,month,shoe" {
		t.Errorf("fields %v", fields)
	}
	s.must(403, "GET", "/v1/reports/breakdown?by=channel", agent, nil, nil)

	// The monthly report of this month per team adds up to the cases
	// received this month; its CSV has the same rows.
	// (Once every case is acknowledged, so no team changes between the two
	// reads.)
	eventually(t, "every case acknowledged", func() bool {
		var waiting int
		_ = s.app.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM cases WHERE team_id IS NULL OR status = 'received'`).Scan(&waiting)
		return waiting == 0
	})
	month := time.Now().UTC().Format("2006-01")
	var thisMonth int
	_ = s.app.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM cases WHERE to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM') = $1`, month).Scan(&thisMonth)
	var rep struct {
		Rows []struct {
			Unit  string `json:"unit"`
			Rank  int    `json:"rank"`
			Count int    `json:"count"`
		} `json:"rows"`
	}
	s.must(200, "GET", "/v1/reports/monthly?month="+month+"&level=team", sup, nil, &rep)
	total := 0
	for i, r := range rep.Rows {
		total += r.Count
		if r.Rank != i+1 {
			t.Errorf("rank %d at %d", r.Rank, i)
		}
	}
	if total != thisMonth || thisMonth == 0 {
		t.Errorf("monthly report counts %d cases, %d were received in %s", total, thisMonth, month)
	}
	req, _ := http.NewRequest("GET", s.base+"/v1/reports/monthly?month="+month+"&level=team&format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+sup)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(recs) != len(rep.Rows)+1 || recs[0][1] != "team" {
		t.Errorf("csv: %v %s %d records for %d rows: %q %+v", err, resp.Header.Get("Content-Type"), len(recs), len(rep.Rows), recs, rep.Rows)
	}
	s.must(422, "GET", "/v1/reports/monthly?month=11-2026&level=galaxy", sup, nil, nil)
}
