package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/clock"
	"github.com/complaint-handling/complaints/internal/pgserver"
)

const deployDir = "../../deploy"

// TestPrometheusRulesAndConfig runs promtool over the shipped Prometheus
// configuration, alerting rules and the rules' unit tests.
func TestPrometheusRulesAndConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs promtool on the deployment's Prometheus files (half a minute on a busy machine): skipped under -short; make test runs it")
	}
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "rules.yml", "slo.yml", "engine.yml"},
		{"test", "rules", "rules_test.yml", "slo_test.yml", "engine_test.yml"},
	} {
		cmd := exec.Command("promtool", args...)
		cmd.Dir = filepath.Join(deployDir, "prometheus")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string   `json:"name"`
			Type  string   `json:"type"`
			Query varQuery `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Title      string `json:"title"`
		Type       string `json:"type"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// varQuery is a variable's query: an object with the query, or for a
// constant variable its value as a plain string.
type varQuery struct {
	Query string `json:"query"`
}

func (q *varQuery) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &q.Query)
	}
	type plain varQuery
	return json.Unmarshal(b, (*plain)(q))
}

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "grafana", "dashboards", "*.json"))
	if err != nil || len(files) != 4 {
		t.Fatalf("dashboards: %v %v", files, err)
	}
	var out []dashboard
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, d)
	}
	return out
}

