package classify

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

type fakeSource struct {
	tax   complaint.Taxonomy
	err   error
	reads int
}

func (f *fakeSource) Taxonomy(context.Context) (complaint.Taxonomy, error) {
	f.reads++
	return f.tax, f.err
}

// TestServiceReloads: the service reads the taxonomy again after its TTL
// or an Invalidate, keeps the last one when the database fails, and does
// not wait past its context for a segmenter still loading.
func TestServiceReloads(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	seed, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{tax: seed}
	s := NewService(testSeg, src, time.Minute, slog.New(slog.DiscardHandler), func() time.Time { return now })
	text := complaint.Complaint{Subject: "延保卡一直没有寄给我"}
	category := func() string {
		t.Helper()
		r, err := s.Classify(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		return r.Category
	}
	if got := category(); got == "warranty" {
		t.Fatal("warranty before it exists")
	}
	added := seed
	added.Categories = append(append([]complaint.TaxonomyCategory{}, seed.Categories...), complaint.TaxonomyCategory{Code: "warranty",
		DefaultSeverity: "high", Terms: []complaint.TaxonomyTerm{{Lang: "zh", Text: "延保卡"}}})
	src.tax = added
	if got := category(); got == "warranty" || src.reads != 1 {
		t.Errorf("within the TTL: %s after %d reads, want the cached taxonomy", got, src.reads)
	}
	now = now.Add(2 * time.Minute)
	if got := category(); got != "warranty" || src.reads != 2 {
		t.Errorf("after the TTL: %s after %d reads", got, src.reads)
	}
	src.tax, src.err = seed, errors.New("database down")
	s.Invalidate()
	if got := category(); got != "warranty" || src.reads != 3 {
		t.Errorf("database down: %s after %d reads, want the last taxonomy read", got, src.reads)
	}

	block := make(chan struct{})
	defer close(block)
	loading := NewServiceLoading(func() (*Segmenter, error) { <-block; return testSeg, nil }, src, time.Minute, slog.New(slog.DiscardHandler), nil)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := loading.Classify(short, text); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("while loading: %v, want the context's deadline", err)
	}
	// /readyz reads Ready: not ready while the dictionary loads, ready
	// once it has.
	if loading.Ready() {
		t.Error("ready while the dictionary loads")
	}
	if !s.Ready() {
		t.Error("a service built on a loaded segmenter is not ready")
	}
	block2 := make(chan struct{})
	later := NewServiceLoading(func() (*Segmenter, error) { <-block2; return testSeg, nil }, src, time.Minute, slog.New(slog.DiscardHandler), nil)
	close(block2)
	deadline := time.Now().Add(5 * time.Second)
	for !later.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("not ready after its dictionary loaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
