package receipt

import (
	"errors"
	"fmt"
)

// Reasons an input is not a receipt number; Error.Reason holds one of them.
const (
	ReasonEmpty     = "empty"
	ReasonTooShort  = "too_short"
	ReasonTooLong   = "too_long"
	ReasonBadPrefix = "bad_prefix"
	ReasonNonDigits = "non_digits"
)

// ErrInvalid matches every *Error with errors.Is, for callers that only need to know that an
// input was rejected.
var ErrInvalid = errors.New("invalid receipt number")

// Error reports why an input is not a receipt number. Its message names the reason and the
// position of the first offending character but never the input itself, so it is safe to
// return to a client or write to a log. Input and Suggestion hold the full text for the
// caller: treat them as confidential.
type Error struct {
	// Input is the text given to Parse.
	Input string
	// Reason is one of the Reason constants.
	Reason string
	// Position is the 1-based position of the first offending character in the normalised
	// value, or 0 when the reason is about the whole value.
	Position int
	// Length is the length of the normalised value.
	Length int
	// Suggestion is a well-formed receipt that differs from the input only by O/0 or I/1
	// confusions, or empty. It is a hint for the person who typed it, never applied.
	Suggestion string
}

// Error describes the reason without echoing the input.
func (e *Error) Error() string {
	msg := "receipt number " + e.describe()
	if e.Suggestion != "" {
		msg += "; letters O/I and digits 0/1 may be swapped"
	}
	return msg
}

// Is lets errors.Is(err, ErrInvalid) match any *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func (e *Error) describe() string {
	switch e.Reason {
	case ReasonEmpty:
		return "is empty"
	case ReasonTooShort:
		return fmt.Sprintf("is too short: %d characters, want %d", e.Length, Length)
	case ReasonTooLong:
		return fmt.Sprintf("is too long: %d characters, want %d", e.Length, Length)
	case ReasonBadPrefix:
		return fmt.Sprintf("must start with three letters (character %d is not a letter)", e.Position)
	case ReasonNonDigits:
		return fmt.Sprintf("must end with ten digits (character %d is not a digit)", e.Position)
	}
	return "is invalid: " + e.Reason
}

// validate checks a normalised value against three letters and ten digits.
func validate(v string) *Error {
	e := &Error{Length: len(v)}
	switch {
	case len(v) < Length:
		e.Reason = ReasonTooShort
	case len(v) > Length:
		e.Reason = ReasonTooLong
	default:
		e.Reason, e.Position = firstBad(v)
		if e.Reason == "" {
			return nil
		}
		e.Suggestion = suggest(v)
	}
	return e
}

// firstBad returns the reason and 1-based position of the first character out of place.
func firstBad(v string) (string, int) {
	for i := 0; i < len(v); i++ {
		if i < prefixLen && !isUpper(v[i]) {
			return ReasonBadPrefix, i + 1
		}
		if i >= prefixLen && !isDigit(v[i]) {
			return ReasonNonDigits, i + 1
		}
	}
	return "", 0
}

// suggest swaps O/0 and I/1 where they are out of place, and returns the result when that
// makes v well formed.
func suggest(v string) string {
	s := []byte(v)
	for i, c := range s {
		switch {
		case i < prefixLen && c == '0':
			s[i] = 'O'
		case i < prefixLen && c == '1':
			s[i] = 'I'
		case i >= prefixLen && c == 'O':
			s[i] = '0'
		case i >= prefixLen && c == 'I':
			s[i] = '1'
		}
	}
	out := string(s)
	if out == v || firstBadReason(out) != "" {
		return ""
	}
	return out
}

func firstBadReason(v string) string {
	r, _ := firstBad(v)
	return r
}
