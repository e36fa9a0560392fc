package apiserver

import (
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/complaint-handling/complaints/internal/auth"
)

func newTestServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(nil, nil, auth.Verifier{}, Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, s *Server, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

// TestPagesRender checks each page that needs no database renders in the
// language asked for, with its strings, its script and a strict content
// security policy.
func TestPagesRender(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		path, lang, want string
		headers          []string
	}{
		{"/?lang=en", "en", `id="complaint-form"`, nil},
		{"/?lang=zh", "zh", "提交投诉", nil},
		{"/", "en", "Tell us what went wrong", []string{"Accept-Language", "en-GB,en;q=0.9"}},
		{"/", "zh", "提交投诉", []string{"Accept-Language", "fr-FR"}},
		{"/", "en", "Tell us what went wrong", []string{"Cookie", "lang=en"}},
		{"/console/", "en", `/assets/console.js?v=`, []string{"Accept-Language", "en"}},
		{"/console/signin", "zh", "投诉处理工作台", nil},
		{"/console/cases/8a3f0c1e-0000-4000-8000-000000000001", "en", `data-token="8a3f0c1e-0000-4000-8000-000000000001"`, []string{"Accept-Language", "en"}},
		{"/console/dashboard?lang=en", "en", `data-page="dashboard"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.lang, func(t *testing.T) {
			w := get(t, s, tt.path, tt.headers...)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			body := w.Body.String()
			if !strings.Contains(body, `<html lang="`+tt.lang+`">`) || !strings.Contains(body, tt.want) {
				t.Errorf("page lacks lang %s or %q:\n%.600s", tt.lang, tt.want, body)
			}
			csp := w.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP = %q", csp)
			}
			if w.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Error("a tracking link in the URL must not leak through Referer")
			}
			// The dictionary the scripts read is JSON in the page.
			m := regexp.MustCompile(`(?s)<script type="application/json" id="i18n">(.*?)</script>`).FindStringSubmatch(body)
			if m == nil {
				t.Fatal("no i18n block")
			}
			var d map[string]string
			if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
				t.Fatalf("i18n block is not JSON: %v", err)
			}
			if d["lang.self"] == "" {
				t.Error("i18n block lacks lang.self")
			}
		})
	}
	if w := get(t, s, "/?lang=en"); !strings.Contains(w.Header().Get("Set-Cookie"), "lang=en") {
		t.Error("?lang= is not remembered")
	}
}

// TestAssetsAreEmbeddedAndVersioned checks every page asset is served
// from the binary, long-cached only under the current version.
func TestAssetsAreEmbeddedAndVersioned(t *testing.T) {
	s := newTestServer(t)
	for _, name := range []string{"style.css", "common.js", "customer.js", "console.js", "case.js", "dashboard.js", "reports.js", "incidents.js", "favicon.svg"} {
		w := get(t, s, "/assets/"+name+"?v="+s.web.version)
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("%s: %d", name, w.Code)
		}
		if !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q", name, w.Header().Get("Cache-Control"))
		}
	}
	if w := get(t, s, "/assets/console.js?v=old"); w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("a stale version is cached: %q", w.Header().Get("Cache-Control"))
	}
	if w := get(t, s, "/assets/nope.js"); w.Code != http.StatusNotFound {
		t.Errorf("missing asset: %d", w.Code)
	}
}

// TestTranslationsAreComplete checks both languages have the same keys and
// every key the templates and scripts name literally exists.
func TestTranslationsAreComplete(t *testing.T) {
	s := newTestServer(t)
	zh, en := s.web.dict["zh"], s.web.dict["en"]
	for k := range zh {
		if en[k] == "" {
			t.Errorf("en lacks %q", k)
		}
	}
	for k := range en {
		if zh[k] == "" {
			t.Errorf("zh lacks %q", k)
		}
	}
	uses := regexp.MustCompile(`\bt\('([a-z0-9_.]+)'|\{\{t \.(?:Lang|Other) "([a-z0-9_.]+)"|'((?:list|approval|case|clocks|findings|action|proposal|remedy|incident|report)\.[a-z_]+)'`)
	n := 0
	err := fs.WalkDir(webFS, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".html")) {
			return err
		}
		b, err := fs.ReadFile(webFS, p)
		for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
			key := slices.DeleteFunc([]string{m[1], m[2], m[3]}, func(s string) bool { return s == "" })[0]
			if strings.HasSuffix(key, ".") {
				continue // a prefix completed at run time (status., category. ...)
			}
			n++
			if en[key] == "" {
				t.Errorf("%s uses %q, which is not translated", p, key)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 200 {
		t.Errorf("only %d uses found; is the pattern stale?", n)
	}
	for _, page := range []string{"form", "track", "survey", "inbox", "signin", "search", "dashboard", "case"} {
		if en["title."+page] == "" {
			t.Errorf("no title for page %s", page)
		}
	}
}
