package apiserver

import (
	"encoding/json"
	"fmt"
	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/attachments"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/internal/clock"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// enumAt is one enum of the OpenAPI document: where it is, what it names
// (the property, parameter or schema), and its values.
type enumAt struct {
	path, name string
	values     []string
}

// documentEnums walks the OpenAPI document as JSON and returns every enum.
func documentEnums(t *testing.T) []enumAt {
	t.Helper()
	doc, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []enumAt
	var walk func(path []string, name string, v any)
	walk = func(path []string, name string, v any) {
		switch m := v.(type) {
		case map[string]any:
			if n, ok := m["name"].(string); ok && m["in"] != nil {
				name = n // a parameter: its schema's enum is the parameter's
			}
			if e, ok := m["enum"].([]any); ok {
				vals := make([]string, len(e))
				for i, x := range e {
					vals[i] = fmt.Sprint(x)
				}
				out = append(out, enumAt{strings.Join(path, "/"), name, vals})
			}
			for _, k := range slices.Sorted(maps.Keys(m)) {
				next := name
				switch {
				case len(path) > 0 && (path[len(path)-1] == "properties" || path[len(path)-1] == "schemas"):
					next = k
				}
				walk(append(slices.Clone(path), k), next, m[k])
			}
		case []any:
			for i, x := range m {
				walk(append(slices.Clone(path), fmt.Sprint(i)), name, x)
			}
		}
	}
	walk(nil, "", v)
	return out
}

// TestOpenAPIEnumsAreTheGoLists proves every enum of the OpenAPI document
// equals the Go list it documents, each of its kind wherever it appears,
// and that no enum is left unaccounted for: a list changed in Go, or an
// enum added to the document, fails here until the two agree.
func TestOpenAPIEnumsAreTheGoLists(t *testing.T) {
	codes := make([]string, 0, len(complaint.ErrorCodes()))
	for _, c := range complaint.ErrorCodes() {
		codes = append(codes, c.Code)
	}
	incidents := func(path string) bool {
		return strings.Contains(path, "/v1/incidents") || strings.Contains(path, "schemas/Incident")
	}
	// lists are the Go lists by the name the document gives them.
	lists := []struct {
		kind  string
		match func(e enumAt) bool
		want  []string
	}{
		// The response scripts' own lists (scripts.go) come first: their
		// status and type are not a case's.
		{"script statuses", func(e enumAt) bool {
			return (e.name == "status" || e.name == "type") && (strings.Contains(e.path, "/v1/scripts") || strings.Contains(e.path, "schemas/Script"))
		}, []string{complaint.ScriptProposed, complaint.ScriptApproved, complaint.ScriptSuperseded}},
		{"script stages", func(e enumAt) bool { return e.name == "stage" }, complaint.ScriptStages()},
		{"abuse kinds", func(e enumAt) bool { return e.name == "kind" && strings.Contains(e.path, "/abuse") }, complaint.AbuseKinds()},
		{"statuses", func(e enumAt) bool {
			return e.name == "Status" || e.name == "status" && !incidents(e.path) && !strings.Contains(e.path, "/deliveries/")
		}, complaint.Statuses()},
		{"categories", func(e enumAt) bool { return e.name == "category" }, complaint.Categories()},
		{"severities", func(e enumAt) bool { return e.name == "severity" || e.name == "default_severity" }, complaint.Severities()},
		{"term languages", func(e enumAt) bool { return e.name == "lang" }, []string{complaint.TermZH, complaint.TermEN}},
		{"taxonomy edits", func(e enumAt) bool { return e.name == "action" && strings.Contains(e.path, "/v1/taxonomy") }, store.TaxonomyActions()},
		{"remedy types", func(e enumAt) bool { return e.name == "type" }, complaint.RemedyTypes()},
		{"remedy amount rules", func(e enumAt) bool { return e.name == "amount" },
			[]string{string(complaint.AmountRequired), string(complaint.AmountOptional), string(complaint.AmountNone)}},
		{"message channels", func(e enumAt) bool { return e.name == "channel" && strings.Contains(e.path, "/deliveries/") }, store.MessageChannels()},
		{"delivery statuses", func(e enumAt) bool { return e.name == "status" && strings.Contains(e.path, "/deliveries/") }, store.DeliveryStatuses()},
		{"audiences", func(e enumAt) bool { return e.name == "audience" }, store.Audiences()},
		{"contact channels", func(e enumAt) bool {
			return (e.name == "channel" || e.name == "available") && strings.Contains(e.path, "/preferences/")
		}, store.ContactChannels()},
		{"channels", func(e enumAt) bool { return e.name == "channel" && !strings.Contains(e.path, "/preferences/") }, Channels()},
		{"languages", func(e enumAt) bool { return e.name == "language" }, Languages()},
		{"roles", func(e enumAt) bool { return e.name == "role" }, complaint.Roles()},
		{"responsibilities", func(e enumAt) bool { return e.name == "responsibility" }, complaint.Responsibilities()},
		{"clock names", func(e enumAt) bool { return e.name == "Clock" }, complaint.ClockNames()},
		{"spike dimensions", func(e enumAt) bool { return e.name == "dimension" }, complaint.SpikeDimensions()},
		{"profiles", func(e enumAt) bool { return e.name == "profile" }, slices.Sorted(maps.Keys(complaint.Profiles()))},
		{"actions", func(e enumAt) bool { return e.name == "actions" }, wf.ActionNames()},
		{"fulfilment states", func(e enumAt) bool { return e.name == "state" }, []string{complaint.FulfilmentShipped, complaint.FulfilmentDone, complaint.FulfilmentFailed}},
		{"monthly levels", func(e enumAt) bool { return e.name == "level" }, store.MonthlyLevels()},
		{"clock units", func(e enumAt) bool { return e.name == "unit" },
			[]string{string(clock.CalendarTime), string(clock.BusinessHours), string(clock.BusinessDays), string(clock.WorkingDays)}},
		{"problem codes", func(e enumAt) bool { return e.name == "code" }, codes},
		{"chat kinds", func(e enumAt) bool { return e.name == "kind" && strings.Contains(e.path, "hannel") }, store.ChatKinds()},
		{"attachment types", func(e enumAt) bool { return e.name == "content_type" }, attachments.AllowedTypes()},
		{"scan statuses", func(e enumAt) bool { return e.name == "scan_status" }, attachments.ScanStatuses()},
		{"party kinds", func(e enumAt) bool { return e.name == "kind" && strings.Contains(e.path, "/Party/") }, complaint.PartyKinds()},
		{"addable party kinds", func(e enumAt) bool { return e.name == "kind" && strings.Contains(e.path, "/PartyRequest/") }, complaint.AddablePartyKinds()},
	}
	// fixed are a route's own words, no list of the domain: the test
	// pins where they may appear, so a new enum must be placed above.
	fixed := map[string]bool{"decision": true, "sort": true, "format": true, "outcome": true, "resolution_status": true, "action": true}
	enums := documentEnums(t)
	seen := map[string]int{}
	for _, e := range enums {
		i := slices.IndexFunc(lists, func(l struct {
			kind  string
			match func(e enumAt) bool
			want  []string
		}) bool {
			return l.match(e)
		})
		switch {
		case i >= 0:
			seen[lists[i].kind]++
			got, want := slices.Sorted(slices.Values(e.values)), slices.Sorted(slices.Values(lists[i].want))
			if !slices.Equal(got, want) {
				t.Errorf("%s at %s: the document says %v, the Go list %v", lists[i].kind, e.path, e.values, lists[i].want)
			}
			if len(slices.Compact(got)) != len(e.values) {
				t.Errorf("%s at %s: %v repeats a value", lists[i].kind, e.path, e.values)
			}
		case fixed[e.name], e.name == "status" && incidents(e.path):
		default:
			t.Errorf("enum %q at %s (%v) documents no Go list: add it to this test", e.name, e.path, e.values)
		}
	}
	for _, l := range lists {
		if seen[l.kind] == 0 {
			t.Errorf("no enum of %s in the document", l.kind)
		}
	}
	if len(enums) < 25 || seen["channels"] < 2 || seen["responsibilities"] < 2 {
		t.Errorf("%d enums, per list %v; is the walk stale?", len(enums), seen)
	}

	// The breakdown's by parameter is a comma-separated list, documented
	// in words: the same words as the Go list.
	doc, _ := Spec()
	var by string
	for _, p := range doc.Paths.Find("/v1/reports/breakdown").Get.Parameters {
		if p.Value.Name == "by" {
			by = p.Value.Description
		}
	}
	m := regexp.MustCompile(`comma-separated: (.*)$`).FindStringSubmatch(by)
	if m == nil || !slices.Equal(strings.Split(m[1], ", "), store.ReportDimensions()) {
		t.Errorf("by is documented as %q; the report dimensions are %v", by, store.ReportDimensions())
	}
}

// TestListsAreLabelledInEveryLanguage checks GET /v1/lists answers without
// a token with every Go list, and that every value of every list has a
// label of its own in zh and in en (not the translation key, not empty).
func TestListsAreLabelledInEveryLanguage(t *testing.T) {
	s := newTestServer(t)
	w := get(t, s, "/v1/lists")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /v1/lists without a token: %d %s", w.Code, w.Body)
	}
	var l Lists
	if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	t.Logf("GET /v1/lists: %d bytes, Cache-Control %q", w.Body.Len(), w.Header().Get("Cache-Control"))
	type labelled struct {
		value  string
		labels Labels
	}
	flat := func(kind string, items []ListItem) (string, []labelled) {
		out := make([]labelled, len(items))
		for i, x := range items {
			out[i] = labelled{x.Value, x.Labels}
		}
		return kind, out
	}
	all := map[string][]labelled{}
	add := func(kind string, items []labelled) { all[kind] = items }
	var statuses, customer, kinds, roles, dims, codes []ListItem
	for _, x := range l.Statuses {
		statuses = append(statuses, x.ListItem)
		customer = append(customer, ListItem{x.Value, x.CustomerLabels})
	}
	for _, x := range l.RemedyKinds {
		kinds = append(kinds, x.ListItem)
	}
	for _, x := range l.Roles {
		roles = append(roles, x.ListItem)
	}
	for _, x := range l.ReportDimensions {
		dims = append(dims, x.ListItem)
	}
	for _, x := range l.ProblemCodes {
		codes = append(codes, x.ListItem)
	}
	add(flat("statuses", statuses))
	add(flat("statuses as the customer reads them", customer))
	add(flat("categories", l.Categories))
	add(flat("severities", l.Severities))
	add(flat("remedy kinds", kinds))
	add(flat("channels", l.Channels))
	add(flat("languages", l.Languages))
	add(flat("roles", roles))
	add(flat("responsibilities", l.Responsibilities))
	add(flat("report dimensions", dims))
	add(flat("spike dimensions", l.SpikeDimensions))
	add(flat("clocks", l.Clocks))
	add(flat("problem codes", codes))
	add(flat("script stages", l.ScriptStages))
	add(flat("abuse kinds", l.AbuseKinds))
	want := map[string][]string{
		"statuses": complaint.Statuses(), "statuses as the customer reads them": complaint.Statuses(), "categories": complaint.Categories(),
		"severities": complaint.Severities(), "remedy kinds": complaint.RemedyTypes(), "channels": Channels(), "languages": Languages(),
		"roles": complaint.Roles(), "responsibilities": complaint.Responsibilities(), "report dimensions": store.ReportDimensions(),
		"spike dimensions": complaint.SpikeDimensions(), "clocks": complaint.ClockNames(),
		"script stages": complaint.ScriptStages(), "abuse kinds": complaint.AbuseKinds(),
	}
	for _, c := range complaint.ErrorCodes() {
		want["problem codes"] = append(want["problem codes"], c.Code)
	}
	han := regexp.MustCompile(`\p{Han}`)
	for kind, items := range all {
		t.Run(kind, func(t *testing.T) {
			var got []string
			for _, x := range items {
				got = append(got, x.value)
				for _, lang := range Languages() {
					// A value without a translation is labelled with its key.
					if label := x.labels[lang]; label == "" || strings.HasSuffix(label, "."+x.value) {
						t.Errorf("%s %q has no %s label (%q)", kind, x.value, lang, label)
					}
				}
				if !han.MatchString(x.labels["zh"]) || han.MatchString(x.labels["en"]) {
					t.Errorf("%s %q: zh %q is not Chinese, or en %q is not English", kind, x.value, x.labels["zh"], x.labels["en"])
				}
			}
			if !slices.Equal(got, want[kind]) {
				t.Errorf("%s: %v, the Go list is %v", kind, got, want[kind])
			}
		})
	}
	if len(all) != len(want) {
		t.Errorf("%d lists checked, %d expected", len(all), len(want))
	}
}
