package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/complaint-handling/complaints/internal/classify"
)

// DefaultEvalSet is the classifier's labelled evaluation set, relative to
// the repository's root (where make bench runs).
const DefaultEvalSet = "testdata/classify/eval.jsonl"

// evalSetBeside is the evaluation set in the testdata folder the CFPB
// sample (Options.Data, testdata/cfpb/...) is in, so a run from another
// directory that names its data finds it too.
func evalSetBeside(data string) string {
	if data == "" {
		return DefaultEvalSet
	}
	return filepath.Join(filepath.Dir(filepath.Dir(data)), "classify", "eval.jsonl")
}

// evaluateClassifier measures the shipped taxonomy's classifier on the
// evaluation set: accuracy and safety recall are figures of the report,
// not timed assertions; safety recall below 100% misses a target.
func evaluateClassifier(path string) (*classify.EvalReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("classification: %w", err)
	}
	defer f.Close()
	ex, err := classify.ReadExamples(f)
	if err != nil {
		return nil, err
	}
	seg, err := classify.NewSegmenter()
	if err != nil {
		return nil, err
	}
	tax, err := classify.Seed()
	if err != nil {
		return nil, err
	}
	rep := classify.Evaluate(classify.New(seg, tax), ex)
	rep.Misses = nil
	return &rep, nil
}

func printClassification(w io.Writer, c *classify.EvalReport) {
	if c == nil {
		return
	}
	fmt.Fprintf(w, "\nClassification (the shipped taxonomy on %s, %d labelled complaints)\n", DefaultEvalSet, c.Examples)
	fmt.Fprintf(w, "  category accuracy %.1f%% (zh %.1f%%, en %.1f%%), severity accuracy %.1f%%, safety recall %.1f%%, safety precision %.1f%%, %.0f µs per complaint\n",
		100*c.CategoryAccuracy, 100*c.ByLang["zh"], 100*c.ByLang["en"], 100*c.SeverityAccuracy, 100*c.SafetyRecall, 100*c.SafetyPrecision, c.MicrosPerComplaint)
}

func classificationTargets(c *classify.EvalReport, add func(name string, v float64, goal string, met bool)) {
	if c == nil {
		return
	}
	add("classification safety_recall_pct", 100*c.SafetyRecall, "= 100", c.SafetyRecall == 1)
}
