package config

import (
	"slices"
	"strings"
	"testing"
)

// TestEngineerToolsSettings: the Temporal UI's address and URL and the
// codec endpoint's allowed origins, their defaults and what is refused.
func TestEngineerToolsSettings(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     map[string]string
		addr    string
		url     string
		origins []string
		bad     string
	}{
		{"defaults", nil, DefaultTemporalUIAddr, "", []string{"http://localhost:8233"}, ""},
		{"origins follow the UI's URL", map[string]string{"TEMPORAL_UI_URL": "https://ui.example.com/"}, DefaultTemporalUIAddr, "https://ui.example.com", []string{"https://ui.example.com"}, ""},
		{"explicit origins", map[string]string{"CODEC_ALLOWED_ORIGINS": "https://a.example.com, http://localhost:9000"}, DefaultTemporalUIAddr, "", []string{"https://a.example.com", "http://localhost:9000"}, ""},
		{"off", map[string]string{"TEMPORAL_UI_ADDR": "off"}, "off", "", []string{"http://localhost:8233"}, ""},
		{"an origin with a path", map[string]string{"CODEC_ALLOWED_ORIGINS": "https://a.example.com/ui"}, "", "", nil, "CODEC_ALLOWED_ORIGINS"},
		{"a wildcard origin", map[string]string{"CODEC_ALLOWED_ORIGINS": "*"}, "", "", nil, "CODEC_ALLOWED_ORIGINS"},
		{"a UI URL that is not http", map[string]string{"TEMPORAL_UI_URL": "ftp://ui"}, "", "", nil, "TEMPORAL_UI_URL"},
		{"an address without a port", map[string]string{"TEMPORAL_UI_ADDR": "localhost"}, "", "", nil, "TEMPORAL_UI_ADDR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(func(k string) string { return c.env[k] })
			if c.bad != "" {
				if err == nil || !strings.Contains(err.Error(), c.bad) {
					t.Fatalf("err %v, want one naming %s", err, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.TemporalUIAddr != c.addr || cfg.TemporalUIURL != c.url || !slices.Equal(cfg.CodecOrigins, c.origins) {
				t.Errorf("addr %q url %q origins %v", cfg.TemporalUIAddr, cfg.TemporalUIURL, cfg.CodecOrigins)
			}
		})
	}
}
