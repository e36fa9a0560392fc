package config

import (
	"strings"
	"testing"
	"time"
)

func TestAttachmentSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Attachments; a.MaxBytes != 10<<20 || a.CaseMaxBytes != 50<<20 || a.MaxFiles != 20 || a.ClamdAddr != "" || a.ClamdTimeout != 30*time.Second {
		t.Errorf("defaults %+v", a)
	}
	c, err = Load(env(map[string]string{"ATTACHMENT_MAX_BYTES": "512KiB", "ATTACHMENT_CASE_MAX_BYTES": "2097152",
		"ATTACHMENT_MAX_FILES": "5", "CLAMD_ADDR": "unix:///run/clamav/clamd.ctl", "CLAMD_TIMEOUT": "5s"}))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Attachments; a.MaxBytes != 512<<10 || a.CaseMaxBytes != 2<<20 || a.MaxFiles != 5 || a.ClamdAddr != "unix:///run/clamav/clamd.ctl" || a.ClamdTimeout != 5*time.Second {
		t.Errorf("set %+v", a)
	}
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"size words":     {map[string]string{"ATTACHMENT_MAX_BYTES": "ten megs"}, "ATTACHMENT_MAX_BYTES"},
		"zero size":      {map[string]string{"ATTACHMENT_MAX_BYTES": "0"}, "ATTACHMENT_MAX_BYTES"},
		"negative size":  {map[string]string{"ATTACHMENT_CASE_MAX_BYTES": "-1MiB"}, "ATTACHMENT_CASE_MAX_BYTES"},
		"case below one": {map[string]string{"ATTACHMENT_MAX_BYTES": "20MiB", "ATTACHMENT_CASE_MAX_BYTES": "10MiB"}, "ATTACHMENT_CASE_MAX_BYTES"},
		"no files":       {map[string]string{"ATTACHMENT_MAX_FILES": "0"}, "ATTACHMENT_MAX_FILES"},
		"clamd host":     {map[string]string{"CLAMD_ADDR": "clamd"}, "CLAMD_ADDR"},
		"clamd timeout":  {map[string]string{"CLAMD_TIMEOUT": "soon"}, "CLAMD_TIMEOUT"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}
