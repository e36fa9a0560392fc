// Package classify classifies complaints against the taxonomy kept as data
// (complaint.Taxonomy): Chinese is cut into words with gse, English at
// word boundaries, each term is looked for as whole words, a negated
// mention ("没有起火", "no one was hurt") does not count, and safety terms
// always win. It runs in the API before a case's workflow starts (the
// result travels in the workflow's Input from VersionClassifier on), never
// in workflow code: the taxonomy changes and the dictionary is large.
package classify

import (
	"slices"
	"strings"
	"unicode"

	"github.com/complaint-handling/complaints/complaint"
)

// Classifier classifies complaints against one taxonomy. It is immutable
// and safe for concurrent use; a new taxonomy makes a new Classifier.
type Classifier struct {
	seg   *Segmenter
	cats  []category
	other string
	// ix holds every term of every category and subcategory, refs says
	// whose each is, in the taxonomy's order.
	ix   *index
	refs []termRef
}

type termRef struct {
	cat int
	sub string
}

type category struct {
	code     string
	severity string
	terms    []term
	subs     []subcategory
}

type subcategory struct {
	code  string
	terms []term
}

// term is a taxonomy term ready to match: English as words (the last
// perhaps a stem), Chinese as the string.
type term struct {
	text   string
	words  []string
	stem   bool
	han    bool
	weight int
}

// New builds a classifier for tax.
func New(seg *Segmenter, tax complaint.Taxonomy) *Classifier {
	c := &Classifier{seg: seg, other: complaint.CategoryOther}
	for _, tc := range tax.Categories {
		cat := category{code: tc.Code, severity: tc.DefaultSeverity, terms: compile(tc.Terms)}
		for _, ts := range tc.Subcategories {
			sub := subcategory{code: ts.Code, terms: compile(ts.Terms)}
			cat.subs = append(cat.subs, sub)
		}
		c.cats = append(c.cats, cat)
	}
	var all []term
	for i, cat := range c.cats {
		for _, t := range cat.terms {
			all, c.refs = append(all, t), append(c.refs, termRef{cat: i})
		}
		for _, s := range cat.subs {
			for _, t := range s.terms {
				all, c.refs = append(all, t), append(c.refs, termRef{cat: i, sub: s.code})
			}
		}
	}
	c.ix = newIndex(all)
	return c
}

func compile(terms []complaint.TaxonomyTerm) []term {
	out := make([]term, 0, len(terms))
	for _, t := range terms {
		text := strings.ToLower(strings.TrimSpace(t.Text))
		if text == "" {
			continue
		}
		ct := term{text: text}
		if strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
			ct.han = true
			ct.text = strings.Join(strings.Fields(text), "")
			ct.weight = 1
		} else {
			ct.words = strings.FieldsFunc(strings.ReplaceAll(text, "’", "'"), func(r rune) bool {
				return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '*')
			})
			if len(ct.words) == 0 {
				continue
			}
			last := len(ct.words) - 1
			ct.words[last], ct.stem = strings.CutSuffix(ct.words[last], "*")
			ct.weight = 1
		}
		out = append(out, ct)
	}
	return out
}

// negators, within negationWindow words before a term in the same
// clause, negate it.
var negators = map[string]bool{
	"not": true, "no": true, "never": true, "without": true, "nobody": true, "none": true, "nothing": true, "neither": true, "nor": true,
	"isn't": true, "wasn't": true, "weren't": true, "aren't": true, "didn't": true, "doesn't": true, "don't": true, "hasn't": true,
	"haven't": true, "hadn't": true, "won't": true, "wouldn't": true, "couldn't": true,
	"不": true, "没": true, "没有": true, "沒": true, "沒有": true, "未": true, "无": true, "無": true, "无人": true, "没人": true,
	"并未": true, "并没有": true, "并没": true, "从未": true, "从没": true, "未曾": true, "不是": true, "非": true, "毫无": true, "未有": true,
}

// negationWindow is how many English words before a term a negator may
// stand ("no one was hurt"); negationWindowZH how many Chinese ones.
const (
	negationWindow   = 3
	negationWindowZH = 2
)

// Match is one term found in a complaint.
type Match struct {
	Category    string `json:"category"`
	Subcategory string `json:"subcategory,omitempty"`
	Term        string `json:"term"`
	Negated     bool   `json:"negated"`
}

