package receipt

import (
	"reflect"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // normalised values
	}{
		{"sentence with dashes", "Client's case EAC-15-123-45678 was approved.", []string{"EAC1512345678"}},
		{"grouped lower case", "please track ioe 0929 646056 for us", []string{"IOE0929646056"}},
		{"several lines", "EAC1512345678\nwac2001234567,LIN2190061752\n", []string{
			"EAC1512345678", "WAC2001234567", "LIN2190061752"}},
		{"pasted label", "Receipt Number: IOE0906929443 (Form I-130)", []string{"IOE0906929443"}},
		{"curly quotes", "\u201cEAC1512345678\u201d", []string{"EAC1512345678"}},
		{"unknown prefix strict", "see ABC1234567890 today", []string{"ABC1234567890"}},
		{"unknown prefix with spaces is not invented", "call 1-800-375-5283 or fax 123 456 7890", nil},
		{"word before a phone number", "the 1234567890 is a phone", nil},
		{"lower-case unknown", "abc1234567890", nil},
		{"digits run on", "EAC15123456789 and EAC 15 123 45678 9", nil},
		{"inside a word", "XEAC1512345678 EAC1512345678X", nil},
		{"too few digits", "EAC-15-123-4567.", nil},
		{"too wide a gap", "EAC    1512345678", nil},
		{"asterisk form", "notice shows IOE*123456789.", []string{"IOE*123456789"}},
		{"dates after a strict receipt", "EAC1512345678 2024-01-01", []string{"EAC1512345678"}},
		{"duplicates kept", "EAC1512345678 eac-15-123-45678", []string{"EAC1512345678", "EAC1512345678"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range Find(tt.text) {
				got = append(got, f.Number.Value)
				if tt.text[f.Start:f.End] != f.Text {
					t.Errorf("Text %q does not match offsets %d:%d", f.Text, f.Start, f.End)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Find(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestFindPositions(t *testing.T) {
	text := "first line\nsecond: ioe 0929 646056\n\nEAC-15-123-45678 end"
	got := Find(text)
	if len(got) != 2 {
		t.Fatalf("Find = %+v, want 2", got)
	}
	if got[0].Line != 2 || got[0].Text != "ioe 0929 646056" || got[0].Start != 19 {
		t.Errorf("first = %+v", got[0])
	}
	if got[1].Line != 4 || got[1].Text != "EAC-15-123-45678" {
		t.Errorf("second = %+v", got[1])
	}
}

func TestUnique(t *testing.T) {
	got := Unique(Find("EAC1512345678 LIN2190061752 eac-15-123-45678"))
	if len(got) != 2 || got[0].Start != 0 || got[1].Number.Value != "LIN2190061752" {
		t.Errorf("Unique = %+v", got)
	}
}

func FuzzFind(f *testing.F) {
	f.Add("Case EAC-15-123-45678 and ioe 0929 646056\nIOE*123456789")
	f.Add("call 1-800-375-5283")
	f.Fuzz(func(t *testing.T, text string) {
		for _, f := range Find(text) {
			if f.Start < 0 || f.End > len(text) || text[f.Start:f.End] != f.Text {
				t.Fatalf("bad offsets %+v", f)
			}
			if f.Line != strings.Count(text[:f.Start], "\n")+1 {
				t.Fatalf("line %d for offset %d", f.Line, f.Start)
			}
			if n, err := Parse(f.Text); err != nil || n != f.Number {
				t.Fatalf("Parse(%q) = %+v, %v; Find said %+v", f.Text, n, err, f.Number)
			}
		}
	})
}
