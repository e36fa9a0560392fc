package classify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

// Source reads the taxonomy (the store).
type Source interface {
	Taxonomy(ctx context.Context) (complaint.Taxonomy, error)
}

// Service classifies against the taxonomy in the database, reading it
// again when it is older than ttl or after Invalidate (this process's
// own edits take effect at once, another process's within ttl). When the
// taxonomy cannot be read it keeps classifying with the last one it read.
type Service struct {
	// ready is closed once seg (or segErr) is set.
	ready  chan struct{}
	seg    *Segmenter
	segErr error
	src    Source
	ttl    time.Duration
	logger *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	cur      *Classifier
	loadedAt time.Time
}

// NewService builds a Service on a loaded segmenter; now may be nil
// (time.Now).
func NewService(seg *Segmenter, src Source, ttl time.Duration, logger *slog.Logger, now func() time.Time) *Service {
	s := newService(src, ttl, logger, now)
	s.seg = seg
	close(s.ready)
	return s
}

// NewServiceLoading builds a Service whose segmenter load runs in the
// background (a second on an idle machine, ten on a busy one), so a
// process starts without waiting for it; Classify waits for it as long as
// its context allows.
func NewServiceLoading(load func() (*Segmenter, error), src Source, ttl time.Duration, logger *slog.Logger, now func() time.Time) *Service {
	s := newService(src, ttl, logger, now)
	go func() {
		start := time.Now()
		s.seg, s.segErr = load()
		if s.segErr != nil {
			logger.Error("segmenter dictionary failed to load; the workflow's keyword rules classify", "err", s.segErr)
		} else {
			logger.Info("segmenter dictionary loaded", "seconds", time.Since(start).Seconds())
		}
		close(s.ready)
	}()
	return s
}

func newService(src Source, ttl time.Duration, logger *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{ready: make(chan struct{}), src: src, ttl: ttl, logger: logger, now: now}
}

// Classify classifies a complaint. It fails when the segmenter is not
// loaded before ctx ends, or failed to load, or no taxonomy has ever been
// read.
func (s *Service) Classify(ctx context.Context, c complaint.Complaint) (Result, error) {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("classify: segmenter not loaded yet: %w", ctx.Err())
	}
	if s.segErr != nil {
		return Result{}, fmt.Errorf("classify: %w", s.segErr)
	}
	cl, err := s.classifier(ctx)
	if err != nil {
		return Result{}, err
	}
	return cl.Classify(c), nil
}

// Ready reports whether the segmenter's dictionary has loaded (or failed
// to); the API's /readyz says "loading" until then, so that a load
// balancer (and the benchmark) sends complaints only to a process that
// classifies them at once.
func (s *Service) Ready() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// Invalidate makes the next classification read the taxonomy again.
func (s *Service) Invalidate() {
	s.mu.Lock()
	s.loadedAt = time.Time{}
	s.mu.Unlock()
}

func (s *Service) classifier(ctx context.Context) (*Classifier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && !s.loadedAt.IsZero() && s.now().Sub(s.loadedAt) < s.ttl {
		return s.cur, nil
	}
	tax, err := s.src.Taxonomy(ctx)
	if err != nil {
		if s.cur != nil {
			s.logger.Warn("taxonomy unreadable; classifying with the last one read", "err", err)
			return s.cur, nil
		}
		return nil, fmt.Errorf("classify: %w", err)
	}
	s.cur, s.loadedAt = New(s.seg, tax), s.now()
	return s.cur, nil
}
