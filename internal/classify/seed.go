package classify

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/complaint-handling/complaints/complaint"
)

//go:embed taxonomy.json
var seedJSON []byte

// Seed is the taxonomy the product ships with (taxonomy.json), which the
// store loads into an empty database; admins edit it from there.
func Seed() (complaint.Taxonomy, error) {
	var t complaint.Taxonomy
	if err := json.Unmarshal(seedJSON, &t); err != nil {
		return t, fmt.Errorf("classify.Seed: %w", err)
	}
	return t, nil
}
