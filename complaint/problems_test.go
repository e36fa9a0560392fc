package complaint

import (
	"errors"
	"strings"
	"testing"
)

// TestProblemsHaveCodes checks each check names its problem with the code
// and parameters a page words it from, keeping the English message.
func TestProblemsHaveCodes(t *testing.T) {
	first := func(err error) FieldError {
		t.Helper()
		fs := InvalidFieldsOf(err)
		if len(fs) == 0 {
			t.Fatalf("no field errors in %v", err)
		}
		return fs[0]
	}
	text := func(v string, max int, kind TextKind) FieldError {
		p, bad := TextProblem(v, max, kind)
		if !bad {
			t.Fatalf("%q passed", v)
		}
		return p.At("f")
	}
	amount := func(number, currency string) FieldError {
		_, err := ParseAmount(number, currency)
		return ProblemOf(err).At("amount")
	}
	tests := []struct {
		name    string
		got     FieldError
		code    string
		params  map[string]any
		message string
	}{
		{"blank", func() FieldError { p, _ := RequiredTextProblem(" ", 10, FreeText); return p.At("f") }(), CodeRequired, nil, "is required"},
		{"too long", text("abcdef", 5, FreeText), CodeTooLong, map[string]any{"max": 5}, "must be at most 5 characters"},
		{"NUL", text("a\x00b", 5, FreeText), CodeControlCharacter, map[string]any{"char": "U+0000"}, "NUL"},
		{"a tab on one line", text("a\tb", 5, SingleLine), CodeLineBreak, map[string]any{"char": "U+0009"}, "one line of text"},
		{"DEL", text("a\x7fb", 5, FreeText), CodeControlCharacter, map[string]any{"char": "U+007F"}, "U+007F"},
		{"U+FFFD", text("a\ufffdb", 5, FreeText), CodeReplacementCharacter, nil, "U+FFFD"},
		{"invalid UTF-8", text("a\xffb", 5, FreeText), CodeInvalidEncoding, nil, "UTF-8"},
		{"noncharacter", text("a\ufdd0", 5, FreeText), CodeNoncharacter, map[string]any{"char": "U+FDD0"}, "noncharacter"},
		{"remedy type", first(ValidateProposal(ProposalRequest{Message: "m", Remedies: []Remedy{{Type: "points"}}})),
			CodeOneOf, map[string]any{"allowed": strings.Join(RemedyTypes(), ", ")}, "must be one of"},
		{"amount required", first(ValidateProposal(ProposalRequest{Message: "m", Remedies: []Remedy{{Type: RemedyRefund, Currency: "CNY"}}})),
			CodeAmountRequired, map[string]any{"remedy": RemedyRefund}, "is required for a refund"},
		{"cause detail", first(ValidateFindings(Findings{Cause: "a.b", CauseDetail: "c.d", Responsibility: ResponsibilityCustomer, Summary: "s"})),
			CodeMustRefineCause, nil, "must refine cause"},
		{"responsibility", first(ValidateFindings(Findings{Cause: "a.b", CauseDetail: "a.b.c", Responsibility: "fate", Summary: "s"})),
			CodeOneOf, map[string]any{"allowed": "company, customer, third_party"}, "must be one of company, customer, third_party"},
		{"rejection without a reason", first(ValidateDecision("reject", "")), CodeReasonRequired, nil, "a rejection needs a comment saying why"},
		{"yen with decimals", amount("100.5", "JPY"), CodeTooManyDecimals, map[string]any{"currency": "JPY", "decimals": 0}, "no minor unit"},
		{"fen with decimals", amount("0.5", "CNY"), CodeTooManyDecimals, map[string]any{"currency": "CNY", "decimals": 2}, "2 decimals"},
		{"not a number", amount("1/2", "CNY"), CodeNotANumber, nil, "must be a number"},
		{"a currency not accepted", first(DefaultAuthority().CheckCurrencies([]Remedy{{Type: RemedyRefund, Amount: 100, Currency: "USD"}})),
			CodeCurrencyNotAccepted, map[string]any{"currency": "USD", "allowed": "CNY"}, `"USD" is not accepted`},
		{"mixed currencies", func() FieldError {
			_, _, err := Total([]Remedy{{Amount: 1, Currency: "CNY"}, {Amount: 1, Currency: "USD"}})
			return ProblemOf(err).At("remedies")
		}(), CodeMixedCurrencies, map[string]any{"currencies": "CNY, USD"}, "remedies mix currencies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.Code != tt.code || !strings.Contains(tt.got.Message, tt.message) {
				t.Errorf("got %+v, want code %s and a message with %q", tt.got, tt.code, tt.message)
			}
			if len(tt.got.Params) != len(tt.params) {
				t.Errorf("params %v, want %v", tt.got.Params, tt.params)
			}
			for k, v := range tt.params {
				if tt.got.Params[k] != v {
					t.Errorf("params %v, want %s = %v", tt.got.Params, k, v)
				}
			}
		})
	}
	// A currency refused when converting is still ErrCurrency.
	if _, err := DefaultAuthority().ToBase(100, "USD"); !errors.Is(err, ErrCurrency) || ProblemOf(err).Code != CodeCurrencyNotAccepted {
		t.Errorf("ToBase(USD) = %v", err)
	}
}
