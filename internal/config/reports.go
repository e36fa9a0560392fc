package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

// loadSystemic reads the systemic-issue rule (SYSTEMIC_WINDOW, _BASELINE,
// _INTERVAL, _MIN_COUNT, _FACTOR, _DIMENSIONS) and whether this process
// runs its detector (SYSTEMIC_DETECTOR).
func loadSystemic(getenv func(string) string, c *Config) []error {
	var errs []error
	var err error
	c.Spike = complaint.DefaultSpikeRule()
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"SYSTEMIC_WINDOW", &c.Spike.Window}, {"SYSTEMIC_BASELINE", &c.Spike.Baseline}, {"SYSTEMIC_INTERVAL", &c.Spike.Interval}} {
		if *d.dst, err = duration(getenv, d.name, *d.dst); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Spike.MinCount, err = Int(getenv, "SYSTEMIC_MIN_COUNT", c.Spike.MinCount); err != nil {
		errs = append(errs, errors.New("SYSTEMIC_MIN_COUNT: must be an integer"))
	}
	if v := getenv("SYSTEMIC_FACTOR"); v != "" {
		if c.Spike.Factor, err = strconv.ParseFloat(v, 64); err != nil {
			errs = append(errs, errors.New("SYSTEMIC_FACTOR: must be a number"))
		}
	}
	if v := getenv("SYSTEMIC_DIMENSIONS"); v != "" {
		c.Spike.Dimensions = strings.Split(strings.ReplaceAll(v, " ", ""), ",")
	}
	if err := c.Spike.Validate(); err != nil {
		// The rule names its field; the variable is SYSTEMIC_<FIELD>.
		field, _, _ := strings.Cut(err.Error(), ":")
		errs = append(errs, fmt.Errorf("SYSTEMIC_%s: %w", strings.ToUpper(field), err))
	}
	switch v := or(getenv("SYSTEMIC_DETECTOR"), "on"); v {
	case "on", "off":
		c.SpikeDetector = v == "on"
	default:
		errs = append(errs, fmt.Errorf("SYSTEMIC_DETECTOR: %q is not on or off", v))
	}
	return errs
}

// loadReports reads the report summary's settings: the time zones it
// keeps (REPORT_ZONES) and how often a worker refreshes it
// (REPORT_REFRESH, "off" for never).
func loadReports(getenv func(string) string, c *Config) []error {
	var errs []error
	for _, z := range strings.Split(or(getenv("REPORT_ZONES"), "UTC"), ",") {
		z = strings.TrimSpace(z)
		if _, err := time.LoadLocation(z); err != nil || z == "" || z == "Local" {
			errs = append(errs, fmt.Errorf("REPORT_ZONES: %q is not an IANA time zone", z))
			continue
		}
		if !slices.Contains(c.ReportZones, z) {
			c.ReportZones = append(c.ReportZones, z)
		}
	}
	if getenv("REPORT_REFRESH") != "off" {
		var err error
		if c.ReportRefresh, err = duration(getenv, "REPORT_REFRESH", 5*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
