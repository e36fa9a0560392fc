package apiserver

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/internal/store"
)

// webFS holds the pages' templates, scripts, styles and translations; they
// are embedded so the binary serves the console offline, with no CDN.
//
//go:embed web
var webFS embed.FS

// web renders the customer pages and the staff console. Every page is a
// server-rendered shell with its strings; its script talks to the same
// JSON API, under the same authorisation, as any other client.
type web struct {
	tmpl   *template.Template
	dict   map[string]map[string]string
	static fs.FS
	// paths are the page and asset routes (not API operations).
	paths []string
	// version is a hash of the static files, appended to their URLs so a
	// new build is never served stale from a browser cache.
	version string
}

func newWeb() (*web, error) {
	w := &web{dict: map[string]map[string]string{}}
	for _, lang := range Languages() {
		raw, err := webFS.ReadFile("web/i18n/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		d := map[string]string{}
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("web: i18n/%s.json: %w", lang, err)
		}
		w.dict[lang] = d
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	w.static = static
	h := sha256.New()
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	w.version = hex.EncodeToString(h.Sum(nil))[:12]
	w.tmpl, err = template.New("").Funcs(template.FuncMap{
		"t": func(lang, key string) string {
			if v, ok := w.dict[lang][key]; ok {
				return v
			}
			return key
		},
	}).ParseFS(webFS, "web/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	return w, nil
}

// pageData is what every page template gets.
type pageData struct {
	Lang, Page, Title string
	// Token is the tracking or survey token of a customer page.
	Token   string
	Dict    map[string]string
	Version string
	// Other is the language the switch offers.
	Other string
}

// routes registers the pages and their assets.
func (w *web) routes(r *gin.Engine, s *Server) {
	get := func(p string, h ...gin.HandlerFunc) {
		w.paths = append(w.paths, p)
		r.GET(p, h...)
	}
	assets := http.StripPrefix("/assets/", http.FileServer(http.FS(w.static)))
	get("/assets/*file", func(c *gin.Context) {
		if c.Query("v") == w.version {
			c.Header("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			c.Header("Cache-Control", "no-cache")
		}
		assets.ServeHTTP(c.Writer, c.Request)
	})
	get("/favicon.ico", func(c *gin.Context) {
		c.Redirect(http.StatusMovedPermanently, "/assets/favicon.svg?v="+w.version)
	})
	get("/", func(c *gin.Context) { w.render(c, "form", "", w.language(c, "")) })
	// The customer pages look a token up as their JSON does, so they are
	// limited the same way (one limiter: a page and its JSON share the
	// client's bucket).
	get("/track/:token", noStore(), s.rateLimitPublic(), func(c *gin.Context) {
		lang := ""
		if cs, err := s.store.GetCaseByTrackingToken(c, store.HashToken(c.Param("token"))); err == nil {
			lang = cs.Language
		}
		w.render(c, "track", c.Param("token"), w.language(c, lang))
	})
	get("/survey/:token", noStore(), s.rateLimitPublic(), func(c *gin.Context) {
		lang := ""
		if cs, err := s.store.GetCaseBySurveyToken(c, store.HashToken(c.Param("token"))); err == nil {
			lang = cs.Language
		}
		w.render(c, "survey", c.Param("token"), w.language(c, lang))
	})
	get("/console", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/console/") })
	for _, p := range []struct{ path, page string }{
		{"/console/", "inbox"}, {"/console/signin", "signin"}, {"/console/search", "search"},
		{"/console/dashboard", "dashboard"}, {"/console/reports", "reports"}, {"/console/cases/:id", "case"},
		{"/console/incidents", "incidents"}, {"/console/incidents/:id", "incident"},
	} {
		page := p.page
		get(p.path, func(c *gin.Context) { w.render(c, page, c.Param("id"), w.language(c, "")) })
	}
}

// language picks the page's language: an explicit ?lang= (remembered in a
// cookie); on a customer page, the case's language (the customer's
// language follows the case, whatever another visit chose); then the
// cookie, the browser's preference, and Chinese.
func (w *web) language(c *gin.Context, caseLang string) string {
	valid := func(l string) bool { return l == "zh" || l == "en" }
	if l := c.Query("lang"); valid(l) {
		c.SetSameSite(http.SameSiteLaxMode)
		c.SetCookie("lang", l, 365*24*3600, "/", "", false, true)
		return l
	}
	if valid(caseLang) {
		return caseLang
	}
	if l, err := c.Cookie("lang"); err == nil && valid(l) {
		return l
	}
	for _, part := range strings.Split(c.GetHeader("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if l := strings.SplitN(tag, "-", 2)[0]; valid(l) {
			return l
		}
	}
	return Languages()[0]
}

func (w *web) render(c *gin.Context, page, token, lang string) {
	other := "en"
	if lang == "en" {
		other = "zh"
	}
	d := pageData{Lang: lang, Page: page, Token: token, Dict: w.dict[lang], Version: w.version, Other: other,
		Title: w.dict[lang]["title."+page]}
	var buf bytes.Buffer
	if err := w.tmpl.ExecuteTemplate(&buf, "layout.html", d); err != nil {
		problem(c, http.StatusInternalServerError, "internal error", "")
		return
	}
	// The pages run only their own scripts and styles and load nothing
	// from elsewhere; they may not be framed (clickjacking on approvals).
	c.Header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}
