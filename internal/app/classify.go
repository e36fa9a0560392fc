package app

import (
	"context"
	"fmt"

	"github.com/complaint-handling/complaints/apiserver"
	"github.com/complaint-handling/complaints/internal/classify"
	"github.com/complaint-handling/complaints/internal/config"
)

// classifier builds the API's classifier: the taxonomy (seeded from the
// shipped one into an empty database) matched with Chinese word
// segmentation, or none when CLASSIFIER=keywords (the workflow's keyword
// rules classify). The segmenter comes from opts when the caller shares
// one (tests), else its dictionary loads in the background.
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
	if opts.Segmenter != nil {
		return classify.NewService(opts.Segmenter, a.Store, a.Config.Classifier.TaxonomyTTL, a.Logger, nil), nil
	}
	// The dictionary loads while the process starts; complaints filed
	// before it is ready wait for it up to the intake's bound.
	return classify.NewServiceLoading(classify.NewSegmenter, a.Store, a.Config.Classifier.TaxonomyTTL, a.Logger, nil), nil
}
