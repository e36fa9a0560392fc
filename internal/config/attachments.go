package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/internal/attachments"
)

// Attachments are the settings of files attached to cases.
type Attachments struct {
	// MaxBytes is the largest file (ATTACHMENT_MAX_BYTES, 10 MiB).
	MaxBytes int64
	// CaseMaxBytes is the most a case's files hold together
	// (ATTACHMENT_CASE_MAX_BYTES, 50 MiB).
	CaseMaxBytes int64
	// MaxFiles is the most files a case holds (ATTACHMENT_MAX_FILES, 20).
	MaxFiles int
	// ClamdAddr is clamd's address (CLAMD_ADDR: tcp://host:port,
	// host:port, unix:///path or /path); empty: files are not scanned.
	ClamdAddr string
	// ClamdTimeout bounds one scan (CLAMD_TIMEOUT, 30s).
	ClamdTimeout time.Duration
}

// loadAttachments reads ATTACHMENT_MAX_BYTES, ATTACHMENT_CASE_MAX_BYTES,
// ATTACHMENT_MAX_FILES, CLAMD_ADDR and CLAMD_TIMEOUT.
func loadAttachments(getenv func(string) string, c *Config) []error {
	var errs []error
	a := Attachments{MaxBytes: 10 << 20, CaseMaxBytes: 50 << 20, MaxFiles: 20, ClamdTimeout: 30 * time.Second}
	var err error
	if a.MaxBytes, err = byteSize(getenv, "ATTACHMENT_MAX_BYTES", a.MaxBytes); err != nil {
		errs = append(errs, err)
	}
	if a.CaseMaxBytes, err = byteSize(getenv, "ATTACHMENT_CASE_MAX_BYTES", a.CaseMaxBytes); err != nil {
		errs = append(errs, err)
	}
	if a.CaseMaxBytes < a.MaxBytes {
		errs = append(errs, fmt.Errorf("ATTACHMENT_CASE_MAX_BYTES: %d is less than ATTACHMENT_MAX_BYTES (%d)", a.CaseMaxBytes, a.MaxBytes))
	}
	if a.MaxFiles, err = Int(getenv, "ATTACHMENT_MAX_FILES", a.MaxFiles); err != nil {
		errs = append(errs, err)
	} else if a.MaxFiles < 1 {
		errs = append(errs, fmt.Errorf("ATTACHMENT_MAX_FILES: must be at least 1"))
	}
	if a.ClamdAddr = strings.TrimSpace(getenv("CLAMD_ADDR")); a.ClamdAddr != "" {
		if _, _, err := attachments.ParseClamdAddr(a.ClamdAddr); err != nil {
			errs = append(errs, fmt.Errorf("CLAMD_ADDR: %w", err))
		}
	}
	if a.ClamdTimeout, err = duration(getenv, "CLAMD_TIMEOUT", a.ClamdTimeout); err != nil {
		errs = append(errs, err)
	}
	c.Attachments = a
	return errs
}

// byteSize reads a size in bytes, or with a KiB, MiB or GiB suffix; it
// must be positive.
func byteSize(getenv func(string) string, name string, def int64) (int64, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > (1<<40)/mult {
		return def, fmt.Errorf("%s: %q is not a size such as 10485760 or 10MiB", name, getenv(name))
	}
	return n * mult, nil
}
