package apiserver

import (
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/internal/auth"
)

// TestEveryRouteIsDocumented checks the OpenAPI document is valid and
// documents every route the router registers, with its method.
func TestEveryRouteIsDocumented(t *testing.T) {
	doc, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(nil, nil, auth.Verifier{}, Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:(\w+)`)
	n := 0
	for _, r := range s.engine.Routes() {
		if slices.Contains(s.web.paths, r.Path) {
			continue // a page or an asset, not an API operation
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		item := doc.Paths.Find(path)
		if item == nil {
			t.Errorf("%s %s is not in openapi.yaml", r.Method, path)
			continue
		}
		if item.GetOperation(strings.ToUpper(r.Method)) == nil {
			t.Errorf("%s %s: method not documented", r.Method, path)
		}
		n++
	}
	if n < 20 {
		t.Errorf("only %d routes checked", n)
	}
}
