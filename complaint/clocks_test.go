package complaint

import (
	"testing"
	"time"
)

func TestDuesOf(t *testing.T) {
	ack := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	resolve := ack.AddDate(0, 0, 7)
	tests := []struct {
		name        string
		deadlines   []Deadline
		ack, resolv *time.Time
		breached    bool
	}{
		{"no clocks", nil, nil, nil, false},
		{"acknowledge and resolve", []Deadline{{Clock: ClockAcknowledge, DueAt: ack}, {Clock: ClockResolve, DueAt: resolve}}, &ack, &resolve, false},
		{"a breach of another clock counts", []Deadline{{Clock: ClockResolve, DueAt: resolve}, {Clock: ClockAppeal, DueAt: ack, Breached: true}},
			nil, &resolve, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DuesOf(tt.deadlines)
			same := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
			if !same(got.Ack, tt.ack) || !same(got.Resolve, tt.resolv) || got.Breached != tt.breached {
				t.Errorf("DuesOf = %+v, want ack %v resolve %v breached %v", got, tt.ack, tt.resolv, tt.breached)
			}
		})
	}
	// The row gets its own copies: changing one changes no deadline.
	ds := []Deadline{{Clock: ClockAcknowledge, DueAt: ack}}
	d := DuesOf(ds)
	*d.Ack = d.Ack.Add(time.Hour)
	if !ds[0].DueAt.Equal(ack) {
		t.Error("DuesOf shares its times with the deadlines")
	}
}
