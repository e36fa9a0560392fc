package apiserver

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// Who sees personal data (docs/security.md): case handlers (agent to
// director) see a case they may open in full; admins and auditors see
// every case with personal data masked, in the structured fields
// (customer id, name, phone, email) and in free text (subject,
// description, desired remedy, timeline texts, findings, proposals,
// questions). Lists show everyone the masked form: a list is a screen
// of many customers, the case view is where one is handled.

// seesPersonalData reports whether a role sees customers' personal data in
// the case view.
func seesPersonalData(role string) bool { return complaint.RoleLevel(role) > 0 }

// mask hides all but the edges of personal data.
func mask(s string) string {
	r := []rune(s)
	switch {
	case len(r) == 0:
		return ""
	case len(r) <= 2:
		return strings.Repeat("*", len(r))
	case len(r) <= 6:
		return string(r[0]) + strings.Repeat("*", len(r)-1)
	default:
		return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
	}
}

// maskCustomerID masks a customer id ("email:…", "phone:…") after its
// kind, which is not personal.
func maskCustomerID(id string) string {
	if kind, v, ok := strings.Cut(id, ":"); ok && len(kind) <= 10 {
		return kind + ":" + mask(v)
	}
	return mask(id)
}

// maskCase masks a case row's personal data for a reader who may not see
// it: the contact fields, and the customer's details and anything shaped
// like an email, phone, bank card or resident id wherever they appear in
// its texts.
func maskCase(cs *store.Case) {
	known := []string{cs.CustomerName, cs.CustomerPhone, cs.CustomerEmail}
	cs.CustomerID = maskCustomerID(cs.CustomerID)
	cs.CustomerName, cs.CustomerPhone, cs.CustomerEmail = mask(cs.CustomerName), mask(cs.CustomerPhone), mask(cs.CustomerEmail)
	text := func(s string) string { return maskKnown(maskText(s), known) }
	// Product, region and branch are free text too: a customer may write
	// a card number or a phone number into any of them.
	for _, p := range []*string{&cs.Subject, &cs.Description, &cs.DesiredRemedy, &cs.OrderRef, &cs.Product, &cs.Region, &cs.Branch} {
		*p = text(*p)
	}
	if cs.PendingApproval != nil {
		p := *cs.PendingApproval
		p.Remedies = maskRemedies(p.Remedies, text)
		cs.PendingApproval = &p
	}
}

// maskKnown masks every occurrence of the given values (a customer's own
// name, phone and email, which no pattern finds reliably) in s.
func maskKnown(s string, known []string) string {
	for _, k := range known {
		if len([]rune(k)) >= 2 && strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, mask(k))
		}
	}
	return s
}

// maskView masks everything personal in a case view.
func maskView(v *CaseView, known []string) {
	text := func(s string) string { return maskKnown(maskText(s), known) }
	for i := range v.Timeline {
		v.Timeline[i].Payload = maskJSON(v.Timeline[i].Payload, text)
	}
	if v.Findings != nil {
		f := *v.Findings
		f.CauseDetail, f.Summary, f.ResponsibleUnit = text(f.CauseDetail), text(f.Summary), text(f.ResponsibleUnit)
		f.ResponsiblePerson = mask(f.ResponsiblePerson)
		v.Findings = &f
	}
	v.PendingQuestion = text(v.PendingQuestion)
	v.Remedies = maskRemedies(v.Remedies, text)
	if v.PendingApprovals != nil {
		p := *v.PendingApprovals
		p.Message, p.RefusalReason = text(p.Message), text(p.RefusalReason)
		p.Remedies = maskRemedies(p.Remedies, text)
		v.PendingApprovals = &p
	}
	if v.PendingApproval != nil {
		p := *v.PendingApproval
		p.Remedies = maskRemedies(p.Remedies, text)
		v.PendingApproval = &p
	}
	rc := make([]complaint.RepeatContact, len(v.RepeatContacts))
	for i, r := range v.RepeatContacts {
		r.Subject = text(r.Subject)
		rc[i] = r
	}
	v.RepeatContacts = rc
}

func maskRemedies(in []complaint.Remedy, text func(string) string) []complaint.Remedy {
	if in == nil {
		return nil
	}
	out := make([]complaint.Remedy, len(in))
	for i, r := range in {
		r.Note = text(r.Note)
		out[i] = r
	}
	return out
}

