package app

import (
	"context"
	"fmt"
	"time"

	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/internal/classify"
	"github.com/complaint-handling/complaints/internal/config"
)

// classifier builds the API's classifier: the taxonomy (seeded from the
// shipped one into an empty database) matched with Chinese word
// segmentation, or none when CLASSIFIER=keywords (the workflow's keyword
// rules classify). The segmenter comes from opts when the caller shares
// one (tests), else its dictionary is loaded here.
func (a *App) classifier(ctx context.Context, opts Options) (apiserver.Classifier, error) {
	if a.Config.Classifier.Mode == config.ClassifierKeywords {
		return nil, nil
	}
	seed, err := classify.Seed()
	if err != nil {
		return nil, err
	}
	if loaded, err := a.Store.SeedTaxonomy(ctx, seed); err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	} else if loaded {
		a.Logger.Info("taxonomy loaded from the shipped seed", "categories", len(seed.Categories))
	}
	seg := opts.Segmenter
	if seg == nil {
		start := time.Now()
		if seg, err = classify.NewSegmenter(); err != nil {
			return nil, err
		}
		a.Logger.Info("segmenter dictionary loaded", "seconds", time.Since(start).Seconds())
	}
	return classify.NewService(seg, a.Store, a.Config.Classifier.TaxonomyTTL, a.Logger, nil), nil
}
