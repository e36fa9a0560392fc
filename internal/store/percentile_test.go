package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortedPercentile is percentile_cont over a sorted copy, the plain way.
func sortedPercentile(xs []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	pos := p * float64(len(s)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	v := s[int(lo)]
	if hi > lo {
		v += float64((pos - lo) * (s[int(hi)] - v))
	}
	return v
}

// TestPercentilesCont checks the selection against a sort over sizes from
// one value up, with many ties, sorted and reversed input and random
// spreads.
func TestPercentilesCont(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 5))
	inputs := map[string][]float64{"one": {7}, "two": {9, 1}, "ties": {5, 5, 5, 5, 5, 5}}
	for _, n := range []int{3, 10, 11, 101, 1000, 4097} {
		up, down, few, wide := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			up[i], down[i] = float64(i), float64(n-i)
			few[i] = float64(rng.IntN(3))
			wide[i] = rng.Float64() * 864000
		}
		inputs[fmt.Sprint("sorted ", n)], inputs[fmt.Sprint("reversed ", n)] = up, down
		inputs[fmt.Sprint("three values ", n)], inputs[fmt.Sprint("random ", n)] = few, wide
	}
	ps := [][]float64{{0.9, 0.5}, {1, 0.5, 0}, {0.5, 0.5}, {0.99, 0.01}}
	for name, xs := range inputs {
		for _, p := range ps {
			want := make([]float64, len(p))
			for i, q := range p {
				want[i] = sortedPercentile(xs, q)
			}
			got := percentilesCont(slices.Clone(xs), p...)
			for i := range p {
				if got[i] == nil || *got[i] != want[i] {
					t.Errorf("%s (%d values) at %v: got %v, want %v", name, len(xs), p[i], got[i], want[i])
				}
			}
		}
	}
	if got := percentilesCont(nil, 0.5); got[0] != nil {
		t.Errorf("no values: %v", *got[0])
	}
}
