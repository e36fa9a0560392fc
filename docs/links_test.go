// Package docs_test checks the repository's Markdown: every relative link
// resolves to a file (and an anchor to a heading of it), and every page under
// docs/ is reachable from the README or another page. The README is a map
// and the manual lives in docs/, so a moved section or a renamed heading
// must not leave a reader at a dead link.
package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// root is the repository's top folder, seen from this package's folder.
const root = ".."

// TestRelativeLinksResolve fails for each relative link in a Markdown file
// of the repository that names a missing file, or an anchor that is no
// heading of the file it points into.
func TestRelativeLinksResolve(t *testing.T) {
	pages := markdownFiles(t)
	anchors := map[string][]string{} // file -> its headings' anchors
	for _, p := range pages {
		anchors[p] = headingAnchors(readFile(t, p))
	}
	for _, p := range pages {
		for _, l := range links(readFile(t, p)) {
			target, anchor, ok := resolve(p, l)
			if !ok {
				continue
			}
			if strings.HasPrefix(l, "/") {
				t.Errorf("%s: link %q is absolute; write it relative to the file", rel(p), l)
				continue
			}
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s: link %q: no file %s", rel(p), l, rel(target))
				continue
			}
			if anchor == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			as, ok := anchors[target]
			if !ok {
				as = headingAnchors(readFile(t, target))
			}
			if !slices.Contains(as, anchor) {
				t.Errorf("%s: link %q: %s has no heading with the anchor #%s", rel(p), l, rel(target), anchor)
			}
		}
	}
}

// TestEveryDocIsLinked fails for each Markdown page under docs/ that neither
// the README nor another page links to: a page nobody can find is lost.
func TestEveryDocIsLinked(t *testing.T) {
	linked := map[string]bool{}
	for _, p := range markdownFiles(t) {
		for _, l := range links(readFile(t, p)) {
			if target, _, ok := resolve(p, l); ok && target != p {
				linked[target] = true
			}
		}
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no Markdown pages in docs/")
	}
	for _, d := range docs {
		if !linked[filepath.Clean(d)] {
			t.Errorf("%s is linked from neither README.md nor another page", rel(d))
		}
	}
}

// TestAnchorAndLinkParsing pins the two checks' parsers to what GitHub
// renders: the anchors of headings, and which link targets count.
func TestAnchorAndLinkParsing(t *testing.T) {
	anchorCases := []struct{ heading, want string }{
		{"Two commands", "two-commands"},
		{"Faults: `make chaos`", "faults-make-chaos"},
		{"`complaints audit verify [--case ID]`", "complaints-audit-verify---case-id"},
		{"Reports over 1,000,000 case rows", "reports-over-1000000-case-rows"},
		{"3. Only the API and the workers reach the frontend (`deploy/`)", "3-only-the-api-and-the-workers-reach-the-frontend-deploy"},
		{"The customer's pages", "the-customers-pages"},
		{"Runbooks: what each alert means", "runbooks-what-each-alert-means"},
		{"[API](api.md) routes", "api-routes"},
	}
	for _, c := range anchorCases {
		t.Run("anchor "+c.heading, func(t *testing.T) {
			if got := anchorOf(c.heading); got != c.want {
				t.Errorf("anchorOf(%q) = %q, want %q", c.heading, got, c.want)
			}
		})
	}
	t.Run("duplicate headings", func(t *testing.T) {
		got := headingAnchors("# A\n## Pages\ntext\n## Pages\n```sh\n# not a heading\n```\n")
		if want := []string{"a", "pages", "pages-1"}; !slices.Equal(got, want) {
			t.Errorf("headingAnchors = %q, want %q", got, want)
		}
	})
	t.Run("links", func(t *testing.T) {
		md := "See [a](a.md#x) and ![img](console/p.png \"title\"), `[not](code.md)`,\n" +
			"<http://localhost:8080/>, [web](https://temporal.io).\n```sh\n[no](fenced.md)\n```\n"
		got := links(md)
		if want := []string{"a.md#x", "console/p.png", "https://temporal.io"}; !slices.Equal(got, want) {
			t.Errorf("links = %q, want %q", got, want)
		}
	})
}

// markdownFiles lists the repository's Markdown files, leaving out hidden
// folders (.git, .data) and what tests and builds write.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "test-artifacts" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, filepath.Clean(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, filepath.Join(root, "README.md")) {
		t.Fatalf("README.md not found under %s", root)
	}
	return files
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rel(p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return r
}

var (
	linkRE     = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	codeSpanRE = regexp.MustCompile("`[^`]*`")
	headingRE  = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
	schemeRE   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// prose returns the lines of md outside fenced code blocks.
func prose(md string) []string {
	var out []string
	fenced := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, line)
		}
	}
	return out
}

// links returns the targets of the inline links and images in md, outside
// code blocks and code spans.
func links(md string) []string {
	var out []string
	for _, line := range prose(md) {
		for _, m := range linkRE.FindAllStringSubmatch(codeSpanRE.ReplaceAllString(line, ""), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// resolve returns the file a link in page points to and its anchor; ok is
// false for links that leave the repository (a scheme such as https:).
func resolve(page, link string) (target, anchor string, ok bool) {
	if schemeRE.MatchString(link) {
		return "", "", false
	}
	path, anchor, _ := strings.Cut(link, "#")
	if path == "" {
		return page, anchor, true
	}
	return filepath.Clean(filepath.Join(filepath.Dir(page), path)), anchor, true
}

// headingAnchors returns the anchors GitHub gives md's headings, in order,
// numbering repeated ones as it does (pages, pages-1, ...).
func headingAnchors(md string) []string {
	var out []string
	seen := map[string]int{}
	for _, line := range prose(md) {
		m := headingRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		a := anchorOf(m[1])
		if n := seen[a]; n > 0 {
			seen[a]++
			a = a + "-" + strconv.Itoa(n)
		} else {
			seen[a] = 1
		}
		out = append(out, a)
	}
	return out
}

var inlineLinkRE = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// anchorOf is GitHub's anchor of a heading: its text (a link's text, code
// without its backticks), lower-cased, without punctuation other than
// hyphens and underscores, spaces turned into hyphens.
func anchorOf(heading string) string {
	text := inlineLinkRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
