package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/complaint-handling/complaints/complaint"
)

// TestDashboardOnCFPBData files the 2019 CFPB sample (268 complaints)
// through the API, spread over the last four weeks in their order, closes
// six of them through the whole process with known survey scores, and
// checks what the console shows: the dashboard's figures and charts, the
// low-score inbox and search, against counts computed from the CSV and the
// scores given. Its screenshots are the console with realistic data.
func TestDashboardOnCFPBData(t *testing.T) {
	rows, col := readCFPB(t, "complaints-2019-sample.csv")
	if len(rows) != 268 {
		t.Fatalf("%d rows, want the sample's 268", len(rows))
	}
	var first, last time.Time
	for _, r := range rows {
		d, err := time.Parse("2006-01-02", r[col["Date received"]])
		if err != nil {
			t.Fatal(err)
		}
		if first.IsZero() || d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
	}

	s := startStack(t)
	agent := s.token("agent-amy", "agent", "billing")
	agent2 := s.token("agent-bo", "agent", "billing")
	sup := s.token("sup-sam", "supervisor", "billing")
	for _, tok := range []string{agent, agent2, sup} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	now := time.Now().UTC().Add(-time.Hour)
	span := last.Sub(first)
	// Workflow ids follow from the keys and customers; a run of its own
	// keeps a repeated run (-count) off the cases of the last one, which
	// live on in the shared Temporal server.
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	type filed struct{ id, track string }
	cases := make([]filed, len(rows))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := rows[i]
				d, _ := time.Parse("2006-01-02", r[col["Date received"]])
				received := now.Add(-time.Duration(float64(27*24*time.Hour) * float64(last.Sub(d)) / float64(span)))
				id := r[col["Complaint ID"]]
				desc := r[col["Consumer complaint narrative"]]
				if desc == "" {
					desc = strings.TrimSpace(r[col["Issue"]] + ". " + r[col["Sub-issue"]])
				}
				var out struct {
					ID            string `json:"id"`
					TrackingToken string `json:"tracking_token"`
				}
				s.must(201, "POST", "/v1/complaints", agent, map[string]any{
					"customer": map[string]any{"id": "cfpb-" + run + "-" + id, "name": "CFPB consumer " + id, "email": "consumer" + id + "@example.com"},
					"channel":  cfpbChannel[r[col["Submitted via"]]], "subject": r[col["Issue"]], "description": desc,
					"product": r[col["Product"]], "region": r[col["State"]], "language": "en", "profile": "us-cfpb",
					"received_at": received.Format(time.RFC3339),
				}, &out, "Idempotency-Key", "cfpb19-"+run+"-"+id)
				cases[i] = filed{out.ID, out.TrackingToken}
			}
		}()
	}
	for i := range rows {
		work <- i
	}
	close(work)
	wg.Wait()

	// Six cases go all the way: findings, an apology approved by another
	// agent, accepted by the customer, surveyed.
	scores := []int{5, 4, 4, 3, 2, 1}
	surveyRE := regexp.MustCompile(`/survey/([A-Za-z0-9_-]+)`)
	for i, score := range scores {
		c := cases[i*40]
		s.must(200, "POST", "/v1/complaints/"+c.id+"/findings", agent, map[string]any{"cause": "billing.fees",
			"cause_detail": "billing.fees.unexpected", "responsibility": "company", "responsible_unit": "card services",
			"summary": "A fee was charged that the terms did not allow."}, nil)
		s.must(200, "POST", "/v1/complaints/"+c.id+"/proposal", agent, map[string]any{
			"remedies": []map[string]any{{"type": "apology"}, {"type": "explanation"}},
			"message":  "We are sorry: the fee should not have been charged, and we have explained why it was."}, nil)
		s.must(200, "POST", "/v1/complaints/"+c.id+"/approvals", agent2, map[string]any{"decision": "approve"}, nil)
		var tr struct {
			Status   string                        `json:"status"`
			Messages []struct{ Kind, Body string } `json:"messages"`
		}
		eventually(t, "awaiting the customer", func() bool {
			s.must(200, "GET", "/v1/track/"+c.track, "", nil, &tr)
			return tr.Status == complaint.StatusAwaitingCustomer
		})
		s.must(200, "POST", "/v1/track/"+c.track+"/response", "", map[string]any{"decision": "accept"}, nil)
		var tok string
		eventually(t, "the survey link", func() bool {
			tr.Messages = nil
			s.must(200, "GET", "/v1/track/"+c.track, "", nil, &tr)
			for _, m := range tr.Messages {
				if m.Kind == "survey" {
					tok = surveyRE.FindStringSubmatch(m.Body)[1]
				}
			}
			return tok != ""
		})
		s.must(200, "POST", "/v1/surveys/"+tok, "", map[string]any{"score": score}, nil)
	}
	var closed int
	eventually(t, "six surveys recorded", func() bool {
		_ = s.app.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM cases WHERE survey_score IS NOT NULL`).Scan(&closed)
		return closed == len(scores)
	})
	// Backdated complaints breach their 15-day clock at once; the
	// escalations that follow take a while to land. Wait for the figures
	// to settle, then read what the dashboard must show.
	var breached, open int
	stable := 0
	eventually(t, "the breaches to settle", func() bool {
		var b, o int
		_ = s.app.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE breached),
            count(*) FILTER (WHERE status NOT IN ('closed', 'withdrawn')) FROM cases`).Scan(&b, &o)
		if b == breached && o == open {
			stable++
		} else {
			stable = 0
		}
		breached, open = b, o
		return stable >= 20 // unchanged for 2 s
	})
	if open != len(rows)-len(scores) {
		t.Errorf("%d cases open, want %d", open, len(rows)-len(scores))
	}
	var categories []string
	rs, err := s.app.Store.Pool.Query(t.Context(), `SELECT DISTINCT category FROM cases ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var c string
		_ = rs.Scan(&c)
		categories = append(categories, c)
	}
	rs.Close()

	b := newBrowser(t, s.base)
	tab := b.tab("supervisor", 1280, 900)
	b.signIn(tab, sup)
	b.run(tab, chromedp.Navigate(b.base+"/console/dashboard"), visible(`#chart-category svg rect`))
	want := map[string]string{
		"#kpi-received":     fmt.Sprint(len(rows)),
		"#kpi-open":         fmt.Sprint(open),
		"#kpi-breaches":     fmt.Sprint(breached),
		"#kpi-satisfaction": "3.2 / 5", // (5+4+4+3+2+1)/6
	}
	for sel, w := range want {
		if got := b.text(tab, sel); got != w {
			t.Errorf("dashboard %s = %q, want %q", sel, got, w)
		}
	}
	var legend int
	b.run(tab, chromedp.Evaluate(`document.querySelectorAll('#chart-category .legend span').length`, &legend))
	if legend != len(categories) {
		t.Errorf("category chart has %d series, the cases have %d categories %v", legend, len(categories), categories)
	}
	t.Logf("dashboard: %d received, %d open, %d breached", len(rows), open, breached)
	b.shot(tab, "dashboard-cfpb")
	b.run(tab, chromedp.Navigate(b.base+"/console/dashboard?lang=zh"), visible(`#chart-category svg rect`))
	b.shot(tab, "dashboard-cfpb-zh")

	// The low-score inbox holds the two cases scored 2 and 1.
	b.run(tab, chromedp.Navigate(b.base+"/console/?view=low_scores&lang=en"), visible(`#inbox-body table`))
	var lowRows int
	b.run(tab, chromedp.Evaluate(`document.querySelectorAll('#inbox-body tbody tr').length`, &lowRows))
	if lowRows != 2 {
		t.Errorf("low-score inbox shows %d cases, want 2", lowRows)
	}
	b.shot(tab, "inbox-low-scores")
	b.run(tab, chromedp.Navigate(b.base+"/console/?view=unassigned"), visible(`#inbox-body`))
	b.shot(tab, "inbox-supervisor")
	b.run(tab, chromedp.Navigate(b.base+"/console/search?channel=web&sort=priority"), visible(`#results table`))
	b.shot(tab, "search-web")

	// The printable monthly report shows the API's rows, as a person
	// would print it.
	month := time.Now().UTC().Format("2006-01")
	var rep struct {
		Rows []struct {
			Unit  string `json:"unit"`
			Count int    `json:"count"`
		} `json:"rows"`
	}
	s.must(200, "GET", "/v1/reports/monthly?month="+month+"&level=team&tz=UTC", sup, nil, &rep)
	b.run(tab, chromedp.Navigate(b.base+"/console/reports?level=team&month="+month), visible(`#report-table`))
	var shown []struct {
		Unit  string `json:"unit"`
		Count string `json:"count"`
	}
	b.run(tab, chromedp.Evaluate(`[...document.querySelectorAll('#report-table tbody tr')].map((r) => ({unit: r.dataset.unit, count: r.cells[2].innerText}))`, &shown))
	if len(shown) != len(rep.Rows) || len(shown) == 0 {
		t.Fatalf("report page shows %d rows, the API %d", len(shown), len(rep.Rows))
	}
	for i, r := range rep.Rows {
		if shown[i].Unit != r.Unit || shown[i].Count != fmt.Sprint(r.Count) {
			t.Errorf("report row %d: page %+v, API %+v", i, shown[i], r)
		}
	}
	b.shot(tab, "report-monthly")
	b.run(tab, emulation.SetEmulatedMedia().WithMedia("print"))
	var controls bool
	b.run(tab, chromedp.Evaluate(`getComputedStyle(document.querySelector('#report-form').closest('section')).display !== 'none'`, &controls))
	if controls {
		t.Error("the report's controls are printed")
	}
	b.shot(tab, "report-monthly-print")
}
