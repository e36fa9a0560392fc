package classify

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/go-ego/gse"
)

// Segmenter cuts text into words: Chinese runs with gse's dictionary
// (embedded in the binary, so nothing is read from disk at run time),
// other scripts at spaces and punctuation. It is safe for concurrent use
// once built; build one per process (loading the dictionary takes about
// a second and a hundred megabytes, see docs/classification.md).
type Segmenter struct {
	seg gse.Segmenter
}

// NewSegmenter loads the simplified-Chinese dictionary.
func NewSegmenter() (*Segmenter, error) {
	s := &Segmenter{}
	s.seg.SkipLog = true
	if err := s.seg.LoadDictEmbed("zh_s"); err != nil {
		return nil, fmt.Errorf("classify.NewSegmenter: %w", err)
	}
	return s, nil
}

// token is one word of a text, or a clause break (punctuation, "but",
// "但是"): negation does not reach across a break.
type token struct {
	text   string
	han    bool
	brk    bool
	clause int
	// masked words are part of a phrase no term may match (notTerms).
	masked bool
}

// clauseWords end a clause as punctuation does: "not X but Y" negates X
// only.
var clauseWords = map[string]bool{"but": true, "however": true, "although": true, "though": true,
	"但是": true, "但": true, "可是": true, "然而": true, "结果": true, "而且": true, "并且": true}

// tokens normalises text (lower case, one kind of apostrophe) and cuts it
// into words, numbering clauses.
func (s *Segmenter) tokens(text string) []token {
	text = strings.ToLower(strings.NewReplacer("’", "'", "‘", "'", "`", "'").Replace(text))
	var out []token
	clause := 0
	emit := func(t token) {
		if t.brk || clauseWords[t.text] {
			if len(out) > 0 && !out[len(out)-1].brk {
				clause++
				out = append(out, token{brk: true, clause: clause})
			}
			return
		}
		t.clause = clause
		out = append(out, t)
	}
	rs := []rune(text)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.Is(unicode.Han, r):
			j := i
			for j < len(rs) && unicode.Is(unicode.Han, rs[j]) {
				j++
			}
			for _, w := range s.seg.Cut(string(rs[i:j]), true) {
				emit(token{text: w, han: true})
			}
			i = j
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) && !unicode.Is(unicode.Han, rs[j]) || unicode.IsDigit(rs[j]) ||
				rs[j] == '\'' && j+1 < len(rs) && unicode.IsLetter(rs[j+1])) {
				j++
			}
			emit(token{text: string(rs[i:j])})
			i = j
		case unicode.IsSpace(r) || r == '-' || r == '/' || r == '"' || r == '\'' || r == '(' || r == ')' || r == '“' || r == '”' || r == '（' || r == '）':
			i++
		default:
			// Every other punctuation mark ends a clause.
			emit(token{brk: true})
			i++
		}
	}
	return out
}
