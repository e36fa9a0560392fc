package complaint

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Taxonomy is the classification scheme as data: categories, each with
// the team that takes it and its default severity, their subcategories,
// and the terms (Chinese and English) that point to each. An admin edits
// it through /v1/taxonomy; the classifier (internal/classify) matches a
// complaint's words against it.
type Taxonomy struct {
	Categories []TaxonomyCategory `json:"categories"`
}

// TaxonomyCategory is one category. Builtin categories (Categories) may
// be edited but not deleted: reports, clocks and the keyword classifier of
// older cases name them.
type TaxonomyCategory struct {
	Code            string                `json:"code"`
	NameZH          string                `json:"name_zh"`
	NameEN          string                `json:"name_en"`
	Team            string                `json:"team"`
	DefaultSeverity string                `json:"default_severity"`
	Builtin         bool                  `json:"builtin"`
	Terms           []TaxonomyTerm        `json:"terms,omitempty"`
	Subcategories   []TaxonomySubcategory `json:"subcategories,omitempty"`
}

// TaxonomySubcategory is one subcategory of a category.
type TaxonomySubcategory struct {
	Code   string         `json:"code"`
	NameZH string         `json:"name_zh"`
	NameEN string         `json:"name_en"`
	Terms  []TaxonomyTerm `json:"terms,omitempty"`
}

// TaxonomyTerm is a word or phrase that points to its (sub)category. An
// English term matches whole words (a trailing "*" makes its last word a
// stem: "injur*" matches injured and injuries); a Chinese term matches
// whole segmented words or a part of one word, never across a word
// boundary.
type TaxonomyTerm struct {
	Lang string `json:"lang"`
	Text string `json:"text"`
}

// Term languages.
const (
	TermZH = "zh"
	TermEN = "en"
)

// MaxTermLength bounds a term, in characters.
const MaxTermLength = 60

// taxonomyCode is the shape of a category or subcategory code: it goes
// into search attributes, report keys and URLs.
var taxonomyCode = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// ValidTaxonomyCode reports whether s can be a category or subcategory
// code.
func ValidTaxonomyCode(s string) bool { return taxonomyCode.MatchString(s) }

// BuiltinCategory reports whether code is one of the categories the
// product ships with, which cannot be deleted.
func BuiltinCategory(code string) bool { return contains(Categories(), code) }

// InvalidCode is the problem of a bad category or subcategory code.
func InvalidCode() Problem {
	return NewProblem(CodeInvalidCode, "must be 2 to 40 lower-case letters, digits or underscores, starting with a letter")
}

// ValidateCategory checks a category's own fields (not its
// subcategories, which are edited one by one) and returns every bad
// field. Whether its team exists is the store's to say.
func ValidateCategory(c TaxonomyCategory) error {
	var errs Fields
	if !ValidTaxonomyCode(c.Code) {
		errs.Add("code", InvalidCode())
	}
	errs.Required("name_zh", c.NameZH, 100, FreeText)
	errs.Required("name_en", c.NameEN, 100, FreeText)
	if strings.TrimSpace(c.Team) == "" {
		errs.Add("team", NewProblem(CodeRequired, "is required"))
	}
	if !ValidSeverity(c.DefaultSeverity) {
		errs.Add("default_severity", OneOf(Severities()...))
	}
	validateTerms(&errs, "terms", c.Terms)
	return errs.Err()
}

// ValidateSubcategory checks a subcategory and returns every bad field.
func ValidateSubcategory(s TaxonomySubcategory) error {
	var errs Fields
	if !ValidTaxonomyCode(s.Code) {
		errs.Add("code", InvalidCode())
	}
	errs.Required("name_zh", s.NameZH, 100, FreeText)
	errs.Required("name_en", s.NameEN, 100, FreeText)
	validateTerms(&errs, "terms", s.Terms)
	return errs.Err()
}

// ValidateTerms checks a list of terms, each as field[i].
func ValidateTerms(field string, terms []TaxonomyTerm) error {
	var errs Fields
	validateTerms(&errs, field, terms)
	return errs.Err()
}

func validateTerms(errs *Fields, field string, terms []TaxonomyTerm) {
	seen := map[TaxonomyTerm]bool{}
	for i, t := range terms {
		f := fmt.Sprintf("%s[%d]", field, i)
		if t.Lang != TermZH && t.Lang != TermEN {
			errs.Add(f+".lang", OneOf(TermZH, TermEN))
		}
		if p, bad := RequiredTextProblem(t.Text, MaxTermLength, FreeText); bad {
			errs.Add(f+".text", p)
			continue
		}
		if strings.IndexFunc(t.Text, unicode.IsUpper) >= 0 {
			errs.Add(f+".text", NewProblem(CodeInvalid, "must be lower-case (matching ignores case)"))
			continue
		}
		k := TaxonomyTerm{Lang: t.Lang, Text: strings.TrimSpace(t.Text)}
		if seen[k] {
			errs.Add(f+".text", NewProblem(CodeDuplicate, fmt.Sprintf("%q is listed twice", k.Text), "value", k.Text))
		}
		seen[k] = true
	}
}

// Category returns the category with code, if the taxonomy has it.
func (t Taxonomy) Category(code string) (TaxonomyCategory, bool) {
	for _, c := range t.Categories {
		if c.Code == code {
			return c, true
		}
	}
	return TaxonomyCategory{}, false
}
