package app_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/classify"
)

// TestClassificationAndTaxonomyThroughTheAPI: new complaints are
// classified by the taxonomy before their workflows start (the misfires
// of issue 21 land in the right category and team); an admin's taxonomy
// edit is checked field by field, audited, and classifies the next
// complaint at once; a supervisor's reclassification names a taxonomy
// category, and the override is exported as a labelled example.
func TestClassificationAndTaxonomyThroughTheAPI(t *testing.T) {
	s := startStack(t)
	admin, sup, agent := s.token("admin-ada", "admin", ""), s.token("sup-sue", "supervisor", "quality"), s.token("agent-ann", "agent", "quality")
	for _, tok := range []string{admin, sup, agent} {
		s.must(200, "GET", "/v1/me", tok, nil, nil)
	}
	type caseRow struct {
		Category string  `json:"category"`
		Severity string  `json:"severity"`
		Team     *string `json:"team"`
	}
	get := func(id string) caseRow {
		var c caseRow
		s.must(200, "GET", "/v1/complaints/"+id, sup, nil, &c)
		return c
	}
	zh := map[string]any{"language": "zh", "desired_remedy": "", "product": "", "channel": "phone"}
	with := func(subject string) map[string]any {
		m := map[string]any{"subject": subject, "description": subject}
		for k, v := range zh {
			m[k] = v
		}
		return m
	}
	ids := map[string]string{}
	for i, tc := range []struct{ subject, category, severity, team string }{
		{"新车左前玻璃升降器失灵", complaint.CategoryProductQuality, complaint.SeverityMedium, "quality"},
		{"电梯突然下坠，孩子被困", complaint.CategorySafety, complaint.SeverityCritical, "safety"},
		{"客服态度恶劣，还骂人", complaint.CategoryServiceAttitude, complaint.SeverityMedium, "service"},
		{"I was shocked by the price", complaint.CategoryBilling, complaint.SeverityMedium, "billing"},
	} {
		t.Run(tc.subject, func(t *testing.T) {
			id := s.file("cust-cls-"+string(rune('a'+i)), "ORD-CLS-"+string(rune('a'+i)), with(tc.subject))
			ids[tc.subject] = id
			if c := get(id); c.Category != tc.category || c.Severity != tc.severity || deref(c.Team) != tc.team {
				t.Errorf("%s: %s/%s team %s, want %s/%s team %s", tc.subject, c.Category, c.Severity, deref(c.Team), tc.category, tc.severity, tc.team)
			}
		})
	}

	var tax complaint.Taxonomy
	s.must(200, "GET", "/v1/taxonomy", agent, nil, &tax)
	if len(tax.Categories) != len(complaint.Categories()) {
		t.Errorf("taxonomy has %d categories, want the %d shipped", len(tax.Categories), len(complaint.Categories()))
	}
	warranty := map[string]any{"name_zh": "延保", "name_en": "Extended warranty", "team": "quality", "default_severity": "high",
		"terms": []map[string]string{{"lang": "zh", "text": "延保卡"}}}
	s.must(403, "PUT", "/v1/taxonomy/categories/warranty", agent, warranty, nil)

	// Every bad field at once, each with its code.
	var bad struct {
		Errors []complaint.FieldError `json:"errors"`
	}
	s.must(422, "PUT", "/v1/taxonomy/categories/Bad-Code", admin, map[string]any{"name_zh": "", "name_en": "x", "team": "", "default_severity": "spicy",
		"terms": []map[string]string{{"lang": "fr", "text": "Fire"}}}, &bad)
	want := map[string]string{"code": complaint.CodeInvalidCode, "name_zh": complaint.CodeRequired, "team": complaint.CodeRequired,
		"default_severity": complaint.CodeOneOf, "terms[0].lang": complaint.CodeOneOf, "terms[0].text": complaint.CodeInvalid}
	got := map[string]string{}
	for _, e := range bad.Errors {
		got[e.Field] = e.Code
	}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("field %s: code %q, want %q (all: %v)", f, got[f], code, got)
		}
	}
	s.must(422, "PUT", "/v1/taxonomy/categories/warranty", admin, map[string]any{"name_zh": "延保", "name_en": "Warranty", "team": "nobody",
		"default_severity": "high"}, &bad)
	if len(bad.Errors) != 1 || bad.Errors[0].Code != complaint.CodeUnknownTeam {
		t.Errorf("unknown team: %+v", bad.Errors)
	}
	s.must(422, "DELETE", "/v1/taxonomy/categories/safety", admin, nil, &bad)
	if len(bad.Errors) != 1 || bad.Errors[0].Code != complaint.CodeBuiltinCategory {
		t.Errorf("deleting safety: %+v", bad.Errors)
	}

	// The edit classifies the next complaint at once.
	s.must(201, "PUT", "/v1/taxonomy/categories/warranty", admin, warranty, &tax)
	var tried struct {
		Classification complaint.Classification `json:"classification"`
		Matches        []classify.Match         `json:"matches"`
	}
	s.must(200, "POST", "/v1/taxonomy/classify", admin, map[string]any{"subject": "延保卡一直没有寄给我"}, &tried)
	if tried.Classification.Category != "warranty" || len(tried.Matches) == 0 {
		t.Errorf("tried: %+v", tried)
	}
	id := s.file("cust-cls-w", "ORD-CLS-W", with("延保卡一直没有寄给我"))
	if c := get(id); c.Category != "warranty" || c.Severity != complaint.SeverityHigh || deref(c.Team) != "quality" {
		t.Errorf("after the edit: %s/%s team %s, want warranty/high team quality", c.Category, c.Severity, deref(c.Team))
	}

	// Reclassification: an unknown category is named with the other bad
	// fields; a taxonomy one is taken and exported.
	window := ids["新车左前玻璃升降器失灵"]
	s.must(422, "POST", "/v1/complaints/"+window+"/classification", sup, map[string]any{"category": "nothing_such", "severity": "spicy", "reason": ""}, &bad)
	got = map[string]string{}
	for _, e := range bad.Errors {
		got[e.Field] = e.Code
	}
	if got["category"] != complaint.CodeUnknownCategory || got["severity"] != complaint.CodeOneOf || got["reason"] != complaint.CodeRequired {
		t.Errorf("bad reclassification: %v", got)
	}
	s.must(200, "POST", "/v1/complaints/"+window+"/classification", sup, map[string]any{"category": "warranty", "severity": "high",
		"reason": "the regulator is under the extended warranty"}, nil)
	eventually(t, "the override in the case row", func() bool { return get(window).Category == "warranty" })

	overrides := func(tok string) (int, []classify.Example) {
		req, _ := http.NewRequest("GET", s.base+"/v1/taxonomy/overrides.jsonl", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return resp.StatusCode, nil
		}
		ex, err := classify.ReadExamples(bufio.NewReader(resp.Body))
		if err != nil {
			t.Fatal(err)
		}
		return 200, ex
	}
	if code, _ := overrides(agent); code != 403 {
		t.Errorf("an agent's export: %d, want 403", code)
	}
	code, ex := overrides(admin)
	if code != 200 || len(ex) != 1 {
		t.Fatalf("export: %d, %+v", code, ex)
	}
	if e := ex[0]; e.Category != "warranty" || e.Severity != "high" || e.OriginalCategory != complaint.CategoryProductQuality ||
		e.OriginalSeverity != complaint.SeverityMedium || e.By != "sup-sue" || !strings.Contains(e.Text, "玻璃升降器") || e.Lang != "zh" {
		t.Errorf("exported override %+v", e)
	}

	var changes struct {
		Changes []struct {
			Actor  string          `json:"actor"`
			Action string          `json:"action"`
			Target string          `json:"target"`
			After  json.RawMessage `json:"after"`
		} `json:"changes"`
	}
	s.must(200, "GET", "/v1/taxonomy/changes", admin, nil, &changes)
	if len(changes.Changes) != 2 || changes.Changes[0].Action != "put_category" || changes.Changes[0].Actor != "admin-ada" ||
		changes.Changes[0].Target != "warranty" || changes.Changes[1].Action != "seed" {
		t.Errorf("audited changes: %+v", changes.Changes)
	}
}
