package complaint

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextKind says which control characters a text field allows.
type TextKind int

const (
	// SingleLine text (names, subjects, references, reasons shown in one
	// line) allows no control character at all.
	SingleLine TextKind = iota
	// FreeText (descriptions, notes, questions, answers, comments) allows
	// tab, line feed and carriage return, and no other control character.
	FreeText
)

// CheckText is the one check of every text a request carries, used by the
// API at the edge and by the workflow's validators, so the two cannot
// disagree. It returns "" when v is acceptable, else the problem in words
// (without the field's name); TextProblem is the same check with the
// problem's code. It refuses what PostgreSQL or a reader cannot take:
// invalid UTF-8, NUL and other control characters (C0, DEL and C1;
// FreeText keeps \t \n \r), Unicode noncharacters, more than max
// characters, and U+FFFD.
//
// U+FFFD is refused on purpose: Go's JSON decoder turns a lone surrogate
// (`"\ud800"`) and invalid UTF-8 into U+FFFD without an error, so after
// decoding the replacement character is the only trace of input that was
// not text. A person does not type it; a client that sends it has lost
// the customer's words somewhere, and saying so beats storing the loss.
func CheckText(v string, max int, kind TextKind) string {
	p, _ := TextProblem(v, max, kind)
	return p.Message
}

// TextProblem is CheckText's problem with its code, and whether there is
// one.
func TextProblem(v string, max int, kind TextKind) (Problem, bool) {
	if !utf8.ValidString(v) {
		return NewProblem(CodeInvalidEncoding, "must be valid UTF-8"), true
	}
	n := 0
	for _, r := range v {
		n++
		switch {
		case r == 0:
			return NewProblem(CodeControlCharacter, "must not contain NUL (\\u0000)", "char", charOf(r)), true
		case r == '\t' || r == '\n' || r == '\r':
			if kind != FreeText {
				return NewProblem(CodeLineBreak, fmt.Sprintf("must not contain control character %s (one line of text)", charOf(r)), "char", charOf(r)), true
			}
		case unicode.IsControl(r):
			return NewProblem(CodeControlCharacter, fmt.Sprintf("must not contain control character %s", charOf(r)), "char", charOf(r)), true
		case r == utf8.RuneError:
			return NewProblem(CodeReplacementCharacter, "must not contain U+FFFD (a lone surrogate such as \\ud800 or invalid encoding)"), true
		case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
			return NewProblem(CodeNoncharacter, fmt.Sprintf("must not contain the noncharacter %s", charOf(r)), "char", charOf(r)), true
		}
	}
	if n > max {
		return TooLong(max), true
	}
	return Problem{}, false
}

// charOf names a character as U+XXXX.
func charOf(r rune) string { return fmt.Sprintf("U+%04X", r) }

// CheckRequiredText is CheckText for a field that must not be blank.
func CheckRequiredText(v string, max int, kind TextKind) string {
	p, _ := RequiredTextProblem(v, max, kind)
	return p.Message
}

// RequiredTextProblem is TextProblem for a field that must not be blank.
func RequiredTextProblem(v string, max int, kind TextKind) (Problem, bool) {
	if strings.TrimSpace(v) == "" {
		return Required(), true
	}
	return TextProblem(v, max, kind)
}
