package classify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

// Example is one labelled complaint of the evaluation set
// (testdata/classify/eval.jsonl, one JSON object a line), and of the
// export of staff overrides, which adds the original labels and who
// changed them.
type Example struct {
	ID          string `json:"id"`
	Lang        string `json:"lang"`
	Source      string `json:"source"`
	Channel     string `json:"channel"`
	Text        string `json:"text"`
	Category    string `json:"category"`
	Subcategory string `json:"subcategory,omitempty"`
	Severity    string `json:"severity"`
	// The override export's fields: what the case was classified as
	// before staff changed it, who changed it, when and why.
	OriginalCategory string     `json:"original_category,omitempty"`
	OriginalSeverity string     `json:"original_severity,omitempty"`
	By               string     `json:"by,omitempty"`
	At               *time.Time `json:"at,omitempty"`
	Reason           string     `json:"reason,omitempty"`
}

// ReadExamples reads an evaluation set.
func ReadExamples(r io.Reader) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Example
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("classify.ReadExamples: line %d: %w", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("classify.ReadExamples: %w", err)
	}
	return out, nil
}

// EvalReport is how a classifier does on an evaluation set.
type EvalReport struct {
	Examples int `json:"examples"`
	// CategoryAccuracy, SeverityAccuracy and BothAccuracy are fractions
	// of the examples classified right.
	CategoryAccuracy float64 `json:"category_accuracy"`
	SeverityAccuracy float64 `json:"severity_accuracy"`
	BothAccuracy     float64 `json:"both_accuracy"`
	// SafetyRecall is the fraction of safety examples classified safety;
	// SafetyPrecision the fraction of those classified safety that are.
	SafetyRecall    float64 `json:"safety_recall"`
	SafetyPrecision float64 `json:"safety_precision"`
	// ByLang is the category accuracy per language.
	ByLang map[string]float64 `json:"category_accuracy_by_lang"`
	// MicrosPerComplaint is the mean classification time.
	MicrosPerComplaint float64 `json:"micros_per_complaint"`
	// Misses are the examples classified wrong.
	Misses []Miss `json:"misses,omitempty"`
}

// Miss is one example classified wrong.
type Miss struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Want     string `json:"want"`
	Got      string `json:"got"`
	Matched  string `json:"matched"`
	Category bool   `json:"category_wrong"`
}

// Evaluate classifies every example and measures the result.
func Evaluate(c *Classifier, examples []Example) EvalReport {
	rep := EvalReport{Examples: len(examples), ByLang: map[string]float64{}}
	var cat, sev, both, safety, safetyHit, safetyGot int
	langN, langOK := map[string]int{}, map[string]int{}
	start := time.Now()
	for _, e := range examples {
		r := c.Classify(complaint.Complaint{Subject: e.Text, Channel: e.Channel})
		okCat, okSev := r.Category == e.Category, r.Severity == e.Severity
		langN[e.Lang]++
		if okCat {
			cat++
			langOK[e.Lang]++
		}
		if okSev {
			sev++
		}
		if okCat && okSev {
			both++
		} else {
			rep.Misses = append(rep.Misses, Miss{ID: e.ID, Text: e.Text, Want: e.Category + "/" + e.Severity,
				Got: r.Category + "/" + r.Severity, Matched: r.Matched, Category: !okCat})
		}
		if e.Category == complaint.CategorySafety {
			safety++
			if r.Category == complaint.CategorySafety {
				safetyHit++
			}
		}
		if r.Category == complaint.CategorySafety {
			safetyGot++
		}
	}
	if n := len(examples); n > 0 {
		rep.MicrosPerComplaint = float64(time.Since(start).Microseconds()) / float64(n)
		rep.CategoryAccuracy = float64(cat) / float64(n)
		rep.SeverityAccuracy = float64(sev) / float64(n)
		rep.BothAccuracy = float64(both) / float64(n)
	}
	if safety > 0 {
		rep.SafetyRecall = float64(safetyHit) / float64(safety)
	}
	if safetyGot > 0 {
		rep.SafetyPrecision = float64(safetyHit) / float64(safetyGot)
	}
	for l, n := range langN {
		rep.ByLang[l] = float64(langOK[l]) / float64(n)
	}
	return rep
}
