package complaint

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps the layering this package exists for: the
// domain imports no Temporal, SQL or HTTP package (nor any adapter of this
// module), and the store, configuration, authentication and observability
// packages import the domain, never the package that holds the Temporal
// workflow. It asks the go command for each package's dependencies, so an
// indirect import counts too.
func TestImportBoundaries(t *testing.T) {
	const mod = "github.com/complaint-handling/complaints/"
	temporal, sql, http := []string{"go.temporal.io/"}, []string{"database/sql", "github.com/jackc/"}, []string{"net/http", "github.com/gin-gonic/"}
	adapters := []string{mod + "workflows", mod + "activities", mod + "apiserver", mod + "worker", mod + "internal/store",
		mod + "internal/app", mod + "internal/config", mod + "internal/auth", mod + "internal/obs"}
	tests := []struct {
		pkg       string
		forbidden [][]string
	}{
		{"./complaint", [][]string{temporal, sql, http, adapters}},
		{"./internal/store", [][]string{{mod + "workflows", mod + "activities", mod + "apiserver"}}},
		{"./internal/config", [][]string{{mod + "workflows", mod + "activities", mod + "apiserver"}}},
		{"./internal/auth", [][]string{{mod + "workflows", mod + "activities", mod + "apiserver"}}},
		{"./internal/obs", [][]string{{mod + "workflows", mod + "activities", mod + "apiserver"}}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", tt.pkg)
			cmd.Dir = ".."
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list %s: %v", tt.pkg, err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 2 {
				t.Fatalf("go list %s listed %v", tt.pkg, deps)
			}
			for _, dep := range deps {
				for _, group := range tt.forbidden {
					for _, prefix := range group {
						if dep == prefix || strings.HasPrefix(dep, strings.TrimSuffix(prefix, "/")+"/") {
							t.Errorf("%s depends on %s", tt.pkg, dep)
						}
					}
				}
			}
		})
	}
}
