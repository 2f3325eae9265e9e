package receipt

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxGap is the longest run of separators allowed between digit groups, e.g. " - ".
const maxGap = 3

// Found is one receipt number found in free text.
type Found struct {
	// Number is the parsed receipt.
	Number Number
	// Text is the receipt as written, separators included: Text == text[Start:End].
	Text string
	// Start and End are byte offsets into the searched text.
	Start, End int
	// Line is the 1-based line on which the receipt starts.
	Line int
}

// Find returns every receipt number in text, in order of appearance, for importing pasted
// lists, emails or notes. It does not de-duplicate; see Unique.
//
// A receipt must stand as its own word. Dashes and spaces between digit groups and lower case
// are accepted only with a known prefix ("ioe 0929 646056", "EAC-15-123-45678"): otherwise
// any word followed by a phone number would pass for a receipt. An unknown prefix is found only
// in the strict form, upper case and unbroken ("ABC1234567890"). Digits that run on past the
// tenth are never cut into a receipt.
func Find(text string) []Found {
	var found []Found
	line := 1
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			line++
			continue
		}
		if !isLetter(text[i]) || !boundaryBefore(text, i) {
			continue
		}
		end, value, ok := scan(text, i)
		if !ok {
			continue
		}
		n, err := Parse(value)
		if err != nil {
			continue
		}
		found = append(found, Found{Number: n, Text: text[i:end], Start: i, End: end, Line: line})
		i = end - 1
	}
	return found
}

// Unique keeps the first occurrence of each receipt, in order.
func Unique(found []Found) []Found {
	seen := make(map[string]bool, len(found))
	out := found[:0:0]
	for _, f := range found {
		if !seen[f.Number.Value] {
			seen[f.Number.Value] = true
			out = append(out, f)
		}
	}
	return out
}

// scan tries to read a receipt starting at text[i], returning its end and normalised value.
func scan(text string, i int) (int, string, bool) {
	if i+prefixLen > len(text) || !isLetter(text[i+1]) || !isLetter(text[i+2]) {
		return 0, "", false
	}
	written := text[i : i+prefixLen]
	prefix := strings.ToUpper(written)
	_, known := offices[prefix]
	if prefix == "IOE" && strings.HasPrefix(text[i+prefixLen:], "*") {
		return scanAsterisk(text, i+prefixLen+1)
	}
	end, digits, sep, ok := scanDigits(text, i+prefixLen)
	if !ok || (sep && followedByDigit(text, end)) {
		return 0, "", false
	}
	if (sep || written != prefix) && !known {
		return 0, "", false
	}
	return end, prefix + digits, true
}

// scanAsterisk reads the nine digits of an "IOE*" receipt starting at j.
func scanAsterisk(text string, j int) (int, string, bool) {
	end := j
	for end < len(text) && isDigit(text[end]) {
		end++
	}
	if end-j != digitsLen-1 || !boundaryAfter(text, end) {
		return 0, "", false
	}
	return end, "IOE*" + text[j:end], true
}

// scanDigits reads ten digits from j, allowing short separator runs between groups.
func scanDigits(text string, j int) (end int, digits string, sep, ok bool) {
	var buf [digitsLen]byte
	n := 0
	for n < digitsLen {
		next, gap := skipGap(text, j)
		if gap > maxGap || next >= len(text) || !isDigit(text[next]) {
			return 0, "", false, false
		}
		sep = sep || gap > 0
		for j = next; j < len(text) && n < digitsLen && isDigit(text[j]); j++ {
			buf[n] = text[j]
			n++
		}
	}
	if !boundaryAfter(text, j) {
		return 0, "", false, false
	}
	return j, string(buf[:]), sep, true
}

// skipGap skips separators from j and returns where they end and how many there were.
func skipGap(text string, j int) (int, int) {
	gap := 0
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if r == '\n' || r == '\r' || !isSeparator(r) {
			break
		}
		j += size
		gap++
	}
	return j, gap
}

// followedByDigit reports whether a separator run at j leads to more digits, which makes a
// grouped receipt ambiguous ("EAC 15 123 45678 9").
func followedByDigit(text string, j int) bool {
	next, gap := skipGap(text, j)
	return gap > 0 && gap <= maxGap && next < len(text) && isDigit(text[next])
}

func boundaryBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return i == 0 || !isWordRune(r)
}

func boundaryAfter(text string, j int) bool {
	r, _ := utf8.DecodeRuneInString(text[j:])
	return j >= len(text) || !isWordRune(r)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }
