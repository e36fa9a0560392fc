package apiserver

import (
	"encoding/json"
	"github.com/complaint-handling/complaints/complaint"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryProblemCodeIsTranslated checks every code a field error can
// carry has words in zh and en (problem.<code>), naming in braces only
// parameters the code carries, so a page never shows "{max}"; and that the
// code list is whole: every Code constant of the workflows package is in
// workflows.ErrorCodes, and no Go file outside the tests makes a problem
// with a code that is not one of those constants.
func TestEveryProblemCodeIsTranslated(t *testing.T) {
	s := newTestServer(t)
	placeholder := regexp.MustCompile(`\{(\w+)\}`)
	listed := map[string]bool{}
	for _, c := range complaint.ErrorCodes() {
		if listed[c.Code] {
			t.Errorf("code %q is listed twice", c.Code)
		}
		listed[c.Code] = true
		for _, lang := range Languages() {
			words, ok := s.web.dict[lang]["problem."+c.Code]
			if !ok || strings.TrimSpace(words) == "" {
				t.Errorf("%s has no words for problem code %q", lang, c.Code)
				continue
			}
			for _, m := range placeholder.FindAllStringSubmatch(words, -1) {
				if !slices.Contains(c.Params, m[1]) {
					t.Errorf("%s problem.%s names {%s}, which the code does not carry (%v)", lang, c.Code, m[1], c.Params)
				}
			}
		}
	}
	if len(listed) < 40 {
		t.Errorf("only %d codes", len(listed))
	}

	// Every Code constant is listed, and every problem is made with one.
	consts := map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range []string{"../complaint", "../workflows", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ValueSpec:
					for i, id := range n.Names {
						if strings.HasPrefix(id.Name, "Code") && i < len(n.Values) {
							if lit, ok := n.Values[i].(*ast.BasicLit); ok {
								consts[id.Name] = strings.Trim(lit.Value, `"`)
							}
						}
					}
				case *ast.CallExpr:
					var fn string
					switch f := n.Fun.(type) {
					case *ast.Ident:
						fn = f.Name
					case *ast.SelectorExpr:
						fn = f.Sel.Name
					}
					if fn != "NewProblem" || len(n.Args) == 0 {
						return true
					}
					code := n.Args[0]
					if sel, ok := code.(*ast.SelectorExpr); ok {
						code = sel.Sel
					}
					if id, ok := code.(*ast.Ident); !ok || !strings.HasPrefix(id.Name, "Code") {
						t.Errorf("%s: a problem made with code %s, not a Code constant", fset.Position(n.Pos()), types(code))
					}
				case *ast.CompositeLit:
					for _, e := range n.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
								if _, lit := kv.Value.(*ast.BasicLit); lit {
									t.Errorf("%s: a literal code", fset.Position(kv.Pos()))
								}
							}
						}
					}
				}
				return true
			})
		}
	}
	if len(consts) < 40 {
		t.Fatalf("found %d Code constants; is the scan stale?", len(consts))
	}
	for name, code := range consts {
		if !listed[code] {
			t.Errorf("%s (%q) is not in complaint.ErrorCodes", name, code)
		}
	}
}

func types(e ast.Expr) string {
	if lit, ok := e.(*ast.BasicLit); ok {
		return lit.Value
	}
	return "an expression"
}

// TestProblemsCarryCodes checks through the router that a problem+json
// keeps its fields and adds each bad field's code and parameters.
func TestProblemsCarryCodes(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		path, field, code string
		params            map[string]any
	}{
		{"/v1/lists?x=%01", "x", complaint.CodeControlCharacter, map[string]any{"char": "U+0001"}},
		{"/v1/lists?x=" + strings.Repeat("a", MaxQueryValue+1), "x", complaint.CodeTooLong, map[string]any{"max": float64(MaxQueryValue)}},
		{"/v1/lists?x=a%0Ab", "x", complaint.CodeLineBreak, map[string]any{"char": "U+000A"}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			w := get(t, s, tt.path)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var p struct {
				Status int `json:"status"`
				Errors []struct {
					Field   string         `json:"field"`
					Message string         `json:"message"`
					Code    string         `json:"code"`
					Params  map[string]any `json:"params"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Errors) != 1 || p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("problem %s", w.Body)
			}
			e := p.Errors[0]
			if e.Field != tt.field || e.Message == "" || e.Code != tt.code {
				t.Errorf("error %+v, want field %s, code %s and a message", e, tt.field, tt.code)
			}
			for k, v := range tt.params {
				if e.Params[k] != v {
					t.Errorf("params %v, want %s = %v", e.Params, k, v)
				}
			}
		})
	}
}
