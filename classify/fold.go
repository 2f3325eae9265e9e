package classify

import (
	"unicode"
	"unicode/utf8"
)

// keyCap is the stack buffer size for folding a title; longer titles still fold correctly but
// cost an allocation.
const keyCap = 256

// Fold returns the key under which title is looked up: HTML entities decoded, apostrophes and
// quotes dropped, lower case, whitespace runs collapsed, trailing punctuation trimmed and the
// verbs USCIS spells several ways ("Was Emailed", "Was Mailed", "Was Sent") made one. Two
// spellings of one event fold to the same key.
func Fold(title string) string {
	var raw, key [keyCap]byte
	return string(foldKey(key[:0], raw[:0], title))
}

// foldKey folds s into dst, using tmp as scratch space.
func foldKey(dst, tmp []byte, s string) []byte {
	return foldWords(dst, foldChars(tmp, s))
}

// foldChars appends s to dst with entities decoded, apostrophes and quotes removed, letters in
// lower case and every whitespace run as one space, without leading or trailing space.
func foldChars(dst []byte, s string) []byte {
	space := false
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && c != '&' {
			i++
			switch m := asciiFold[c]; m {
			case 0:
			case ' ':
				space = len(dst) > 0
			default:
				if space {
					dst = append(dst, ' ')
					space = false
				}
				dst = append(dst, m)
			}
			continue
		}
		r, size := nextRune(s, i)
		i += size
		switch {
		case isQuote(r):
			continue
		case isSpace(r):
			space = len(dst) > 0
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = appendLower(dst, r)
	}
	return dst
}

// nextRune decodes the rune at s[i], reading an HTML entity (even a doubly escaped one such as
// "&amp;#39;") as the character it stands for.
func nextRune(s string, i int) (rune, int) {
	if s[i] < utf8.RuneSelf && s[i] != '&' {
		return rune(s[i]), 1
	}
	if s[i] != '&' {
		return utf8.DecodeRuneInString(s[i:])
	}
	r, size := '&', 1
	for r == '&' {
		e, n := entity(s[i+size:])
		if n == 0 {
			break
		}
		r, size = e, size+n
	}
	return r, size
}

// asciiFold maps each ASCII byte to its folded form: 0 to drop it (quotes, NUL), ' ' for
// whitespace, the lower-case letter for a capital, and the byte itself otherwise. Read-only.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		r := rune(c)
		switch {
		case isQuote(r):
		case isSpace(r):
			t[c] = ' '
		default:
			t[c] = appendLower(nil, r)[0]
		}
	}
	return t
}()

func appendLower(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	}
	return unicode.IsSpace(r)
}

// isQuote reports every apostrophe and quote spelling seen in USCIS titles ("USCIS'",
// "USCIS&#39;", "USCIS’"), which folding drops.
func isQuote(r rune) bool {
	switch r {
	case '\'', '"', '`', '\u00b4', '\u02bc', '\u2018', '\u2019', '\u201b', '\u201c', '\u201d',
		'\u2032':
		return true
	}
	return false
}

// foldWords appends the words of src to dst, replacing spelling variants and dropping
// trailing punctuation.
func foldWords(dst, src []byte) []byte {
	start := len(dst)
	src = trimPunct(src, 0)
	for len(src) > 0 {
		word := src
		rest := []byte(nil)
		for j, c := range src {
			if c == ' ' {
				word, rest = src[:j], src[j+1:]
				break
			}
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		dst = appendVariant(dst, word)
		src = rest
	}
	return trimPunct(dst, start)
}

// appendVariant appends the one spelling of word used in keys.
func appendVariant(dst, word []byte) []byte {
	switch string(word) {
	case "emailed", "e-mailed", "mailed":
		return append(dst, "sent"...)
	case "canceled":
		return append(dst, "cancelled"...)
	}
	return append(dst, word...)
}

// trimPunct drops trailing punctuation and spaces from dst[start:].
func trimPunct(dst []byte, start int) []byte {
	for len(dst) > start {
		switch dst[len(dst)-1] {
		case '.', ',', ';', ':', '!', '?', ' ', '-', '*':
			dst = dst[:len(dst)-1]
			continue
		}
		break
	}
	return dst
}

// entity decodes the HTML entity whose body (after '&') starts s and returns the rune and the
// bytes consumed, or 0 bytes when s does not start an entity this package knows.
func entity(s string) (rune, int) {
	end := -1
	for j := 0; j < len(s) && j < 10; j++ {
		if s[j] == ';' {
			end = j
			break
		}
	}
	if end < 1 {
		return 0, 0
	}
	name := s[:end]
	if name[0] == '#' {
		r, ok := numericEntity(name[1:])
		if !ok {
			return 0, 0
		}
		return r, end + 1
	}
	r, ok := namedEntities[name]
	if !ok {
		return 0, 0
	}
	return r, end + 1
}

// namedEntities are the entities seen in USCIS text, read-only.
var namedEntities = map[string]rune{
	"amp": '&', "apos": '\'', "quot": '"', "nbsp": '\u00a0', "lt": '<', "gt": '>',
	"rsquo": '\u2019', "lsquo": '\u2018', "ldquo": '\u201c', "rdquo": '\u201d',
	"ndash": '\u2013', "mdash": '\u2014',
}

// numericEntity reads "39" or "x27".
func numericEntity(s string) (rune, bool) {
	base := rune(10)
	if len(s) > 0 && (s[0] == 'x' || s[0] == 'X') {
		base, s = 16, s[1:]
	}
	if s == "" {
		return 0, false
	}
	var r rune
	for i := 0; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || d >= base {
			return 0, false
		}
		r = r*base + d
	}
	if !utf8.ValidRune(r) || r == 0 {
		return 0, false
	}
	return r, true
}

func hexDigit(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}
