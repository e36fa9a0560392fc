package apiserver

import (
	"testing"
	"time"
)

func TestIPLimiter(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := newIPLimiter(1, 2)
	l.now = func() time.Time { return now }
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.allow("1.2.3.4"); ok != want {
			t.Errorf("call %d: allowed=%v", i, ok)
		}
	}
	if ok, _ := l.allow("5.6.7.8"); !ok {
		t.Error("another address was held by the first one's limit")
	}
	_, wait := l.allow("1.2.3.4")
	if wait <= 0 || wait > time.Second {
		t.Errorf("wait = %s", wait)
	}
	now = now.Add(1100 * time.Millisecond)
	if ok, _ := l.allow("1.2.3.4"); !ok {
		t.Error("not allowed again after the refill")
	}
}
