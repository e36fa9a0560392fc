package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.TemporalFrontend != "127.0.0.1:7233" || c.TemporalNamespace != "complaints" ||
		c.DataDir != ".data" || c.ShutdownTimeout != 20*time.Second || c.PublicBaseURL != "http://localhost:8080" {
		t.Errorf("defaults = %+v", c)
	}
	if err := c.RequireExternal(); err == nil {
		t.Error("production commands accepted a config without DATABASE_URL")
	}
	if c.PayloadAcceptPlaintext || c.DecisionMaxAge != 5*time.Minute || c.TemporalTLS.Enabled() {
		t.Errorf("engine defaults: plaintext %v, max age %s, tls %+v", c.PayloadAcceptPlaintext, c.DecisionMaxAge, c.TemporalTLS)
	}
	if err := c.RequireExternal(); err == nil || !strings.Contains(err.Error(), "DECISION_SIGNING_KEY") {
		t.Errorf("production commands: %v; want DECISION_SIGNING_KEY required", err)
	}
	if fmt.Sprint(c.ReportZones) != "[UTC]" || c.ReportRefresh != 5*time.Second {
		t.Errorf("report summary defaults = %v every %s", c.ReportZones, c.ReportRefresh)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.TrustedProxies != nil {
		t.Fatalf("default trusts %v (%v); want nobody", c.TrustedProxies, err)
	}
	c, err = Load(env(map[string]string{"TRUSTED_PROXIES": " 172.28.0.80, 10.0.0.0/8,,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.TrustedProxies) != "[172.28.0.80 10.0.0.0/8 ::1]" {
		t.Errorf("trusted proxies = %v", c.TrustedProxies)
	}
}

func TestReportSummarySettings(t *testing.T) {
	c, err := Load(env(map[string]string{"REPORT_ZONES": "Asia/Shanghai, UTC,Asia/Shanghai", "REPORT_REFRESH": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.ReportZones) != "[Asia/Shanghai UTC]" || c.ReportRefresh != 0 {
		t.Errorf("zones %v, refresh %s", c.ReportZones, c.ReportRefresh)
	}
}

func TestStaffSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.StaffAutoConfirm || c.JWTAudience != "" {
		t.Fatalf("defaults: auto-confirm %v, audience %q, %v", c.StaffAutoConfirm, c.JWTAudience, err)
	}
	c, err = Load(env(map[string]string{"STAFF_AUTO_CONFIRM": "on", "JWT_AUDIENCE": "complaints-api"}))
	if err != nil || !c.StaffAutoConfirm || c.JWTAudience != "complaints-api" {
		t.Errorf("set: auto-confirm %v, audience %q, %v", c.StaffAutoConfirm, c.JWTAudience, err)
	}
}

func TestValidationNamesTheVariable(t *testing.T) {
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"bad url":      {map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		"bad addr":     {map[string]string{"HTTP_ADDR": "8080"}, "HTTP_ADDR"},
		"bad temporal": {map[string]string{"TEMPORAL_ADDRESS": "nohost"}, "TEMPORAL_ADDRESS"},
		"bad level":    {map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		"short secret": {map[string]string{"JWT_SECRET": "short"}, "JWT_SECRET"},
		"bad duration": {map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		"spike window": {map[string]string{"SYSTEMIC_WINDOW": "an hour"}, "SYSTEMIC_WINDOW"},
		"spike min":    {map[string]string{"SYSTEMIC_MIN_COUNT": "1"}, "SYSTEMIC_MIN_COUNT"},
		"spike factor": {map[string]string{"SYSTEMIC_FACTOR": "0.5"}, "SYSTEMIC_FACTOR"},
		"spike dims":   {map[string]string{"SYSTEMIC_DIMENSIONS": "product,colour"}, "SYSTEMIC_DIMENSIONS"},
		"spike base":   {map[string]string{"SYSTEMIC_BASELINE": "30m"}, "SYSTEMIC_BASELINE"},
		"detector":     {map[string]string{"SYSTEMIC_DETECTOR": "maybe"}, "SYSTEMIC_DETECTOR"},
		"report zone":  {map[string]string{"REPORT_ZONES": "UTC,Mars/Olympus"}, "REPORT_ZONES"},
		"empty zone":   {map[string]string{"REPORT_ZONES": "UTC,"}, "REPORT_ZONES"},
		"refresh":      {map[string]string{"REPORT_REFRESH": "0s"}, "REPORT_REFRESH"},
		"plaintext":    {map[string]string{"PAYLOAD_ACCEPT_PLAINTEXT": "yes"}, "PAYLOAD_ACCEPT_PLAINTEXT"},
		"signing key":  {map[string]string{"DECISION_SIGNING_KEY": "short"}, "DECISION_SIGNING_KEY"},
		"old key":      {map[string]string{"DECISION_SIGNING_KEY_PREVIOUS": "short"}, "DECISION_SIGNING_KEY_PREVIOUS"},
		"max age":      {map[string]string{"DECISION_MAX_AGE": "-1m"}, "DECISION_MAX_AGE"},
		"tls pair":     {map[string]string{"TEMPORAL_TLS_CERT": "/c.pem"}, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"},
		"proxy":        {map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,nginx"}, "TRUSTED_PROXIES"},
		"auto confirm": {map[string]string{"STAFF_AUTO_CONFIRM": "yes"}, "STAFF_AUTO_CONFIRM"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestStringRedactsSecrets(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u:hunter2@db:5432/x", "JWT_SECRET": strings.Repeat("s", 40),
		"DECISION_SIGNING_KEY": strings.Repeat("d", 40)}))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "hunter2") || strings.Contains(s, "ssss") || strings.Contains(s, "dddd") {
		t.Errorf("String leaks a secret: %s", s)
	}
}

// TestEveryBadSettingAtOnce sets one bad variable of each topic's loader:
// one error names them all, so an operator fixes the environment in one go.
func TestEveryBadSettingAtOnce(t *testing.T) {
	bad := map[string]string{
		"DATABASE_URL": "mysql://x", "TEMPORAL_ADDRESS": "nohost", "HTTP_ADDR": "8080", "JWT_SECRET": "short",
		"PAYMENTS_URL": "ftp://pay", "SYSTEMIC_FACTOR": "many", "REPORT_ZONES": "Mars/Olympus", "BASE_CURRENCY": "XXX",
		"LOG_LEVEL": "loud",
	}
	_, err := Load(env(bad))
	if err == nil {
		t.Fatal("Load accepted every bad setting")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
}
