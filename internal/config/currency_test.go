package config

import (
	"strings"
	"testing"
)

func TestCurrencySettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Authority.Base() != "CNY" || strings.Join(c.Authority.Currencies(), ",") != "CNY" || c.Authority.Limits["supervisor"] != 1_000_00 {
		t.Errorf("default authority = %+v; want CNY only, DOMAIN.md's limits", c.Authority)
	}
	c, err = Load(env(map[string]string{"CURRENCIES": "cny, JPY,USD", "CURRENCY_RATES": "JPY=0.048, usd=7.1",
		"AUTHORITY_MATRIX": `{"limits":{"agent":0,"supervisor":5000,"manager":1000000,"director":-1},"four_eyes_above":5000000,"refusal_sign_off_role":"supervisor"}`}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Authority.Currencies(), ",") != "CNY,JPY,USD" || c.Authority.Rates["JPY"] != "0.048" || c.Authority.Limits["supervisor"] != 5000 {
		t.Errorf("configured authority = %+v", c.Authority)
	}
	for name, tt := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"not a currency":    {map[string]string{"CURRENCIES": "CNY,ZZZ,XXX"}, []string{`CURRENCIES: "ZZZ"`, `CURRENCIES: "XXX"`}},
		"rate missing":      {map[string]string{"CURRENCIES": "CNY,JPY"}, []string{"CURRENCY_RATES: JPY is in CURRENCIES and needs a rate"}},
		"rate unlisted":     {map[string]string{"CURRENCY_RATES": "JPY=0.048"}, []string{"CURRENCY_RATES: JPY is not in CURRENCIES"}},
		"bad rate":          {map[string]string{"CURRENCIES": "CNY,JPY", "CURRENCY_RATES": "JPY=1/20"}, []string{"CURRENCY_RATES: JPY"}},
		"bad base":          {map[string]string{"BASE_CURRENCY": "XXX"}, []string{"BASE_CURRENCY"}},
		"migrate alone":     {map[string]string{"MIGRATE_DATABASE_URL": "postgres://o@db/c"}, []string{"MIGRATE_DATABASE_URL: set DATABASE_URL too"}},
		"migrate not a URL": {map[string]string{"DATABASE_URL": "postgres://a@db/c", "MIGRATE_DATABASE_URL": "mysql://o@db/c"}, []string{"MIGRATE_DATABASE_URL: must be a postgres:// URL"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Load(%v) = %v; want it to say %q", tt.env, err, w)
				}
			}
		})
	}
	c, err = Load(env(map[string]string{"BASE_CURRENCY": "usd", "CURRENCIES": "USD,EUR", "CURRENCY_RATES": "EUR=1.08"}))
	if err != nil || c.Authority.Base() != "USD" || !c.Authority.Accepts("EUR") || c.Authority.Accepts("CNY") {
		t.Errorf("a USD deployment: %+v, %v", c.Authority, err)
	}
}