// Result is a classification with the terms that decided it.
type Result struct {
	complaint.Classification
	Matches []Match
}

// Classify gives a complaint's category, subcategory, severity and
// priority. Any safety term that is not negated makes it safety and
// critical; otherwise the category whose terms weigh most (ties go to the
// taxonomy's order), at its default severity, raised by what the
// complaint says (a regulator, a lawyer, the media, a repeat) and how it
// came (a regulator's referral, social media); none matched is other.
func (c *Classifier) Classify(cmp complaint.Complaint) Result {
	toks := c.seg.tokens(cmp.Subject + "。" + cmp.Description + "。" + cmp.Product)
	mask(toks)
	var res Result
	type score struct {
		total int
		subs  map[string]int
	}
	scores := make([]score, len(c.cats))
	for i := range scores {
		scores[i].subs = map[string]int{}
	}
	found, live := c.ix.scan(toks)
	for k, ref := range c.refs {
		if !found[k] {
			continue
		}
		cat, t := c.cats[ref.cat], c.ix.terms[k]
		// Only a safety mention is negated: elsewhere the negation is
		// usually the complaint ("还没发货", "not delivered").
		negated := !live[k] && cat.code == complaint.CategorySafety
		res.Matches = append(res.Matches, Match{Category: cat.code, Subcategory: ref.sub, Term: t.text, Negated: negated})
		if negated {
			continue
		}
		// A category's own terms say more about the category than a
		// subcategory's (often a product: "空调", "car").
		if ref.sub == "" {
			scores[ref.cat].total += 2 * t.weight
		} else {
			scores[ref.cat].total += t.weight
			scores[ref.cat].subs[ref.sub] += t.weight
		}
	}
	best := -1
	for i, cat := range c.cats {
		if cat.code == complaint.CategorySafety && scores[i].total > 0 {
			best = i
			break
		}
		if scores[i].total > 0 && (best < 0 || scores[i].total > scores[best].total) {
			best = i
		}
	}
	out := complaint.Classification{Category: c.other, Severity: complaint.SeverityLow, Matched: "default"}
	if best < 0 {
		for _, cat := range c.cats {
			if cat.code == c.other && complaint.ValidSeverity(cat.severity) {
				out.Severity = cat.severity
			}
		}
	} else {
		cat := c.cats[best]
		out.Category, out.Severity = cat.code, cat.severity
		if !complaint.ValidSeverity(out.Severity) {
			out.Severity = complaint.SeverityLow
		}
		bestSub := 0
		for _, s := range cat.subs {
			if n := scores[best].subs[s.code]; n > bestSub {
				out.Subcategory, bestSub = s.code, n
			}
		}
		out.Matched = matched(cat.code, out.Subcategory, res.Matches)
	}
	if out.Category == complaint.CategorySafety {
		out.Severity = complaint.SeverityCritical
	} else {
		out.Severity = raise(out.Severity, floor(cmp, toks))
	}
	out.Priority = complaint.PriorityFor(out.Severity, 0)
	res.Classification = out
	return res
}

// matched names the category and the terms that decided it, for the
// audit trail's classified event.
func matched(cat, sub string, ms []Match) string {
	var words []string
	for _, m := range ms {
		if m.Category == cat && !m.Negated && !slices.Contains(words, m.Term) {
			words = append(words, m.Term)
		}
	}
	if len(words) > 5 {
		words = words[:5]
	}
	name := cat
	if sub != "" {
		name += "/" + sub
	}
	return name + ":" + strings.Join(words, ",")
}

// hanAt: a Chinese term matches inside one word ("态度" in "态度恶劣") or
// as whole consecutive words ("玻璃" "升降器"), never across a word's
// edge ("起火" is not in "一起/火车").
func hanAt(toks []token, i int, text string) bool {
	if !toks[i].han {
		return false
	}
	if w := toks[i].text; len(w) >= len(text) {
		return strings.Contains(w, text)
	}
	joined := ""
	for j := i; j < len(toks) && toks[j].han && !toks[j].masked && len(joined) < len(text); j++ {
		joined += toks[j].text
		if joined == text {
			return true
		}
	}
	return false
}

