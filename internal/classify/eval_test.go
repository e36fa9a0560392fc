package classify

import (
	"os"
	"testing"

	"github.com/complaint-handling/complaints/complaint"
)

const evalSet = "../../testdata/classify/eval.jsonl"

func readEvalSet(t testing.TB) []Example {
	t.Helper()
	f, err := os.Open(evalSet)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamples(f)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// TestEvalSetShape checks the set is what issue 21 asks for: at least 200
// complaints, at least half Chinese, every category present, valid labels.
func TestEvalSetShape(t *testing.T) {
	ex := readEvalSet(t)
	if len(ex) < 200 {
		t.Errorf("%d examples, want at least 200", len(ex))
	}
	zh, cats, ids := 0, map[string]int{}, map[string]bool{}
	for _, e := range ex {
		if e.Lang == "zh" {
			zh++
		}
		cats[e.Category]++
		if !complaint.ValidCategory(e.Category) || !complaint.ValidSeverity(e.Severity) || e.Text == "" || ids[e.ID] {
			t.Errorf("bad example %+v", e)
		}
		ids[e.ID] = true
	}
	if 2*zh < len(ex) {
		t.Errorf("%d of %d Chinese, want at least half", zh, len(ex))
	}
	for _, c := range complaint.Categories() {
		if cats[c] == 0 {
			t.Errorf("no example of %s", c)
		}
	}
}

// TestEvaluation prints the classifier's accuracy on the evaluation set
// and fails when it misses any safety complaint: health and safety come
// first, so safety recall must be 100%. Accuracy is reported, not
// asserted (it is a figure to watch, not a gate).
func TestEvaluation(t *testing.T) {
	rep := Evaluate(seedClassifier(t), readEvalSet(t))
	t.Logf("examples %d: category accuracy %.1f%% (zh %.1f%%, en %.1f%%), severity accuracy %.1f%%, both %.1f%%, safety recall %.1f%%, safety precision %.1f%%, %.0f µs per complaint",
		rep.Examples, 100*rep.CategoryAccuracy, 100*rep.ByLang["zh"], 100*rep.ByLang["en"], 100*rep.SeverityAccuracy, 100*rep.BothAccuracy,
		100*rep.SafetyRecall, 100*rep.SafetyPrecision, rep.MicrosPerComplaint)
	for _, m := range rep.Misses {
		if testing.Verbose() {
			t.Logf("miss %s: want %s got %s (%s): %.80s", m.ID, m.Want, m.Got, m.Matched, m.Text)
		}
	}
	if rep.SafetyRecall < 1 {
		for _, m := range rep.Misses {
			if m.Want[:len(complaint.CategorySafety)] == complaint.CategorySafety && m.Category {
				t.Errorf("safety complaint missed: %s %q classified %s (%s)", m.ID, m.Text, m.Got, m.Matched)
			}
		}
		t.Fatalf("safety recall %.1f%%, must be 100%%", 100*rep.SafetyRecall)
	}
}

// BenchmarkClassify measures classification time per complaint over the
// evaluation set, and reports the set's accuracy and safety recall as
// figures (make bench-go).
func BenchmarkClassify(b *testing.B) {
	c := seedClassifier(b)
	ex := readEvalSet(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e := ex[i%len(ex)]
		c.Classify(complaint.Complaint{Subject: e.Text, Channel: e.Channel})
	}
	b.StopTimer()
	rep := Evaluate(c, ex)
	b.ReportMetric(100*rep.CategoryAccuracy, "category-accuracy-%")
	b.ReportMetric(100*rep.SeverityAccuracy, "severity-accuracy-%")
	b.ReportMetric(100*rep.SafetyRecall, "safety-recall-%")
}

// TestHoldout prints the figures on testdata/classify/holdout.jsonl,
// written after the taxonomy was tuned on the evaluation set and never
// tuned on: the fairer estimate. It asserts only that the set is read
// and scored; a safety miss here is a finding to report, not to tune
// away (docs/classification.md).
func TestHoldout(t *testing.T) {
	f, err := os.Open("../../testdata/classify/holdout.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamples(f)
	if err != nil {
		t.Fatal(err)
	}
	rep := Evaluate(seedClassifier(t), ex)
	if rep.Examples != len(ex) || len(ex) == 0 {
		t.Fatalf("scored %d of %d", rep.Examples, len(ex))
	}
	t.Logf("holdout %d: category accuracy %.1f%% (zh %.1f%%, en %.1f%%), severity accuracy %.1f%%, safety recall %.1f%%, safety precision %.1f%%",
		rep.Examples, 100*rep.CategoryAccuracy, 100*rep.ByLang["zh"], 100*rep.ByLang["en"], 100*rep.SeverityAccuracy, 100*rep.SafetyRecall, 100*rep.SafetyPrecision)
	for _, m := range rep.Misses {
		t.Logf("miss %s: want %s got %s (%s): %.80s", m.ID, m.Want, m.Got, m.Matched, m.Text)
	}
}
