package apiserver

import "testing"

func TestAnonymousCustomerID(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   customerBody
		want string
	}{
		{"email as the form sends it", customerBody{Email: "Zhang.Wei@Example.com"}, "email:zhang.wei@example.com"},
		{"dots and plus tags kept", customerBody{Email: "a.b+c@example.com"}, "email:a.b+c@example.com"},
		{"full-width domain folded", customerBody{Email: "li@ＥＸＡＭＰＬＥ.com"}, "email:li@example.com"},
		{"international domain in its ASCII form", customerBody{Email: "li@Bücher.de"}, "email:li@xn--bcher-kva.de"},
		{"email wins over phone", customerBody{Email: "li@example.com", Phone: "13912345678"}, "email:li@example.com"},
		{"phone digits", customerBody{Phone: "+86 139-1234 (5678)"}, "phone:+8613912345678"},
		{"full-width phone", customerBody{Phone: "１３９１２３４５６７８"}, "phone:13912345678"},
		{"the body's id is not the source", customerBody{ID: "email:victim@example.com", Email: "mallory@evil.test"}, "email:mallory@evil.test"},
		{"no contact", customerBody{ID: "cust-1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := anonymousCustomerID(tc.in); got != tc.want {
				t.Errorf("anonymousCustomerID(%+v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
