package complaint

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// jpyMatrix is the default matrix (limits in CNY) accepting USD and JPY.
func jpyMatrix() AuthorityMatrix {
	m := DefaultAuthority()
	m.Rates = map[string]string{"JPY": "0.048", "USD": "7.1", "KWD": "23.1"}
	return m
}

// TestAuthorityAcrossCurrencies: limits apply to a proposal's value in the
// base currency, so 100,000 JPY (4,800.00 CNY) needs a manager like
// 4,800.00 CNY does, not a supervisor as its bare number would.
func TestAuthorityAcrossCurrencies(t *testing.T) {
	m := jpyMatrix()
	for _, tc := range []struct {
		name      string
		amount    int64
		currency  string
		minRole   string
		approvers int
		base      int64
	}{
		{"100,000 JPY is 4,800.00 CNY", 100_000, "JPY", RoleManager, 1, 4_800_00},
		{"its base-currency equivalent", 4_800_00, "CNY", RoleManager, 1, 0},
		{"20,000 JPY is 960.00 CNY", 20_000, "JPY", RoleSupervisor, 1, 960_00},
		{"1 JPY rounds up to 0.05 CNY", 1, "JPY", RoleSupervisor, 1, 5},
		{"1,000.00 USD is 7,100.00 CNY", 1_000_00, "USD", RoleManager, 1, 7_100_00},
		{"8,000.000 KWD is 184,800.00 CNY: two directors", 8_000_000, "KWD", RoleDirector, 2, 184_800_00},
		{"140.84 USD is 999.964 CNY, rounded up", 140_84, "USD", RoleSupervisor, 1, 999_97},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := m.Require(Proposal{Remedies: []Remedy{{Type: RemedyRefund, Amount: tc.amount, Currency: tc.currency}}})
			if err != nil || r.MinRole != tc.minRole || r.Approvers != tc.approvers || r.BaseTotal != tc.base || r.Total != tc.amount {
				t.Errorf("Require(%d %s) = %+v, %v; want %s x%d, base total %d", tc.amount, tc.currency, r, err, tc.minRole, tc.approvers, tc.base)
			}
		})
	}
	t.Run("a currency without a rate needs the top level and is an error", func(t *testing.T) {
		r, err := DefaultAuthority().Require(Proposal{Remedies: []Remedy{{Type: RemedyRefund, Amount: 100, Currency: "JPY"}}})
		if !errors.Is(err, ErrCurrency) || r.MinRole != RoleDirector {
			t.Errorf("Require(100 JPY) without a rate = %+v, %v", r, err)
		}
	})
}

// TestCurrencyChecks: only ISO 4217 codes of the table are currencies, and
// a case accepts its base and the currencies it has a rate for.
func TestCurrencyChecks(t *testing.T) {
	m := jpyMatrix()
	for _, tc := range []struct {
		remedies []Remedy
		field    string
	}{
		{[]Remedy{{Type: RemedyRefund, Amount: 100, Currency: "ZZZ"}}, "remedies[0].currency"},
		{[]Remedy{{Type: RemedyApology}, {Type: RemedyRefund, Amount: 100, Currency: "XXX"}}, "remedies[1].currency"},
		{[]Remedy{{Type: RemedyRefund, Amount: 100, Currency: "EUR"}}, "remedies[0].currency"},
		{[]Remedy{{Type: RemedyRefund, Amount: 100, Currency: "JPY"}}, ""},
		{[]Remedy{{Type: RemedyRefund, Amount: 100, Currency: "CNY"}, {Type: RemedyApology}}, ""},
	} {
		err := m.CheckCurrencies(tc.remedies)
		var fe FieldError
		if tc.field == "" && err != nil || tc.field != "" && (!errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != tc.field) {
			t.Errorf("CheckCurrencies(%+v) = %v; want field %q", tc.remedies, err, tc.field)
		}
	}
	for _, code := range []string{"ZZZ", "XXX", "XTS", "XAU", "cny", "", "CNYY"} {
		err := ValidateProposal(ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund, Amount: 100, Currency: code}}})
		if err == nil || !strings.Contains(err.Error(), "remedies[0].currency") {
			t.Errorf("ValidateProposal accepted currency %q: %v", code, err)
		}
	}
}

func TestParseAmountAndFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		number, currency string
		want             int64
		errPart          string
	}{
		{"100", "JPY", 100, ""},
		{"100.5", "JPY", 0, "JPY has no minor unit"},
		{"1234", "CNY", 1234, ""},
		{"12.5", "CNY", 0, "CNY has 2 decimals"},
		{"1234.5", "KWD", 0, "KWD has 3 decimals"},
		{"1e3", "CNY", 1000, ""},
		{"100.0", "JPY", 100, ""},
		{"99999999999999999999", "CNY", 0, "too large"},
		{"0.5", "ZZZ", 0, "whole number"},
	} {
		got, err := ParseAmount(tc.number, tc.currency)
		if got != tc.want || (tc.errPart == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("ParseAmount(%s, %s) = %d, %v; want %d, %q", tc.number, tc.currency, got, err, tc.want, tc.errPart)
		}
	}
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{123456, "CNY", "1,234.56 CNY"},
		{100000, "JPY", "100,000 JPY"},
		{1234, "KWD", "1.234 KWD"},
		{-5, "USD", "-0.05 USD"},
		{700, "", "7.00"},
	} {
		if got := FormatMoney(tc.minor, tc.currency); got != tc.want {
			t.Errorf("FormatMoney(%d, %q) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

// TestOldAuthoritySnapshotsMeanTheBaseCurrency decodes a snapshot recorded
// before currencies were configured (no currency, no rates): its limits
// are in CNY, it accepts CNY only, and a CNY proposal needs what it needed.
func TestOldAuthoritySnapshotsMeanTheBaseCurrency(t *testing.T) {
	var m AuthorityMatrix
	old := `{"limits":{"agent":0,"supervisor":100000,"manager":1000000,"director":-1},"four_eyes_above":5000000,"refusal_sign_off_role":"supervisor"}`
	if err := json.Unmarshal([]byte(old), &m); err != nil {
		t.Fatal(err)
	}
	if m.Base() != "CNY" || !m.Accepts("CNY") || m.Accepts("JPY") || m.Validate() != nil {
		t.Errorf("old snapshot: base %s, accepts CNY %v, JPY %v, valid %v", m.Base(), m.Accepts("CNY"), m.Accepts("JPY"), m.Validate())
	}
	r, err := m.Require(Proposal{Remedies: []Remedy{{Type: RemedyRefund, Amount: 1_000_00, Currency: "CNY"}}})
	if err != nil || r.MinRole != RoleSupervisor || r.BaseTotal != 0 {
		t.Errorf("old snapshot, 1,000.00 CNY: %+v, %v", r, err)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "base_total") {
		t.Errorf("a base-currency requirement encodes base_total: %s", b)
	}
}

func TestAuthorityCurrencyValidation(t *testing.T) {
	for name, mutate := range map[string]func(*AuthorityMatrix){
		"unknown base":      func(m *AuthorityMatrix) { m.Currency = "ZZZ" },
		"no-currency rate":  func(m *AuthorityMatrix) { m.Rates = map[string]string{"XXX": "1"} },
		"rate for the base": func(m *AuthorityMatrix) { m.Rates = map[string]string{"CNY": "1"} },
		"zero rate":         func(m *AuthorityMatrix) { m.Rates = map[string]string{"USD": "0"} },
		"fraction rate":     func(m *AuthorityMatrix) { m.Rates = map[string]string{"USD": "71/10"} },
		"exponent rate":     func(m *AuthorityMatrix) { m.Rates = map[string]string{"USD": "7e0"} },
		"negative rate":     func(m *AuthorityMatrix) { m.Rates = map[string]string{"USD": "-7"} },
	} {
		t.Run(name, func(t *testing.T) {
			m := jpyMatrix()
			mutate(&m)
			if err := m.Validate(); err == nil {
				t.Error("accepted")
			}
		})
	}
	if err := jpyMatrix().Validate(); err != nil {
		t.Errorf("valid matrix refused: %v", err)
	}
}
