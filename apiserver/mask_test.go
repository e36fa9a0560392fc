package apiserver

import (
	"encoding/json"
	"github.com/complaint-handling/complaints/complaint"
	"strings"
	"testing"

	"github.com/complaint-handling/complaints/internal/store"
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
		// The hostile pass's variants: full-width characters and numbers
		// joined to letters got through.
		{"full-width mobile", "电话１３９１２３４５６７８", []string{"１３９１２３４５６", "１３９"}, []string{"电话", "７８"}},
		{"full-width card", "卡号４１１１ １１１１ １１１１ １１１１", []string{"４１１１ １１１１ １１１１ "}, []string{"卡号"}},
		{"full-width at sign", "zhang.wei＠example.com", []string{"zhang.wei＠example", "ang.wei＠exam"}, nil},
		{"mobile joined to letters", "tel13912345678", []string{"139123456"}, []string{"tel"}},
		{"phone word and dash", "phone-13912345678", []string{"139123456"}, []string{"phone-"}},
		{"card joined to letters", "card4111111111111111", []string{"411111111111"}, []string{"card", "1111"}},
		{"resident id joined to letters", "id11010519491231002x", []string{"11010519491231"}, nil},
		{"international number after a phone word", "Tel:0044207946095", []string{"004420794"}, nil},
		{"plus joined to a code ends", "a+86 and x*+1 555 and ab-+", nil, []string{"a+86"}},
		{"Chinese punctuation kept", "您好，我的订单。", nil, []string{"您好，我的订单。"}},
		{"references joined to letters kept", "invoice INV2026112301 and SKU12345678", nil, []string{"INV2026112301", "SKU12345678"}},
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

// TestMaskCaseCoversEveryTextField is the list's attack: an auditor's list
// row showed pending_approval.remedies[].note and product, region and
// branch unmasked.
func TestMaskCaseCoversEveryTextField(t *testing.T) {
	cs := store.Case{CustomerID: "email:zhang.wei@example.com", CustomerName: "Zhang Wei",
		Subject: "card 4111 1111 1111 1111", Product: "kettle bought with card 5500 0000 0000 0004",
		Region: "call 13912345678", Branch: "ask li.na@example.org",
		PendingApproval: &complaint.PendingApproval{Remedies: []complaint.Remedy{{Type: "refund", Note: "pay to card 4111 1111 1111 1111, call 13912345678"}}}}
	maskCase(&cs)
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"4111 1111 1111", "5500 0000 0000", "139123456", "li.na@example", "zhang.wei@example", "Zhang Wei"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("masked case row shows %q: %s", secret, b)
		}
	}
	if !strings.Contains(string(b), "kettle bought with card") {
		t.Errorf("masking lost the product's words: %s", b)
	}
}
