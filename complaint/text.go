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
// (without the field's name). It refuses what PostgreSQL or a reader
// cannot take: invalid UTF-8, NUL and other control characters (C0, DEL
// and C1; FreeText keeps \t \n \r), Unicode noncharacters, more than max
// characters, and U+FFFD.
//
// U+FFFD is refused on purpose: Go's JSON decoder turns a lone surrogate
// (`"\ud800"`) and invalid UTF-8 into U+FFFD without an error, so after
// decoding the replacement character is the only trace of input that was
// not text. A person does not type it; a client that sends it has lost
// the customer's words somewhere, and saying so beats storing the loss.
func CheckText(v string, max int, kind TextKind) string {
	if !utf8.ValidString(v) {
		return "must be valid UTF-8"
	}
	n := 0
	for _, r := range v {
		n++
		switch {
		case r == 0:
			return "must not contain NUL (\\u0000)"
		case r == '\t' || r == '\n' || r == '\r':
			if kind != FreeText {
				return fmt.Sprintf("must not contain control character U+%04X (one line of text)", r)
			}
		case unicode.IsControl(r):
			return fmt.Sprintf("must not contain control character U+%04X", r)
		case r == utf8.RuneError:
			return "must not contain U+FFFD (a lone surrogate such as \\ud800 or invalid encoding)"
		case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
			return fmt.Sprintf("must not contain the noncharacter U+%04X", r)
		}
	}
	if n > max {
		return fmt.Sprintf("must be at most %d characters", max)
	}
	return ""
}

// CheckRequiredText is CheckText for a field that must not be blank.
func CheckRequiredText(v string, max int, kind TextKind) string {
	if strings.TrimSpace(v) == "" {
		return "is required"
	}
	return CheckText(v, max, kind)
}
