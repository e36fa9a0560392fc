package complaint

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
)

// LegacyCurrency is the base currency of authority snapshots taken before
// currencies were configured (they name none): the only currency the
// deployment then meant, and the default BASE_CURRENCY.
const LegacyCurrency = "CNY"

// minorUnits is the ISO 4217 table of the currencies this system can
// handle: each code's minor units (decimal places). It is the one place
// they are written down; nothing modifies it. Codes that are not money
// (XXX "no currency", XTS "testing", XAU gold and the other X-codes of
// commodities and funds) and codes that do not exist (ZZZ) are absent, so
// they are never accepted.
var minorUnits = map[string]int{
	"AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2, "CZK": 2, "DKK": 2,
	"EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "ISK": 0, "JOD": 3,
	"JPY": 0, "KRW": 0, "KWD": 3, "LYD": 3, "MOP": 2, "MXN": 2, "MYR": 2, "NOK": 2, "NZD": 2, "OMR": 3,
	"PHP": 2, "PLN": 2, "QAR": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2,
	"UGX": 0, "USD": 2, "VND": 0, "XAF": 0, "XOF": 0, "ZAR": 2,
}

// MinorUnits returns the number of decimal places of an ISO 4217 currency
// this system supports, and false for any other code.
func MinorUnits(code string) (int, bool) {
	n, ok := minorUnits[code]
	return n, ok
}

// SupportedCurrencies lists the codes of the ISO 4217 table, sorted.
func SupportedCurrencies() []string { return slices.Sorted(maps.Keys(minorUnits)) }

// ErrCurrency is returned for a currency that is not supported or has no
// rate into the case's base currency.
var ErrCurrency = errors.New("currency not accepted")

// Base is the currency the matrix's limits are in.
func (m AuthorityMatrix) Base() string {
	if m.Currency == "" {
		return LegacyCurrency
	}
	return m.Currency
}

// Currencies lists the currencies remedies may be paid in under m: the
// base first, then those with a rate, sorted.
//
// The rates' keys are sorted before use, so the map's order never shows:
// workflowcheck's report of map iteration is waived here.
//
//workflowcheck:ignore
func (m AuthorityMatrix) Currencies() []string {
	out := []string{m.Base()}
	for _, c := range slices.Sorted(maps.Keys(m.Rates)) {
		if c != m.Base() {
			out = append(out, c)
		}
	}
	return out
}

// Accepts reports whether remedies may be paid in code under m.
func (m AuthorityMatrix) Accepts(code string) bool {
	if _, ok := MinorUnits(code); !ok {
		return false
	}
	_, rated := m.Rates[code]
	return code == m.Base() || rated
}

// ToBase converts amount minor units of code into minor units of the base
// currency at the matrix's rate, rounding up, so a conversion never lowers
// the approval a proposal needs.
func (m AuthorityMatrix) ToBase(amount int64, code string) (int64, error) {
	if code == m.Base() || amount == 0 {
		return amount, nil
	}
	from, ok := MinorUnits(code)
	if !ok || !m.Accepts(code) {
		p := NewProblem(CodeCurrencyNotAccepted, fmt.Sprintf("%s: %s (this case accepts %s)", ErrCurrency, code, strings.Join(m.Currencies(), ", ")),
			"currency", code, "allowed", strings.Join(m.Currencies(), ", "))
		p.kind = ErrCurrency
		return 0, p
	}
	to, ok := MinorUnits(m.Base())
	if !ok {
		return 0, fmt.Errorf("%w: the base currency %s is not in the ISO 4217 table", ErrCurrency, m.Base())
	}
	rate, err := ParseRate(m.Rates[code])
	if err != nil {
		return 0, fmt.Errorf("rate of %s: %w", code, err)
	}
	// base minor = amount / 10^from * rate * 10^to
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(amount), rate)
	v.Mul(v, new(big.Rat).SetFrac(pow10(to), pow10(from)))
	q, r := new(big.Int).QuoRem(v.Num(), v.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("%s %d is too large to convert into %s", code, amount, m.Base())
	}
	return q.Int64(), nil
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// ParseRate reads an exchange rate: a positive decimal such as "0.0478"
// (no exponent, no fraction syntax), exact.
func ParseRate(s string) (*big.Rat, error) {
	ok := s != "" && strings.Count(s, ".") <= 1 && strings.Trim(s, "0123456789.") == "" && s[0] != '.' && s[len(s)-1] != '.'
	r, parsed := new(big.Rat).SetString(s)
	if !ok || !parsed || r.Sign() <= 0 {
		return nil, fmt.Errorf("%q is not a positive decimal such as 0.0478", s)
	}
	return r, nil
}

// ParseAmount reads a JSON number of minor units of currency: it must be a
// whole number, so an amount with more decimals than the currency has
// ("100.5" yen, "0.5" fen) is refused with a reason naming the currency's
// minor units.
func ParseAmount(number, currency string) (int64, error) {
	r, ok := new(big.Rat).SetString(number)
	if !ok || strings.ContainsAny(number, "/") {
		return 0, NewProblem(CodeNotANumber, "must be a number")
	}
	if !r.IsInt() {
		if n, known := MinorUnits(currency); known && n == 0 {
			return 0, NewProblem(CodeTooManyDecimals, fmt.Sprintf("must be a whole number: %s has no minor unit, so amounts are whole %s", currency, currency),
				"currency", currency, "decimals", 0)
		} else if known {
			return 0, NewProblem(CodeTooManyDecimals, fmt.Sprintf("must be a whole number of minor units: %s has %d decimals, so 12.34 %s is 1234", currency, n, currency),
				"currency", currency, "decimals", n)
		}
		return 0, NewProblem(CodeTooManyDecimals, "must be a whole number of the currency's minor units", "currency", currency)
	}
	if !r.Num().IsInt64() {
		return 0, NewProblem(CodeTooLarge, "is too large")
	}
	return r.Num().Int64(), nil
}

// FormatMoney renders minor units with the currency's decimals:
// "1,234.56 CNY", "100,000 JPY", "1.234 KWD" (two decimals for a code the
// table does not know).
func FormatMoney(minor int64, currency string) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	decimals, ok := MinorUnits(currency)
	if !ok {
		decimals = 2
	}
	scale := int64(1)
	for range decimals {
		scale *= 10
	}
	units, frac := minor/scale, minor%scale
	s := fmt.Sprintf("%d", units)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	out := s
	if decimals > 0 {
		out = fmt.Sprintf("%s.%0*d", s, decimals, frac)
	}
	if neg {
		out = "-" + out
	}
	if currency != "" {
		out += " " + currency
	}
	return out
}

// CheckCurrencies checks a proposal's remedies against the case's matrix:
// every remedy with money is in a currency the case accepts. It names the
// first bad field.
func (m AuthorityMatrix) CheckCurrencies(rs []Remedy) error {
	for i, r := range rs {
		if r.Amount != 0 && !m.Accepts(r.Currency) {
			return invalid(fmt.Sprintf("remedies[%d].currency", i),
				NewProblem(CodeCurrencyNotAccepted, fmt.Sprintf("%q is not accepted: use one of %s", r.Currency, strings.Join(m.Currencies(), ", ")),
					"currency", r.Currency, "allowed", strings.Join(m.Currencies(), ", ")))
		}
	}
	return nil
}
