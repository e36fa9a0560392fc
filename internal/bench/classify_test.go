package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestClassificationFigures: the bench run's classification section reads
// the evaluation set beside the CFPB sample, reports accuracy and safety
// recall as figures, and safety recall is a target.
func TestClassificationFigures(t *testing.T) {
	c, err := evaluateClassifier(evalSetBeside("../../testdata/cfpb/complaints-2023-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Examples < 200 || c.CategoryAccuracy <= 0 || c.SeverityAccuracy <= 0 || c.MicrosPerComplaint <= 0 {
		t.Errorf("figures %+v", c)
	}
	var out bytes.Buffer
	printClassification(&out, c)
	if !strings.Contains(out.String(), "category accuracy") || !strings.Contains(out.String(), "safety recall 100.0%") {
		t.Errorf("printed %q", out.String())
	}
	var targets []Target
	classificationTargets(c, func(name string, v float64, goal string, met bool) {
		targets = append(targets, Target{name, v, goal, met})
	})
	if len(targets) != 1 || !targets[0].Met {
		t.Errorf("targets %+v", targets)
	}
	t.Log(strings.TrimSpace(out.String()))
}
