package complaint

import (
	"testing"
	"time"
)

func TestSpikes(t *testing.T) {
	rule := SpikeRule{Window: time.Hour, Baseline: 10 * time.Hour, MinCount: 5, Factor: 3,
		Dimensions: []string{"product", "region"}, Interval: time.Minute}
	tests := []struct {
		name   string
		counts []KeyCount
		want   []string
	}{
		{"a new product with enough complaints", []KeyCount{{"product", "meter", 5, 0}}, []string{"product=meter"}},
		{"below the minimum", []KeyCount{{"product", "meter", 4, 0}}, nil},
		// 20 in the ten hours before: 2 an hour usual; 6 is three times that.
		{"three times the usual rate", []KeyCount{{"product", "meter", 6, 20}}, []string{"product=meter"}},
		{"busy but usual", []KeyCount{{"product", "meter", 50, 200}}, nil},
		{"just under three times", []KeyCount{{"product", "meter", 5, 17}}, nil},
		{"a dimension the rule does not watch", []KeyCount{{"category", "billing", 40, 0}}, nil},
		{"no value", []KeyCount{{"region", "", 40, 0}}, nil},
		{"largest first, then by key", []KeyCount{{"region", "SH", 7, 0}, {"product", "meter", 9, 0}, {"product", "kettle", 7, 0}},
			[]string{"product=meter", "product=kettle", "region=SH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range Spikes(tt.counts, rule) {
				got = append(got, s.Dimension+"="+s.Value)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Spikes = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("Spikes = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestSpikeRuleValidate(t *testing.T) {
	if err := DefaultSpikeRule().Validate(); err != nil {
		t.Fatalf("default rule: %v", err)
	}
	bad := []func(*SpikeRule){
		func(r *SpikeRule) { r.Window = 0 },
		func(r *SpikeRule) { r.Baseline = r.Window / 2 },
		func(r *SpikeRule) { r.MinCount = 1 },
		func(r *SpikeRule) { r.Factor = 0.5 },
		func(r *SpikeRule) { r.Interval = 0 },
		func(r *SpikeRule) { r.Dimensions = nil },
		func(r *SpikeRule) { r.Dimensions = []string{"colour"} },
	}
	for i, f := range bad {
		r := DefaultSpikeRule()
		f(&r)
		if r.Validate() == nil {
			t.Errorf("case %d: %+v accepted", i, r)
		}
	}
}
