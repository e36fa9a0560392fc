package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measured run of an operation.
type result struct {
	OK      int
	Errors  int
	Elapsed time.Duration
	lat     []time.Duration
	// FirstError is the first failure, for the report.
	FirstError string
}

func (r *result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile is the p-th percentile (0..100) of the successful calls'
// latency, in milliseconds (nearest rank).
func (r *result) Percentile(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return ms(s[i])
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

type recorder struct {
	mu  sync.Mutex
	res result
}

func (rc *recorder) record(d time.Duration, err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.res.Errors++
		if rc.res.FirstError == "" {
			rc.res.FirstError = err.Error()
		}
		return
	}
	rc.res.OK++
	rc.res.lat = append(rc.res.lat, d)
}

// closedLoop runs op from conc workers, each calling again as soon as its
// call returns, for dur or until limit successful calls (0: no limit).
func closedLoop(ctx context.Context, p *progress, label string, conc int, dur time.Duration, limit int, op func(ctx context.Context, i int) error) result {
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var rc recorder
	var next, done atomic.Int64
	p.start(label, limit, &done)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if limit > 0 && i > limit {
					return
				}
				t := time.Now()
				err := op(ctx, i)
				if ctx.Err() != nil && err != nil {
					return // cut off by the end of the run, not a failure
				}
				rc.record(time.Since(t), err)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	rc.res.Elapsed = time.Since(start)
	p.end()
	return rc.res
}

// openLoop starts op rate times a second for dur whatever the answers
// take (arrivals do not wait for the system), then waits for the calls in
// flight.
func openLoop(ctx context.Context, p *progress, label string, rate float64, dur time.Duration, op func(ctx context.Context, i int) error) result {
	var rc recorder
	var done atomic.Int64
	total := int(rate * dur.Seconds())
	p.start(label, total, &done)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 1; i <= total && ctx.Err() == nil; i++ {
		if wait := time.Until(start.Add(time.Duration(i-1) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t := time.Now()
			err := op(ctx, i)
			rc.record(time.Since(t), err)
			done.Add(1)
		}(i)
	}
	wg.Wait()
	rc.res.Elapsed = time.Since(start)
	p.end()
	return rc.res
}

// progress draws a one-line progress bar on a terminal (and nothing
// otherwise: logs of CI runs keep the per-phase lines only).
type progress struct {
	w     io.Writer
	tty   bool
	label string
	total int
	count *atomic.Int64
	began time.Time
	stopc chan struct{}
	wg    sync.WaitGroup
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) start(label string, total int, count *atomic.Int64) {
	p.label, p.total, p.count, p.began = label, total, count, time.Now()
	if !p.tty {
		return
	}
	p.stopc = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stopc:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
}

func (p *progress) draw() {
	n := p.count.Load()
	el := time.Since(p.began).Seconds()
	bar := ""
	if p.total > 0 {
		filled := int(30 * float64(n) / float64(p.total))
		filled = min(filled, 30)
		bar = "[" + strings.Repeat("#", filled) + strings.Repeat(".", 30-filled) + "] "
		fmt.Fprintf(p.w, "\r\033[K%s%-38s %d/%d  %.0f/s", bar, p.label, n, p.total, float64(n)/max(el, 0.001))
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%-38s %d  %.0f/s  %.0fs", p.label, n, float64(n)/max(el, 0.001), el)
}

func (p *progress) end() {
	if p.tty && p.stopc != nil {
		close(p.stopc)
		p.wg.Wait()
		p.stopc = nil
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// say prints a line of the run's log.
func (p *progress) say(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}
