package config

import (
	"fmt"
	"time"
)

// Classifier settings: how the API classifies new complaints.
type Classifier struct {
	// Mode is "taxonomy" (CLASSIFIER, the default: the API classifies
	// against the taxonomy in the database with Chinese word
	// segmentation, which costs each API process about 130 MB and a
	// second at start) or "keywords" (the workflow's built-in keyword
	// rules classify, as before workflow version 10).
	Mode string
	// TaxonomyTTL is how long an API process classifies with the taxonomy
	// it read before reading it again (CLASSIFIER_TAXONOMY_TTL, default
	// 30s); its own edits take effect at once.
	TaxonomyTTL time.Duration
}

// Classifier modes.
const (
	ClassifierTaxonomy = "taxonomy"
	ClassifierKeywords = "keywords"
)

func loadClassifier(getenv func(string) string, c *Config) []error {
	var errs []error
	c.Classifier.Mode = or(getenv("CLASSIFIER"), ClassifierTaxonomy)
	if c.Classifier.Mode != ClassifierTaxonomy && c.Classifier.Mode != ClassifierKeywords {
		errs = append(errs, fmt.Errorf("CLASSIFIER: %q is not one of taxonomy, keywords", c.Classifier.Mode))
	}
	ttl, err := duration(getenv, "CLASSIFIER_TAXONOMY_TTL", 30*time.Second)
	if err != nil {
		errs = append(errs, err)
	}
	c.Classifier.TaxonomyTTL = ttl
	return errs
}
