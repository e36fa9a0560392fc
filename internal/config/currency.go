package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/complaint-handling/complaints/complaint"
)

// loadCurrency reads the approval authority with its money: the matrix
// (AUTHORITY_MATRIX), its base currency (BASE_CURRENCY), the currencies
// accepted (CURRENCIES) and their rates (CURRENCY_RATES).
func loadCurrency(getenv func(string) string, c *Config) []error {
	var err error
	if c.Authority, err = authority(getenv); err != nil {
		return []error{err}
	}
	return nil
}

// authority reads AUTHORITY_MATRIX, BASE_CURRENCY, CURRENCIES and
// CURRENCY_RATES into one validated matrix.
func authority(getenv func(string) string) (complaint.AuthorityMatrix, error) {
	m := complaint.DefaultAuthority()
	if v := getenv("AUTHORITY_MATRIX"); v != "" {
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		m = complaint.AuthorityMatrix{}
		if err := dec.Decode(&m); err != nil {
			return m, fmt.Errorf("AUTHORITY_MATRIX: %w", err)
		}
	}
	if m.Currency == "" || getenv("BASE_CURRENCY") != "" {
		m.Currency = strings.ToUpper(or(getenv("BASE_CURRENCY"), complaint.LegacyCurrency))
	}
	if _, ok := complaint.MinorUnits(m.Currency); !ok {
		return m, fmt.Errorf("BASE_CURRENCY: %q is not an ISO 4217 code of %s", m.Currency, strings.Join(complaint.SupportedCurrencies(), ", "))
	}
	rates := map[string]string{}
	for _, kv := range strings.Split(getenv("CURRENCY_RATES"), ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		code, rate, _ := strings.Cut(kv, "=")
		code = strings.ToUpper(strings.TrimSpace(code))
		if _, err := complaint.ParseRate(strings.TrimSpace(rate)); err != nil {
			return m, fmt.Errorf("CURRENCY_RATES: %s: %w (write CODE=value of one unit in %s, e.g. JPY=0.0478)", code, err, m.Currency)
		}
		rates[code] = strings.TrimSpace(rate)
	}
	var errs []error
	for _, code := range strings.Split(or(getenv("CURRENCIES"), m.Currency), ",") {
		code = strings.ToUpper(strings.TrimSpace(code))
		switch _, known := complaint.MinorUnits(code); {
		case !known:
			errs = append(errs, fmt.Errorf("CURRENCIES: %q is not an ISO 4217 code of %s", code, strings.Join(complaint.SupportedCurrencies(), ", ")))
		case code == m.Currency:
		case rates[code] == "":
			errs = append(errs, fmt.Errorf("CURRENCY_RATES: %s is in CURRENCIES and needs a rate into %s", code, m.Currency))
		default:
			if m.Rates == nil {
				m.Rates = map[string]string{}
			}
			m.Rates[code] = rates[code]
		}
	}
	for _, code := range slices.Sorted(maps.Keys(rates)) {
		if _, listed := m.Rates[code]; !listed {
			errs = append(errs, fmt.Errorf("CURRENCY_RATES: %s is not in CURRENCIES", code))
		}
	}
	if len(errs) > 0 {
		return m, errors.Join(errs...)
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("AUTHORITY_MATRIX: %w", err)
	}
	return m, nil
}
