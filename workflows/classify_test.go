package workflows_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/complaint-handling/complaints/complaint"
	wf "github.com/complaint-handling/complaints/workflows"
)

// TestClassificationFromInput: from VersionClassifier the case takes the
// classification the API made (internal/classify) from its Input, and
// staff may move it to a category of the taxonomy the built-in list does
// not have; earlier versions keep the keyword rules (the lift that fell
// with a child inside stays their other/low misfire) and the built-in
// list, so their histories replay.
func TestClassificationFromInput(t *testing.T) {
	lift := &complaint.Classification{Category: complaint.CategorySafety, Subcategory: "entrapment", Severity: complaint.SeverityCritical, Matched: "safety/entrapment:被困"}
	cases := []struct {
		name        string
		version     int
		given       *complaint.Classification
		reclassify  string // a category staff move the case to
		wantReject  string
		category    string
		severity    string
		priority    int
		team        string
		subcategory string
	}{
		{"v10 takes the API's classification", wf.VersionClassifier, lift, "", "", complaint.CategorySafety, complaint.SeverityCritical, 1, "safety", "entrapment"},
		{"v10 without one falls back to the keywords", wf.VersionClassifier, nil, "", "", complaint.CategoryOther, complaint.SeverityLow, 4, "general", ""},
		{"v10 with an unusable one falls back", wf.VersionClassifier, &complaint.Classification{Category: "Bad Code!", Severity: "spicy"}, "", "", complaint.CategoryOther, complaint.SeverityLow, 4, "general", ""},
		{"v6 ignores it: keyword rules", wf.VersionBoundedContacts, lift, "", "", complaint.CategoryOther, complaint.SeverityLow, 4, "general", ""},
		{"v10 reclassifies into a taxonomy category", wf.VersionClassifier, lift, "warranty", "", "warranty", complaint.SeverityHigh, 2, "safety", "entrapment"},
		{"v6 refuses a category outside the built-in list", wf.VersionBoundedContacts, nil, "warranty", "category", complaint.CategoryOther, complaint.SeverityLow, 4, "general", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.in.Subject, h.in.Description, h.in.Language, h.in.DesiredRemedy = "电梯突然下坠，孩子被困", "电梯突然下坠，孩子被困在里面", "zh", ""
			h.input = func(in *wf.Input) { in.Version, in.Classification = tc.version, tc.given }
			if tc.reclassify != "" {
				h.at(hr, wf.UpdateClassification, complaint.ClassificationRequest{Actor: actor("sup-sue"), Category: tc.reclassify,
					Severity: complaint.SeverityHigh, Reason: "a warranty matter"}, tc.wantReject)
			}
			h.at(2*hr, wf.UpdateWithdraw, complaint.WithdrawRequest{}, "")
			st := h.run()
			if st.Category != tc.category || st.Severity != tc.severity || st.Priority != tc.priority || st.Team != tc.team {
				t.Errorf("state %s/%s/%d team %s, want %s/%s/%d team %s", st.Category, st.Severity, st.Priority, st.Team,
					tc.category, tc.severity, tc.priority, tc.team)
			}
			var payload []byte
			if err := h.st.Pool.QueryRow(context.Background(), `SELECT payload FROM case_events WHERE case_id = $1 AND type = 'classified'`, h.in.CaseID).Scan(&payload); err != nil {
				t.Fatal(err)
			}
			var cls complaint.Classification
			if err := json.Unmarshal(payload, &cls); err != nil {
				t.Fatal(err)
			}
			if cls.Subcategory != tc.subcategory {
				t.Errorf("classified event's subcategory %q, want %q (%s)", cls.Subcategory, tc.subcategory, payload)
			}
		})
	}
}