// wordsAt: an English term matches whole words, its last word with an
// "s" plural, or any ending when it is a stem.
func wordsAt(toks []token, i int, t term) bool {
	for k, w := range t.words {
		j := i + k
		if j >= len(toks) || toks[j].brk || toks[j].han || toks[j].masked {
			return false
		}
		got := toks[j].text
		if k < len(t.words)-1 {
			if got != w {
				return false
			}
			continue
		}
		switch {
		case t.stem:
			return strings.HasPrefix(got, w)
		default:
			return got == w || got == w+"s" || got == w+"es"
		}
	}
	return false
}

// notTerms are phrases whose words are no term's: a fire sale is not a
// fire, fire insurance not a fire, a window regulator not a regulator.
var notTerms = compile(termList("火灾保险 火险 火灾险 火车 火锅 上火", "fire sale|fire-sale|window regulator|voltage regulator|ceasefire|fire department|killer deal"))

// mask blanks the words of every notTerms phrase in toks.
func mask(toks []token) {
	for _, t := range notTerms {
		for i := range toks {
			if n := span(toks, i, t); n > 0 {
				for j := i; j < i+n; j++ {
					toks[j].text, toks[j].masked = "", true
				}
			}
		}
	}
}

// span is how many words t covers from toks[i] (0: no match there).
func span(toks []token, i int, t term) int {
	if toks[i].brk || toks[i].masked {
		return 0
	}
	if !t.han {
		if wordsAt(toks, i, t) {
			return len(t.words)
		}
		return 0
	}
	joined := ""
	for j := i; j < len(toks) && toks[j].han && len(joined) < len(t.text); j++ {
		joined += toks[j].text
		if strings.Contains(joined, t.text) {
			return j - i + 1
		}
	}
	return 0
}

// negatedAt: a negator within negationWindow words before toks[i], in its
// clause.
func negatedAt(toks []token, i int) bool {
	window := negationWindow
	if toks[i].han {
		// Chinese words are longer: "没有/人/受伤" is two words back,
		// "没人/管/我/受伤" three, and not a negated injury.
		window = negationWindowZH
	}
	for j := i - 1; j >= 0 && j >= i-window; j-- {
		if toks[j].brk {
			return false
		}
		if negators[toks[j].text] {
			return true
		}
	}
	return false
}

// severityHigh raise a complaint's severity to high: a regulator, a
// lawyer, the media, a vulnerable customer. severityRepeat raise it to
// medium: the customer says it is not the first time.
var (
	severityHigh = newIndex(compile(termList(
		"律师 律師 起诉 起訴 法院 媒体 媒體 曝光 监管 監管 12315 消协 消協 银保监 金融监管 老人 残疾 殘疾 孕妇",
		"lawyer|attorney|legal action|sue|lawsuit|regulator|ombudsman|media|journalist|elderly|disabled|pregnant")))
	severityRepeat = newIndex(compile(termList(
		"再次 又一次 第三次 第二次 多次 反复 反復 三番五次",
		"again|third time|second time|already complained|repeatedly|several times|many times")))
)

func termList(zh, en string) []complaint.TaxonomyTerm {
	var out []complaint.TaxonomyTerm
	for _, w := range strings.Fields(zh) {
		out = append(out, complaint.TaxonomyTerm{Lang: complaint.TermZH, Text: w})
	}
	for _, w := range strings.Split(en, "|") {
		out = append(out, complaint.TaxonomyTerm{Lang: complaint.TermEN, Text: w})
	}
	return out
}

// floor is the least severity the complaint's channel, words and remedy
// call for.
func floor(cmp complaint.Complaint, toks []token) string {
	if _, live := severityHigh.scan(toks); slices.Contains(live, true) {
		return complaint.SeverityHigh
	}
	if cmp.Channel == "regulator" {
		return complaint.SeverityHigh
	}
	if cmp.Channel == "social" {
		return complaint.SeverityMedium
	}
	if _, live := severityRepeat.scan(toks); slices.Contains(live, true) {
		return complaint.SeverityMedium
	}
	remedy := strings.ToLower(cmp.DesiredRemedy + " " + cmp.Subject + " " + cmp.Description)
	for _, w := range []string{"compensat", "赔偿", "賠償", "退款", "退保"} {
		if strings.Contains(remedy, w) {
			return complaint.SeverityMedium
		}
	}
	return complaint.SeverityLow
}

func raise(sev, least string) string {
	if slices.Index(complaint.Severities(), least) > slices.Index(complaint.Severities(), sev) {
		return least
	}
	return sev
}
