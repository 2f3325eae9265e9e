// Package receipt normalises, validates, finds and masks USCIS receipt numbers.
//
// It sits at the very start of the flow: every receipt a firm tracks passes through Parse
// before it is stored, and only a Number that is Fetchable is ever sent to USCIS, so a
// mistyped receipt never spends quota. The package is pure: no I/O, no clock, no logging.
//
// A receipt number is an identifier, never an integer: it is kept as a string everywhere so
// leading zeros survive ("IOE0906929443").
package receipt

import (
	"log/slog"
	"strings"
	"unicode"
)

const (
	// Length is the length of a well-formed receipt number: three letters and ten digits.
	Length = 13

	prefixLen = 3
	digitsLen = Length - prefixLen
)

// offices maps the prefixes seen on real receipts to the office that received the case.
var offices = map[string]string{
	"EAC": "Vermont Service Center",
	"WAC": "California Service Center",
	"LIN": "Nebraska Service Center",
	"SRC": "Texas Service Center",
	"MSC": "National Benefits Center (lockbox intake)",
	"NBC": "National Benefits Center",
	"IOE": "USCIS ELIS",
	"YSC": "Potomac Service Center",
}

// Number is a normalised receipt number and what its prefix and digits tell about it.
//
// A Number with Flagged set holds the asterisk form some notices print for ELIS receipts
// ("IOE*" and nine digits). It is kept exactly as typed, apart from case and separators, so a
// firm can track it and fix it later; it is never rewritten into a guessed digit, and it is not
// Fetchable: callers must not send it to USCIS.
type Number struct {
	// Value is the normalised receipt: upper case, no separators.
	Value string
	// Prefix is the three-letter prefix, e.g. "EAC".
	Prefix string
	// KnownPrefix reports whether Prefix is one of the offices in RECEIPTS.md. Unknown
	// prefixes are accepted; callers may warn about them.
	KnownPrefix bool
	// Office names the office that received the case, empty for an unknown prefix.
	Office string
	// FiscalYear is the approximate USCIS fiscal year of receipt read from digits 1-2, or 0
	// for IOE receipts and unknown prefixes, whose digits do not encode one.
	FiscalYear int
	// Flagged marks the unconfirmed "IOE*" asterisk form.
	Flagged bool
}

// String returns the normalised receipt number. Use Mask, or log the Number itself, when the
// value goes to a log.
func (n Number) String() string { return n.Value }

// LogValue masks the receipt when a Number is passed to slog, so it never appears in full.
func (n Number) LogValue() slog.Value { return slog.StringValue(Mask(n.Value)) }

// Fetchable reports whether the number may be sent to USCIS: it is well formed and not a
// Flagged asterisk form.
func (n Number) Fetchable() bool { return len(n.Value) == Length && !n.Flagged }

// Parse normalises input and validates it as a receipt number.
//
// Normalising trims surrounding whitespace and punctuation, upper-cases, drops a pasted label
// such as "Receipt Number:" and removes dashes and spaces, so "eac-15-123-45678" and
// "Receipt #: EAC 1512345678" both parse to EAC1512345678. Letters are never changed into
// digits or back: a likely typo is only reported in Error.Suggestion. Parse reads a single
// receipt; use Find for free text. The error is always an *Error.
func Parse(input string) (Number, error) {
	v := normalise(input)
	if v == "" {
		return Number{}, &Error{Input: input, Reason: ReasonEmpty}
	}
	if isAsteriskForm(v) {
		return Number{Value: v, Prefix: "IOE", KnownPrefix: true, Office: offices["IOE"], Flagged: true}, nil
	}
	if err := validate(v); err != nil {
		err.Input = input
		return Number{}, err
	}
	return describe(v), nil
}

// describe fills a Number from a value already known to be well formed.
func describe(v string) Number {
	p := v[:prefixLen]
	office, known := offices[p]
	n := Number{Value: v, Prefix: p, KnownPrefix: known, Office: office}
	if known && p != "IOE" {
		n.FiscalYear = fiscalYear(v[prefixLen : prefixLen+2])
	}
	return n
}

// fiscalYear reads a two-digit year. Receipts from the 1990s exist, so 90-99 are 199x.
func fiscalYear(yy string) int {
	y := int(yy[0]-'0')*10 + int(yy[1]-'0')
	if y >= 90 {
		return 1900 + y
	}
	return 2000 + y
}

// isAsteriskForm reports whether v is "IOE*" followed by nine digits.
func isAsteriskForm(v string) bool {
	if len(v) != Length || !strings.HasPrefix(v, "IOE*") {
		return false
	}
	return allDigits(v[4:])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// labels are pasted form texts that may precede a receipt, longest first.
var labels = []string{
	"RECEIPT NUMBER", "RECEIPT NO.", "RECEIPT NO", "RECEIPT #", "RECEIPT",
	"CASE NUMBER", "CASE NO.", "CASE NO", "CASE #",
}

// normalise upper-cases input, drops a label and removes separators.
func normalise(input string) string {
	s := strings.ToUpper(strings.TrimFunc(input, isSurrounding))
	for _, l := range labels {
		if rest, ok := strings.CutPrefix(s, l); ok {
			s = strings.TrimLeftFunc(rest, isSurrounding)
			break
		}
	}
	return strings.Map(func(r rune) rune {
		if isSeparator(r) {
			return -1
		}
		return r
	}, s)
}

// isSurrounding reports characters that may wrap a pasted receipt.
func isSurrounding(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(`"'()[]<>.,;:#`, r) ||
		r == '\u201c' || r == '\u201d' || r == '\u2018' || r == '\u2019'
}

// isSeparator reports the characters people put between digit groups: spaces and dashes.
func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || r == '-' || (r >= '\u2010' && r <= '\u2015') || r == '\u2212'
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isLetter(c byte) bool { return isUpper(c) || (c >= 'a' && c <= 'z') }
