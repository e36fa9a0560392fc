package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func TestRoundTripRotationAndTamper(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, err := New("k1", map[string][]byte{"k1": k1})
	if err != nil {
		t.Fatal(err)
	}
	dc := old.DataConverter()
	p, err := dc.ToPayload(map[string]string{"phone": "+86 139 1234 5678"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("1234")) || string(p.Metadata[MetadataKeyID]) != "k1" {
		t.Fatalf("payload not encrypted: %q %v", p.Data, p.Metadata)
	}
	// After rotation to k2, payloads written with k1 are still read.
	rotated, err := New("k2", map[string][]byte{"k1": k1, "k2": k2})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := rotated.DataConverter().FromPayload(p, &got); err != nil || got["phone"] != "+86 139 1234 5678" {
		t.Fatalf("decode after rotation: %v %v", got, err)
	}
	p.Data[len(p.Data)-1] ^= 1
	if err := rotated.DataConverter().FromPayload(p, &got); err == nil {
		t.Error("a tampered payload decoded")
	}
	if _, err := New("k3", map[string][]byte{"k1": k1}); err == nil {
		t.Error("accepted a current key id with no key")
	}
	if _, err := New("k1", map[string][]byte{"k1": []byte("short")}); err == nil {
		t.Error("accepted a short key")
	}
	keys, err := ParseKeys("a:" + "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" + ", b:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=")
	if err != nil || len(keys["a"]) != 32 || len(keys["b"]) != 32 {
		t.Errorf("ParseKeys = %v %v", keys, err)
	}
}

// TestDecodeRefusesWhatAnAttackerCouldSend decodes what a client without
// the key could hand the workers through the Temporal frontend: plaintext
// values (a forged update, "binary/null" for a nil), a payload claiming an
// unknown key, one sealed with another key under a known id, one cut short.
// Each is refused with ErrRefused and counted by reason; an empty payload
// (nothing to decode) passes. With AcceptPlaintext only plaintext passes,
// counted.
func TestDecodeRefusesWhatAnAttackerCouldSend(t *testing.T) {
	k1 := bytes.Repeat([]byte{1}, 32)
	other, err := New("k1", map[string][]byte{"k1": bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	forgedJSON, _ := converter.GetDefaultDataConverter().ToPayload(map[string]any{"actor": map[string]string{"id": "mallory", "role": "director"}})
	null, _ := converter.GetDefaultDataConverter().ToPayload(nil)
	wrongKey, _ := other.Encode([]*commonpb.Payload{forgedJSON})
	unknown := &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte("k9")}, Data: []byte("x")}
	short := &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte("k1")}, Data: []byte("x")}
	cases := []struct {
		name, reason string
		p            *commonpb.Payload
		plaintext    bool
	}{
		{"plaintext json", ReasonPlaintext, forgedJSON, true},
		{"plaintext null", ReasonPlaintext, null, true},
		{"metadata only", ReasonPlaintext, &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte("json/plain")}}, true},
		{"unknown key", ReasonUnknownKey, unknown, false},
		{"another key under a known id", ReasonTampered, wrongKey[0], false},
		{"too short", ReasonTampered, short, false},
	}
	for _, accept := range []bool{false, true} {
		reg := prometheus.NewRegistry()
		m := NewMetrics(reg)
		c, err := New("k1", map[string][]byte{"k1": k1}, Options{AcceptPlaintext: accept, Metrics: m})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := counter(t, m.rejectedTotal.WithLabelValues(tc.reason))
				out, err := c.Decode([]*commonpb.Payload{tc.p})
				if accept && tc.plaintext {
					if err != nil || out[0] != tc.p {
						t.Fatalf("migration window: %v", err)
					}
					return
				}
				if !errors.Is(err, ErrRefused) {
					t.Fatalf("Decode = %v, %v; want ErrRefused", out, err)
				}
				if got := counter(t, m.rejectedTotal.WithLabelValues(tc.reason)) - before; got != 1 {
					t.Errorf("rejected{reason=%s} rose by %v, want 1", tc.reason, got)
				}
			})
		}
		if out, err := c.Decode([]*commonpb.Payload{{}}); err != nil || len(out) != 1 {
			t.Errorf("empty payload: %v", err)
		}
		want := 0.0
		if accept {
			want = 3
		}
		if got := counter(t, m.plaintextTotal); got != want {
			t.Errorf("accept=%v: plaintext accepted %v, want %v", accept, got, want)
		}
	}
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
