package complaint

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SpikeDimensions are the case attributes a spike may be about (a new
// slice each call).
func SpikeDimensions() []string { return []string{"category", "cause", "product", "region"} }

// SpikeRule says when a value's recent intake is a spike: at least
// MinCount complaints in the last Window, and at least Factor times the
// value's usual rate, which is its count over the Baseline period before
// the window, scaled to one window. A value never seen before has a usual
// rate of zero, so MinCount alone decides.
type SpikeRule struct {
	Window     time.Duration `json:"window"`
	Baseline   time.Duration `json:"baseline"`
	MinCount   int           `json:"min_count"`
	Factor     float64       `json:"factor"`
	Dimensions []string      `json:"dimensions"`
	// Interval is how often the detector looks.
	Interval time.Duration `json:"interval"`
}

// DefaultSpikeRule: ten complaints in an hour about one value, three
// times its usual hourly rate over the week before; checked every minute.
func DefaultSpikeRule() SpikeRule {
	return SpikeRule{Window: time.Hour, Baseline: 7 * 24 * time.Hour, MinCount: 10, Factor: 3,
		Dimensions: SpikeDimensions(), Interval: time.Minute}
}

// Validate checks a configured rule; an error starts with the field's
// name ("min_count: ...").
func (r SpikeRule) Validate() error {
	switch {
	case r.Window <= 0:
		return fmt.Errorf("window: must be positive")
	case r.Baseline < r.Window:
		return fmt.Errorf("baseline: must be at least the window")
	case r.MinCount < 2:
		return fmt.Errorf("min_count: must be at least 2")
	case r.Factor < 1:
		return fmt.Errorf("factor: must be at least 1")
	case r.Interval <= 0:
		return fmt.Errorf("interval: must be positive")
	case len(r.Dimensions) == 0:
		return fmt.Errorf("dimensions: name at least one of %s", strings.Join(SpikeDimensions(), ", "))
	}
	for _, d := range r.Dimensions {
		if !slices.Contains(SpikeDimensions(), d) {
			return fmt.Errorf("dimensions: %q is not one of %s", d, strings.Join(SpikeDimensions(), ", "))
		}
	}
	return nil
}

// KeyCount is one dimension value's intake: in the window, and in the
// baseline period before it.
type KeyCount struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Recent    int    `json:"recent"`
	Baseline  int    `json:"baseline"`
}

// Spike is a value whose recent intake breaks the rule.
type Spike struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Recent    int    `json:"recent"`
	// Expected is the usual count in one window.
	Expected float64 `json:"expected"`
}

// Spikes applies rule to counts, in a stable order (most recent first).
func Spikes(counts []KeyCount, rule SpikeRule) []Spike {
	scale := float64(rule.Window) / float64(rule.Baseline)
	var out []Spike
	for _, c := range counts {
		if c.Value == "" || !slices.Contains(rule.Dimensions, c.Dimension) {
			continue
		}
		expected := float64(c.Baseline) * scale
		if c.Recent >= rule.MinCount && float64(c.Recent) >= rule.Factor*expected {
			out = append(out, Spike{Dimension: c.Dimension, Value: c.Value, Recent: c.Recent, Expected: expected})
		}
	}
	slices.SortStableFunc(out, func(a, b Spike) int {
		if a.Recent != b.Recent {
			return b.Recent - a.Recent
		}
		return strings.Compare(a.Dimension+"\x00"+a.Value, b.Dimension+"\x00"+b.Value)
	})
	return out
}
