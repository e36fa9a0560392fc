package classify

import "strings"

// index finds many terms in one pass over a text's words: each word looks
// up the terms that can start at it (Chinese by any of its characters,
// since a term may sit inside a word; English by the word, less a plural
// ending), so the cost grows with the text, not with text times terms
// (a 32,000-character description took 0.7 s term by term).
type index struct {
	terms  []term
	byRune map[rune][]int
	byWord map[string][]int
	// stems are one-word English stems, tried at every word.
	stems []int
}

func newIndex(terms []term) *index {
	ix := &index{terms: terms, byRune: map[rune][]int{}, byWord: map[string][]int{}}
	for k, t := range terms {
		switch {
		case t.han:
			for _, r := range t.text {
				ix.byRune[r] = append(ix.byRune[r], k)
				break
			}
		case t.stem && len(t.words) == 1:
			ix.stems = append(ix.stems, k)
		default:
			ix.byWord[t.words[0]] = append(ix.byWord[t.words[0]], k)
		}
	}
	return ix
}

// scan reports for each term whether it occurs in toks (found) and
// whether any occurrence is not negated (live).
func (ix *index) scan(toks []token) (found, live []bool) {
	found, live = make([]bool, len(ix.terms)), make([]bool, len(ix.terms))
	check := func(k, i int) {
		if live[k] {
			return
		}
		t := ix.terms[k]
		var ok bool
		if t.han {
			ok = hanAt(toks, i, t.text)
		} else {
			ok = wordsAt(toks, i, t)
		}
		if ok {
			found[k] = true
			live[k] = !negatedAt(toks, i)
		}
	}
	for i, tk := range toks {
		if tk.brk || tk.masked {
			continue
		}
		if tk.han {
			for _, r := range tk.text {
				for _, k := range ix.byRune[r] {
					check(k, i)
				}
			}
			continue
		}
		keys := []string{tk.text}
		if s, ok := strings.CutSuffix(tk.text, "s"); ok {
			keys = append(keys, s)
			if es, ok := strings.CutSuffix(tk.text, "es"); ok {
				keys = append(keys, es)
			}
		}
		for _, key := range keys {
			for _, k := range ix.byWord[key] {
				check(k, i)
			}
		}
		for _, k := range ix.stems {
			check(k, i)
		}
	}
	return found, live
}
