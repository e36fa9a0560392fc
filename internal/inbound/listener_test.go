package inbound

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/complaint-handling/complaints/internal/store"
)

// memRecorder records in memory, or fails as a database that is down.
type memRecorder struct {
	mu    sync.Mutex
	mails map[string]store.InboundMail
	down  bool
}

func (r *memRecorder) RecordInboundMail(_ context.Context, m store.InboundMail) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return false, errors.New("connection refused")
	}
	if _, ok := r.mails[m.DedupeKey]; ok {
		return false, nil
	}
	r.mails[m.DedupeKey] = m
	return true, nil
}

func (r *memRecorder) len() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.mails) }

func startListener(t *testing.T, cfg ListenerConfig) (*Listener, *memRecorder, *Metrics, *int) {
	t.Helper()
	rec := &memRecorder{mails: map[string]store.InboundMail{}}
	metrics := NewMetrics(prometheus.NewRegistry())
	wakes := new(int)
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	cfg.Recipients = append(cfg.Recipients, "help@complaints.example")
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 4096
	}
	l, err := Listen(cfg, rec, func() { *wakes++ }, metrics, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(context.Background()) })
	return l, rec, metrics, wakes
}

const testMail = "From: ann@example.com\r\nTo: help@complaints.example\r\nSubject: hi\r\nMessage-ID: <l-1@example.com>\r\n\r\nHello.\r\n"

// TestListenerSMTP accepts a mail for the support address (in any case)
// once recorded and the same mail again without a second record, and
// refuses: another recipient (550), a mail over the size limit (552), a
// mail it cannot record (451, a temporary failure the MTA retries), and a
// client outside the allowed networks (554). Each refusal counts as
// rejected.
func TestListenerSMTP(t *testing.T) {
	l, rec, metrics, wakes := startListener(t, ListenerConfig{})
	send := func(from, to, raw string) error {
		return Deliver(context.Background(), l.Addr(), false, from, []string{to}, []byte(raw))
	}
	code := func(err error) int {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se.Code
		}
		return 0
	}
	for _, tc := range []struct {
		name, to, raw string
		down          bool
		want          int
		records       int
	}{
		{"accepted", "Help@Complaints.Example", testMail, false, 0, 1},
		{"again", "help@complaints.example", testMail, false, 0, 1},
		{"other recipient", "sales@complaints.example", testMail, false, 550, 1},
		{"too large", "help@complaints.example", testMail + strings.Repeat("0123456789abcdef\r\n", 400), false, 552, 1},
		{"database down", "help@complaints.example", strings.Replace(testMail, "l-1@", "l-2@", 1), true, 451, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.down = tc.down
			rec.mu.Unlock()
			if err := send("ann@example.com", tc.to, tc.raw); code(err) != tc.want || tc.want == 0 && err != nil {
				t.Errorf("send: %v, want code %d", err, tc.want)
			}
			if rec.len() != tc.records {
				t.Errorf("%d recorded, want %d", rec.len(), tc.records)
			}
		})
	}
	if *wakes != 1 {
		t.Errorf("%d wake-ups, want 1 (one new mail)", *wakes)
	}
	if got := testutil.ToFloat64(metrics.mails.WithLabelValues(OutcomeRejected)); got != 2 {
		t.Errorf("rejected = %v, want 2 (recipient, size)", got)
	}
	m := rec.mails["mid:l-1@example.com"]
	if m.MailFrom != "ann@example.com" || string(m.Raw) != testMail || len(m.RcptTo) != 1 {
		t.Errorf("recorded %+v", m)
	}

	t.Run("client network not allowed", func(t *testing.T) {
		l, rec, _, _ := startListener(t, ListenerConfig{AllowedNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		err := Deliver(context.Background(), l.Addr(), false, "ann@example.com", []string{"help@complaints.example"}, []byte(testMail))
		if code(err) != 554 || rec.len() != 0 {
			t.Errorf("from 127.0.0.1 with only 10.0.0.0/8 allowed: %v, %d recorded", err, rec.len())
		}
	})
}

// TestListenerLMTP delivers over LMTP, as an MTA hands mail to a local
// delivery agent, and gets a status for the recipient.
func TestListenerLMTP(t *testing.T) {
	l, rec, _, _ := startListener(t, ListenerConfig{LMTP: true})
	if err := Deliver(context.Background(), l.Addr(), true, "ann@example.com", []string{"help@complaints.example"}, []byte(testMail)); err != nil {
		t.Fatalf("LMTP: %v", err)
	}
	if rec.len() != 1 {
		t.Errorf("%d recorded over LMTP, want 1", rec.len())
	}
}
