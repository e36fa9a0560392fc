package sms_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/sms"
	"github.com/complaint-handling/complaints/internal/sms/smsctest"
)

func TestSegments(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		ucs2     bool
		segments int
	}{
		{"empty", "", false, 1},
		{"GSM-7 160 fits one", strings.Repeat("a", 160), false, 1},
		{"GSM-7 161 is two parts of 153", strings.Repeat("a", 161), false, 2},
		{"GSM-7 306 is two", strings.Repeat("a", 306), false, 2},
		{"GSM-7 307 is three", strings.Repeat("a", 307), false, 3},
		{"an extension character counts two", strings.Repeat("a", 159) + "€", false, 2},
		{"80 braces are 160 septets", strings.Repeat("{", 80), false, 1},
		{"81 braces", strings.Repeat("{", 81), false, 2},
		{"Greek capitals are GSM-7", "ΔΦΓΛΩΠΨΣΘΞ", false, 1},
		{"Chinese 70 fits one", strings.Repeat("投", 70), true, 1},
		{"Chinese 71 is two parts of 67", strings.Repeat("投", 71), true, 2},
		{"Chinese 135 is three", strings.Repeat("诉", 135), true, 3},
		{"one Chinese character makes the whole text UCS-2", strings.Repeat("a", 69) + "诉", true, 1},
		{"an emoji is two UTF-16 units", strings.Repeat("a", 69) + "😀", true, 2},
		{"the acknowledgement in Chinese with a link", sms.Text("acknowledgement", "zh", "CMP-20261203-000001",
			"https://help.example.com/track/0123456789abcdef0123456789abcdef"), true, 2},
		{"the acknowledgement in English with a link", sms.Text("acknowledgement", "en", "CMP-20261203-000001",
			"https://help.example.com/track/0123456789abcdef0123456789abcdef"), false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, ucs2 := sms.Split(tc.text)
			if ucs2 != tc.ucs2 || len(parts) != tc.segments || sms.Segments(tc.text) != tc.segments {
				t.Fatalf("Split: %d parts, ucs2 %v; want %d, %v", len(parts), ucs2, tc.segments, tc.ucs2)
			}
			if strings.Join(parts, "") != tc.text {
				t.Fatal("the parts do not make the text")
			}
			for _, p := range parts {
				if len(parts) > 1 && !ucs2 && strings.HasSuffix(p, "\x1b") {
					t.Fatal("an escape pair was cut")
				}
			}
		})
	}
}

func TestParseReceipt(t *testing.T) {
	r, ok := sms.ParseReceipt("id:smsc000001 sub:001 dlvrd:000 submit date:2612031200 done date:2612031201 stat:UNDELIV err:001 text:")
	if !ok || r.ID != "smsc000001" || r.Stat != "UNDELIV" {
		t.Fatalf("got %+v %v", r, ok)
	}
	if _, ok := sms.ParseReceipt("hello there"); ok {
		t.Fatal("a handset's text read as a receipt")
	}
}

// client binds to srv with the given password and collects receipts.
func client(t *testing.T, srv *smsctest.Server, password string) (*sms.Client, func() []sms.Receipt) {
	t.Helper()
	var mu sync.Mutex
	var got []sms.Receipt
	url := "smpp://" + srv.SystemID + ":" + password + "@" + srv.Addr()
	c, err := sms.NewClient(sms.Config{URL: url, From: "+8610000", Timeout: 5 * time.Second, EnquireLink: 200 * time.Millisecond,
		OnReceipt: func(r sms.Receipt) { mu.Lock(); got = append(got, r); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, func() []sms.Receipt { mu.Lock(); defer mu.Unlock(); return append([]sms.Receipt(nil), got...) }
}

func TestSubmitThroughARealSMPPPeer(t *testing.T) {
	srv, err := smsctest.Start("", "complaints", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.Stat = func(to string) string {
		if strings.HasSuffix(to, "0000") {
			return "UNDELIV"
		}
		return "DELIVRD"
	}
	srv.Refuse = func(to string) uint32 {
		if strings.HasSuffix(to, "9999") {
			return 0x0B // invalid destination
		}
		return 0
	}

	t.Run("wrong password is refused", func(t *testing.T) {
		c, _ := client(t, srv, "guess")
		_, err := c.Submit(context.Background(), "+8613800000001", "hello")
		var f *sms.Failure
		if !errors.As(err, &f) || !f.Temporary {
			t.Fatalf("Submit with a wrong password: %v; want a temporary failure", err)
		}
		if _, refused, _ := srv.Counts(); refused == 0 {
			t.Fatal("the centre did not see a refused bind")
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("a message got through an unauthenticated bind")
		}
	})

	c, receipts := client(t, srv, "s3cret")
	long := strings.Repeat("您的投诉已受理。", 20) // 160 UCS-2 units: 3 parts
	for _, tc := range []struct {
		name, to, text string
		coding         byte
		parts          int
		stat           string
	}{
		{"GSM-7 single", "+44 7700 900123", "Your complaint CMP-1 is registered {ok} €5", 0, 1, "DELIVRD"},
		{"UCS-2 concatenated", "+86 138-0000-1111", long, 8, 3, "DELIVRD"},
		{"undeliverable", "+8613800000000", "Complaint CMP-2 is closed.", 0, 1, "UNDELIV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Messages())
			ids, err := c.Submit(context.Background(), tc.to, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tc.parts {
				t.Fatalf("%d ids, want %d", len(ids), tc.parts)
			}
			ms := srv.Wait(before+1, 5*time.Second)
			if len(ms) != before+1 {
				t.Fatalf("the centre has %d messages, want %d", len(ms), before+1)
			}
			m := ms[before]
			if m.Text != tc.text || m.DataCoding != tc.coding || m.Parts != tc.parts || m.UDH != (tc.parts > 1) {
				t.Fatalf("the centre decoded %+v", m)
			}
			if m.From != "8610000" || m.To != strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, tc.to) {
				t.Fatalf("addresses %q -> %q", m.From, m.To)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				n := 0
				for _, r := range receipts() {
					for _, id := range ids {
						if r.ID == id && r.Stat == tc.stat {
							n++
						}
					}
				}
				if n == tc.parts {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("receipts %+v; want %s for %v", receipts(), tc.stat, ids)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	t.Run("enquire_link keeps the bind", func(t *testing.T) {
		time.Sleep(500 * time.Millisecond)
		binds, _, enquires := srv.Counts()
		if enquires == 0 || binds != 1 {
			t.Fatalf("%d binds, %d enquire_link answered; want 1 bind and some", binds, enquires)
		}
	})
	t.Run("refused destination is permanent", func(t *testing.T) {
		_, err := c.Submit(context.Background(), "+8613800009999", "x")
		var f *sms.Failure
		if !errors.As(err, &f) || f.Temporary || f.Status != 0x0B {
			t.Fatalf("got %v; want a permanent failure with status 0x0B", err)
		}
	})
}
