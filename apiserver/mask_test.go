package apiserver

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMaskText(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		hidden   []string // must not survive
		kept     []string // must survive
	}{
		{"card with dashes", "charged twice on 4111-1111-1111-1111 yesterday", []string{"4111-1111-1111"}, []string{"1111 yesterday", "charged twice on "}},
		{"card with spaces", "card 5500 0000 0000 0004", []string{"5500 0000 0000"}, []string{"0004"}},
		{"card in Chinese text", "卡号4111111111111111被扣款", []string{"411111111111"}, []string{"卡号", "1111被扣款"}},
		{"resident id", "身份证号11010519491231002X", []string{"11010519491231"}, []string{"身份证号"}},
		{"resident id digit check", "ID 440524188001010014 on file", []string{"4405241880010100"}, []string{"ID ", " on file"}},
		{"mobile", "call me on 13800138000 please", []string{"138001380"}, []string{"00 please"}},
		{"mobile in Chinese text", "电话13800138000", []string{"138001380"}, []string{"电话"}},
		{"international phone", "ring +44 20 7946 0958 after six", []string{"20 7946 09"}, []string{"58 after six"}},
		{"phone and card side by side", "4111 1111 1111 1111 13800138000", []string{"4111 1111 1111 1111", "138001380"}, nil},
		{"email", "write to ann.lee+1@example.co.uk", []string{"ann.lee+1@example"}, []string{"write to "}},
		{"Chinese email", "邮箱 zhang.san@qq.com 谢谢", []string{"zhang.san@qq"}, []string{"邮箱", "谢谢"}},
		{"date kept", "on 2026-11-23 at 10:00", nil, []string{"2026-11-23", "10:00"}},
		{"case number kept", "see C-2026-000123 and order ORD-55512345", nil, []string{"C-2026-000123", "ORD-55512345"}},
		{"short numbers kept", "2 parcels, 150 yuan, order 42", nil, []string{"2 parcels, 150 yuan, order 42"}},
		{"non-Luhn 16 digits kept as not a card", "ref 1234 5678 9012 3456", nil, []string{"ref "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := maskText(tt.in)
			for _, h := range tt.hidden {
				if strings.Contains(got, h) {
					t.Errorf("maskText(%q) = %q still shows %q", tt.in, got, h)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("maskText(%q) = %q lost %q", tt.in, got, k)
				}
			}
		})
	}
}

func TestMaskJSON(t *testing.T) {
	raw := json.RawMessage(`{"text":"customer said 13800138000","findings":{"responsible_person":"Wang Wei","summary":"card 4111111111111111"},"n":3}`)
	got := string(maskJSON(raw, maskText))
	for _, h := range []string{"13800138000", "Wang Wei", "4111111111111111"} {
		if strings.Contains(got, h) {
			t.Errorf("maskJSON left %q: %s", h, got)
		}
	}
	if !strings.Contains(got, `"n":3`) || !strings.Contains(got, "customer said") {
		t.Errorf("maskJSON lost what is not personal: %s", got)
	}
}