// TestGrafanaProvisioning checks the dashboards use the provisioned data
// source and every panel has a query.
func TestGrafanaProvisioning(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "grafana", "provisioning", "datasources", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		Datasources []struct{ UID, Type, URL string } `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &ds); err != nil || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" {
		t.Fatalf("datasource provisioning: %+v %v", ds, err)
	}
	titles := []string{}
	for _, d := range loadDashboards(t) {
		titles = append(titles, d.Title)
		for _, p := range d.Panels {
			if p.Type == "row" {
				continue
			}
			if p.Datasource.UID != ds.Datasources[0].UID || len(p.Targets) == 0 {
				t.Errorf("%s / %s: data source %q, %d queries", d.Title, p.Title, p.Datasource.UID, len(p.Targets))
			}
		}
	}
	slices.Sort(titles)
	if strings.Join(titles, "|") != "Complaint SLA overview|Complaints operations|Complaints worker health|Temporal engine health" {
		t.Errorf("dashboards %v", titles)
	}
}

// TestDashboardsAndAlertsAgainstPrometheus runs a real Prometheus (with the
// shipped configuration and rules, re-pointed at this test's system and
// sped up) while a synthetic workload with short clocks goes through the
// API; then every dashboard query, every variable and every alert
// expression is evaluated through Prometheus's HTTP API and must parse and
// return data, and the alert for the forced breach must fire.
func TestDashboardsAndAlertsAgainstPrometheus(t *testing.T) {
	if _, err := exec.LookPath("prometheus"); err != nil {
		t.Fatal("prometheus is not installed: run scripts/ensure-deps.sh (make deps)")
	}
	// Clocks short enough to warn and breach within seconds.
	profiles := shortClocks()
	d := profiles["default"]
	d.Clocks = []clock.Spec{
		{Clock: clock.Acknowledge, Rule: clock.Within(time.Hour), Warn: []float64{0.5, 0.8}, Breach: clock.Breach{Escalate: true}},
		{Clock: clock.Resolve, Rule: clock.Within(15 * time.Second), Warn: []float64{0.5}, Pauses: true, Breach: clock.Breach{Escalate: true},
			Extensions: []clock.Extension{{To: clock.Within(time.Hour), Approver: complaint.RoleSupervisor, Label: "complex"}}},
	}
	progress := clock.Within(3 * time.Second)
	d.Progress = &progress
	profiles["default"] = d
	// The notification webhook fails its first two calls (retried).
	var hooks atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hooks.Add(1) <= 2 {
			http.Error(w, "down for a moment", http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	s := startStackWith(t, profiles, "NOTIFY_WEBHOOK_URL", hook.URL)
	prom := startPrometheus(t, s.app.APIAddr, "temporal-server", temporalServer(t).MetricsAddr())
	begun := time.Now()

	agent := s.token("agent-ann", "agent", "billing")
	sup := s.token("sup-sue", "supervisor", "billing")
	for _, tok := range []string{agent, sup, s.token("agent-sam", "agent", "service")} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	type filed struct{ id, token string }
	file := func(i int, channel, region string) filed {
		body := map[string]any{}
		for k, v := range complaintBody {
			body[k] = v
		}
		body["customer"] = map[string]any{"id": fmt.Sprintf("email:c%d@example.com", i), "name": "Customer", "email": fmt.Sprintf("c%d@example.com", i)}
		body["order_ref"] = fmt.Sprintf("ORD-OBS-%d", i)
		body["channel"], body["region"] = channel, region
		var cr map[string]any
		s.must(201, "POST", "/v1/complaints", agent, body, &cr)
		return filed{cr["id"].(string), cr["tracking_token"].(string)}
	}
	channels := []string{"web", "phone", "email", "web", "social", "store", "phone", "email"}
	regions := []string{"Shanghai", "CA", "北京市", "Mars", "", "Shanghai", "TX", "Guangdong"}
	var cases []filed
	for i := range channels {
		cases = append(cases, file(i, channels[i], regions[i]))
	}
	// A repeat contact on the first case's matter.
	rep := map[string]any{}
	for k, v := range complaintBody {
		rep[k] = v
	}
	rep["customer"] = map[string]any{"id": "email:c0@example.com", "name": "Customer", "email": "c0@example.com"}
	rep["order_ref"], rep["channel"] = "ORD-OBS-0", "phone"
	s.must(200, "POST", "/v1/complaints", "", rep, nil)

	waitStatus := func(c filed, want string) {
		eventually(t, c.id+" "+want, func() bool {
			var v struct{ Status string }
			s.must(200, "GET", "/v1/complaints/"+c.id, agent, nil, &v)
			return v.Status == want
		})
	}
	for _, c := range cases {
		waitStatus(c, "acknowledged")
	}
	s.must(200, "POST", "/v1/complaints/"+cases[5].id+"/extensions", agent, map[string]any{"clock": "resolve", "reason": "waiting for the courier's report"}, nil)
	s.must(200, "POST", "/v1/complaints/"+cases[5].id+"/extensions/decision", sup, map[string]any{"clock": "resolve", "decision": "approve"}, nil)
	s.must(200, "POST", "/v1/complaints/"+cases[6].id+"/transfer", sup, map[string]any{"team": "service", "reason": "a delivery matter"}, nil)
	s.must(200, "POST", "/v1/complaints/"+cases[6].id+"/escalate", sup, map[string]any{"reason": "the customer is vulnerable"}, nil)
	propose := func(c filed) {
		s.must(200, "POST", "/v1/complaints/"+c.id+"/findings", agent, map[string]any{"cause": "refund.delayed",
			"cause_detail": "refund.delayed.return_not_scanned", "responsibility": "company", "responsible_unit": "returns desk", "summary": "Not scanned."}, nil)
		s.must(200, "POST", "/v1/complaints/"+c.id+"/proposal", agent, map[string]any{
			"remedies": []map[string]any{{"type": "refund", "amount": 15000, "currency": "CNY"}}, "message": "We refund 150.00 CNY."}, nil)
	}
	// Three resolved, accepted and surveyed; one appealed; one left
	// awaiting approval; one extended; one transferred and escalated; the
	// rest breach.
	for i, c := range cases[:4] {
		propose(c)
		s.must(200, "POST", "/v1/complaints/"+c.id+"/approvals", sup, map[string]any{"decision": "approve"}, nil)
		waitStatus(c, "awaiting_customer")
		if i == 3 {
			s.must(200, "POST", "/v1/track/"+c.token+"/response", "", map[string]any{"decision": "reject", "comment": "Not enough."}, nil)
			continue
		}
		s.must(200, "POST", "/v1/track/"+c.token+"/response", "", map[string]any{"decision": "accept"}, nil)
		var survey string
		eventually(t, "survey link", func() bool {
			var tr struct{ Messages []struct{ Kind, Body string } }
			s.must(200, "GET", "/v1/track/"+c.token, "", nil, &tr)
			for _, m := range tr.Messages {
				if m.Kind == "survey" {
					survey = regexp.MustCompile(`/survey/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Body)[1]
				}
			}
			return survey != ""
		})
		s.must(200, "POST", "/v1/surveys/"+survey, "", map[string]any{"score": 3 + i}, nil)
	}
	propose(cases[4])

	// Let clocks breach and Prometheus scrape and evaluate.
	eventually(t, "a breach in the metrics", func() bool {
		r := prom.query(t, `sum(complaints_clock_breaches_total)`)
		return len(r) > 0
	})
	time.Sleep(5 * time.Second)

	names := prom.metricNames(t)
	subst := strings.NewReplacer("$__rate_interval", "2m", "$__range", "15m", "$profile", ".*", "$category", ".*", "$region", ".*",
		"$team", ".*", "$task_queue", ".*")
	var queries int
	for _, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			if v.Type == "constant" {
				continue // a setting (the console's URL for data links), not a query
			}
			m := regexp.MustCompile(`^label_values\((\w+), (\w+)\)$`).FindStringSubmatch(v.Query.Query)
			if m == nil {
				t.Errorf("%s: variable %s: query %q is not label_values(metric, label)", d.Title, v.Name, v.Query.Query)
				continue
			}
			if vals := prom.labelValues(t, m[2], m[1]); len(vals) == 0 {
				t.Errorf("%s: variable %s has no values", d.Title, v.Name)
			}
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				queries++
				if r := prom.query(t, subst.Replace(tg.Expr)); len(r) == 0 {
					t.Errorf("%s / %s: no data for %s", d.Title, p.Title, tg.Expr)
				}
			}
		}
	}
	// Every rule parses and evaluates; every metric an alert reads exists.
	var rules struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name, Query, Health, LastError, Type string
				}
			}
		}
	}
	prom.get(t, "/api/v1/rules", nil, &rules)
	var alerts int
	// A name after a colon is part of a recording rule's name
	// (level:metric:operation), which the rules themselves define.
	metricRE := regexp.MustCompile(`(?:^|[^:\w])((?:complaints|temporal)_[a-z_]+)\b`)
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Health != "ok" || r.LastError != "" {
				t.Errorf("rule %s: health %s %s", r.Name, r.Health, r.LastError)
			}
			for _, sm := range metricRE.FindAllStringSubmatch(r.Query, -1) {
				m := sm[1]
				// A healthy system refuses no change: the counter is
				// born with the first refusal (workflows' rejections.go).
				// Nor does it fail workflow tasks (engine.yml).
				if !names[m] && m != "complaints_store_rejected_total" && m != "temporal_workflow_task_execution_failed_total" {
					t.Errorf("rule %s reads %s, which the system does not export", r.Name, m)
				}
			}
		}
	}
	// rules.yml 17 (16 and mail's MessagesFailing), slo.yml 8 recording and
	// 4 alerting, engine.yml 4.
	if alerts != 33 {
		t.Errorf("%d rules loaded, want 33", alerts)
	}
	var firing struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string
				State  string
			}
		}
	}
	eventually(t, "ComplaintClockBreached firing", func() bool {
		prom.get(t, "/api/v1/alerts", nil, &firing)
		for _, a := range firing.Data.Alerts {
			if a.Labels["alertname"] == "ComplaintClockBreached" && a.Labels["clock"] == "resolve" && a.State == "firing" {
				return true
			}
		}
		return false
	})
	for _, a := range firing.Data.Alerts {
		// The front door refuses nothing of the system's own: every payload
		// is encrypted, every update signed.
		switch a.Labels["alertname"] {
		case "NoWorkerPolling", "ComplaintsTargetDown", "TemporalPayloadsRefused", "ForgedDecisionsRefused",
			"TemporalServerDown", "TemporalTaskBacklogAging", "TemporalPersistenceErrors", "TemporalWorkflowTasksFailing":
			t.Errorf("alert %v is %s on a healthy system", a.Labels, a.State)
		}
	}
	for _, d := range loadDashboards(t) {
		t.Logf("plot of %s: %s", d.Title, plotDashboard(t, prom, d, subst, time.Since(begun).Round(time.Second)+5*time.Second))
	}
	t.Logf("%d dashboard queries and %d rules evaluated against Prometheus; %d metric names exported", queries, alerts, len(names))
}

