package config

import (
	"strings"
	"testing"
	"time"
)

func TestSMSSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.SMS.Enabled() || c.SMS.Timeout != 10*time.Second {
		t.Fatalf("sms defaults = %+v, %v", c.SMS, err)
	}
	c, err = Load(env(map[string]string{"SMS_URL": "smpp://complaints:pw@smsc.example.com:2775", "SMS_FROM": "+8610000"}))
	if err != nil || !c.SMS.Enabled() || c.SMS.From != "+8610000" {
		t.Fatalf("sms on = %+v, %v", c.SMS, err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"not an smpp URL", map[string]string{"SMS_URL": "http://complaints:hunter2@smsc.example.com", "SMS_FROM": "1"}, []string{"SMS_URL"}},
		{"no system id", map[string]string{"SMS_URL": "smpp://smsc.example.com", "SMS_FROM": "1"}, []string{"SMS_URL"}},
		{"no sender, bad timeout", map[string]string{"SMS_URL": "smpp://c:hunter2@smsc.example.com", "SMS_TIMEOUT": "soon"},
			[]string{"SMS_FROM", "SMS_TIMEOUT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.env))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not name %s", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error prints the SMPP password: %v", err)
			}
		})
	}
}
