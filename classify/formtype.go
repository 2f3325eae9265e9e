package classify

import "strings"

// FindFormType returns the first USCIS form number in text, such as "I-130" in "we approved
// your Form I-130, Petition for Alien Relative", or "". A form number is one to three capital
// letters, a hyphen, one to four digits and an optional capital letter, standing as a word:
// "e-request" and "1-800-375-5283" are not form numbers. It does not allocate.
func FindFormType(text string) string {
	for from := 0; ; {
		i := strings.IndexByte(text[from:], '-')
		if i < 0 {
			return ""
		}
		dash := from + i
		if start, end, ok := formAround(text, dash); ok {
			return text[start:end]
		}
		from = dash + 1
	}
}

// formAround reports the form number whose hyphen is at text[dash], if any.
func formAround(text string, dash int) (start, end int, ok bool) {
	start = dash
	for start > 0 && dash-start < 3 && isCapital(text[start-1]) {
		start--
	}
	if start == dash || (start > 0 && isWordByte(text[start-1])) {
		return 0, 0, false
	}
	end = dash + 1
	for end < len(text) && end-dash <= 4 && isDigitByte(text[end]) {
		end++
	}
	if end == dash+1 {
		return 0, 0, false
	}
	if end < len(text) && isCapital(text[end]) {
		end++
	}
	if end < len(text) && isWordByte(text[end]) {
		return 0, 0, false
	}
	return start, end, true
}

func isCapital(c byte) bool   { return 'A' <= c && c <= 'Z' }
func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }
func isWordByte(c byte) bool {
	return isCapital(c) || isDigitByte(c) || ('a' <= c && c <= 'z') || c == '-'
}