type promServer struct{ base string }

// startPrometheus runs Prometheus with the shipped configuration and rules,
// every job pointed at addr (the test's one process serves the API and the
// worker) unless jobAddrs (job, address pairs) name another, scraping and
// evaluating every second.
func startPrometheus(t *testing.T, addr string, jobAddrs ...string) *promServer {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	global := cfg["global"].(map[string]any)
	global["scrape_interval"], global["evaluation_interval"] = "1s", "1s"
	for _, f := range cfg["rule_files"].([]any) {
		rules, err := os.ReadFile(filepath.Join(deployDir, "prometheus", f.(string)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.(string)), rules, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jobs := 0
	for _, sc := range cfg["scrape_configs"].([]any) {
		target := addr
		for i := 0; i+1 < len(jobAddrs); i += 2 {
			if sc.(map[string]any)["job_name"] == jobAddrs[i] {
				target = jobAddrs[i+1]
			}
		}
		delete(sc.(map[string]any), "dns_sd_configs")
		sc.(map[string]any)["static_configs"] = []any{map[string]any{"targets": []string{target}}}
		jobs++
	}
	out, _ := yaml.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	port, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "prometheus", "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+listen, "--log.level=warn")
	logf, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s", b)
		}
	})
	p := &promServer{base: "http://" + listen}
	eventually(t, "prometheus ready and scraping", func() bool {
		resp, err := http.Get(p.base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return false
		}
		return len(p.query(t, `up == 1`)) == jobs
	})
	return p
}

func (p *promServer) get(t *testing.T, path string, params url.Values, out any) {
	t.Helper()
	u := p.base + path
	if params != nil {
		u += "?" + params.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s %v: %d %s", path, params, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatal(err)
	}
}

// query evaluates an instant query; a parse or evaluation error fails the
// test.
func (p *promServer) query(t *testing.T, q string) []json.RawMessage {
	t.Helper()
	var r struct {
		Status string
		Data   struct{ Result []json.RawMessage }
	}
	p.get(t, "/api/v1/query", url.Values{"query": {q}}, &r)
	return r.Data.Result
}

func (p *promServer) labelValues(t *testing.T, label, metric string) []string {
	t.Helper()
	var r struct{ Data []string }
	p.get(t, "/api/v1/label/"+label+"/values", url.Values{"match[]": {metric}}, &r)
	return r.Data
}

// metricNames are the metric names Prometheus has, with the histogram and
// counter suffixes also recorded as their base names.
func (p *promServer) metricNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, n := range p.labelValues(t, "__name__", `{__name__=~"complaints_.*|temporal_.*|process_.*|up"}`) {
		names[n] = true
	}
	return names
}
