package codec

import (
	"bytes"
	"testing"

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
	// Unencrypted payloads (written before the codec) pass through.
	plain, _ := converter.GetDefaultDataConverter().ToPayload("hello")
	var s string
	if err := rotated.DataConverter().FromPayload(plain, &s); err != nil || s != "hello" {
		t.Errorf("plain payload: %q %v", s, err)
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