// personalKeys are payload keys whose whole value is personal data.
var personalKeys = map[string]bool{"customer_name": true, "customer_phone": true, "customer_email": true,
	"customer_id": true, "responsible_person": true, "name": true, "phone": true, "email": true}

// maskJSON masks every string in a JSON document with text, and the whole
// value under a personal key (an audit event's payload: notes, questions,
// answers, findings, proposals).
func maskJSON(raw json.RawMessage, text func(string) string) json.RawMessage {
	return maskJSONKeys(raw, text, personalKeys)
}

// maskJSONKeys is maskJSON with the given personal keys.
func maskJSONKeys(raw json.RawMessage, text func(string) string, keys map[string]bool) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return json.RawMessage(`null`)
	}
	var walk func(v any, personal bool) any
	walk = func(v any, personal bool) any {
		switch x := v.(type) {
		case string:
			if personal {
				return mask(x)
			}
			return text(x)
		case []any:
			for i := range x {
				x[i] = walk(x[i], personal)
			}
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e, personal || keys[k])
			}
		}
		return v
	}
	out, err := json.Marshal(walk(v, false))
	if err != nil {
		return json.RawMessage(`null`)
	}
	return out
}

var emailRE = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}`)

// maskText masks what looks like personal data inside free text: emails;
// bank-card numbers (13 to 19 digits, spaces or dashes allowed, passing
// the Luhn check; all but the last four digits hidden); Chinese resident
// identity numbers (17 digits and a check character, verified); and phone
// numbers (7 to 15 digits, optionally with +, spaces, dashes, dots and
// brackets; all but the last two hidden). Dates written 2026-11-23 are
// left alone; other long numbers are hidden as phone numbers would be.
// Matching reads each character in its NFKC form (full-width digits and
// ＠ count as 0-9 and @), while the text shown keeps its own characters.
// A number joined to letters (tel13912345678, card4111111111111111) is a
// reference unless it is a card (Luhn), a resident id, a mainland mobile
// number, or follows a phone word (tel, phone, mobile, cell, fax).
func maskText(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	f := foldRunes(r)
	// Emails, found in the folded text and masked in the original.
	fs := string(f)
	at := runeIndex(fs)
	for _, m := range emailRE.FindAllStringIndex(fs, -1) {
		a, b := at[m[0]], at[m[1]]
		copy(r[a:b], []rune(mask(string(r[a:b]))))
		for k := a; k < b; k++ {
			f[k] = '*'
		}
	}
	hide := func(i, end int, maskSpan func([]rune)) {
		span := slices.Clone(f[i:end])
		maskSpan(span)
		for k, c := range span {
			if c == '*' && f[i+k] != '*' {
				r[i+k], f[i+k] = '*', '*'
			}
		}
	}
	for i := 0; i < len(f); i++ {
		if !(isDigit(f[i]) || f[i] == '+' && i+1 < len(f) && isDigit(f[i+1])) {
			continue
		}
		if i > 0 && (isASCIIWord(f[i-1]) || f[i-1] == '-' || f[i-1] == '*') {
			// Part of a code or reference (C-2026-0001, v1), unless the
			// digits joined to it are personal.
			end := i
			for end < len(f) && isDigit(f[end]) {
				end++
			}
			if end < len(f) && (f[end] == 'X' || f[end] == 'x') && end-i == 17 {
				end++
			}
			if end > i && joinedPersonal(f, i, end) {
				hide(i, end, func(span []rune) { hideDigits(span, max(len(span)-4, 0)) })
			}
			if end == i {
				end = i + 1 // a '+' joined to a code: step over it
			}
			for end < len(f) && isASCIIWord(f[end]) {
				end++
			}
			i = end - 1
			continue
		}
		end := runEnd(f, i)
		hide(i, end, maskRun)
		i = end - 1
	}
	return string(r)
}

// foldRunes is r with each character that NFKC maps to one ASCII
// character replaced by it (full-width digits, letters, ＠ and ．), so
// that the patterns see them; every other character is kept, so indices
// stay aligned with r.
func foldRunes(r []rune) []rune {
	f := make([]rune, len(r))
	for i, c := range r {
		f[i] = c
		if c < utf8.RuneSelf {
			continue
		}
		if n := norm.NFKC.String(string(c)); len(n) == 1 {
			f[i] = rune(n[0])
		}
	}
	return f
}

// runeIndex maps each byte offset of s that starts a rune (and len(s))
// to the rune's index.
func runeIndex(s string) map[int]int {
	at := make(map[int]int, len(s)+1)
	n := 0
	for off := range s {
		at[off] = n
		n++
	}
	at[len(s)] = n
	return at
}

// joinedPersonal reports whether the digits f[i:end], joined to the
// letters or code before them, are personal all the same.
func joinedPersonal(f []rune, i, end int) bool {
	d := f[i:end]
	switch {
	case isResidentID(d, d):
		return true
	case len(d) >= 13 && len(d) <= 19 && luhn(d):
		return true
	case len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9':
		return true
	case len(d) < 7 || len(d) > 15:
		return false
	}
	j := i
	for j > 0 && (f[j-1] == '-' || f[j-1] == ':' || f[j-1] == '.') {
		j--
	}
	k := j
	for k > 0 && (f[k-1] >= 'a' && f[k-1] <= 'z' || f[k-1] >= 'A' && f[k-1] <= 'Z') {
		k--
	}
	switch strings.ToLower(string(f[k:j])) {
	case "tel", "phone", "mobile", "mob", "cell", "fax", "whatsapp", "wechat":
		return true
	}
	return false
}

func isDigit(c rune) bool { return c >= '0' && c <= '9' }

func isASCIIWord(c rune) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isSep(c rune) bool { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' }

// runEnd is where a run of digits and separators starting at i ends (after
// its last digit, or an X that checks a resident id).
func runEnd(r []rune, i int) int {
	end := i + 1
	for j := i + 1; j < len(r); j++ {
		switch {
		case isDigit(r[j]):
			end = j + 1
		case (r[j] == 'X' || r[j] == 'x') && isDigit(r[j-1]):
			end = j + 1
			return end
		case isSep(r[j]):
			// A separator continues the run only between digits.
		default:
			return end
		}
	}
	return end
}

// maskRun masks the personal numbers in one run: its space-separated
// groups are tried as a card, an id or a phone number, the longest first,
// so that two numbers written side by side are both found.
func maskRun(run []rune) {
	var groups [][2]int
	start := 0
	for j := 0; j <= len(run); j++ {
		if j == len(run) || run[j] == ' ' {
			if j > start {
				groups = append(groups, [2]int{start, j})
			}
			start = j + 1
		}
	}
	for i := 0; i < len(groups); {
		matched := false
		for j := min(len(groups)-1, i+6); j >= i && !matched; j-- {
			span := run[groups[i][0]:groups[j][1]]
			d := digitsOf(span)
			switch {
			case j == i && isDate(span):
			case isResidentID(span, d):
				hideDigits(span, 16)
				matched = true
			case len(d) >= 13 && len(d) <= 19 && luhn(d):
				hideDigits(span, len(d)-4)
				matched = true
			case len(d) >= 7 && len(d) <= 15 && !strings.ContainsAny(string(d), "Xx"):
				hideDigits(span, len(d)-2)
				matched = true
			}
			if matched {
				i = j + 1
			}
		}
		if !matched {
			i++
		}
	}
}

func digitsOf(span []rune) []rune {
	var d []rune
	for _, c := range span {
		if isDigit(c) || c == 'X' || c == 'x' {
			d = append(d, c)
		}
	}
	return d
}

// hideDigits replaces the first n digits of span with '*'.
func hideDigits(span []rune, n int) {
	for k := range span {
		if n == 0 {
			return
		}
		if isDigit(span[k]) || span[k] == 'X' || span[k] == 'x' {
			span[k] = '*'
			n--
		}
	}
}

func isDate(span []rune) bool {
	s := string(span)
	return len(s) == 10 && (s[4] == '-' || s[4] == '.') && s[7] == s[4] && len(digitsOf(span)) == 8
}

// luhn checks a card number's check digit.
func luhn(d []rune) bool {
	sum := 0
	for k := range d {
		c := d[len(d)-1-k]
		if !isDigit(c) {
			return false
		}
		n := int(c - '0')
		if k%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// isResidentID checks an 18-character Chinese resident identity number
// written without separators: 17 digits and the ISO 7064 MOD 11-2 check
// character.
func isResidentID(span, d []rune) bool {
	if len(span) != 18 || len(d) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := 0; k < 17; k++ {
		if !isDigit(d[k]) {
			return false
		}
		sum += int(d[k]-'0') * weights[k]
	}
	return unicode.ToUpper(d[17]) == rune("10X98765432"[sum%11])
}
