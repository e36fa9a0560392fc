package apiserver

import (
	"log/slog"
	"regexp"
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
	s := New(nil, nil, auth.Verifier{}, Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	param := regexp.MustCompile(`:(\w+)`)
	n := 0
	for _, r := range s.engine.Routes() {
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
