package receipt

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var (
	wellFormed = regexp.MustCompile(`^[A-Z]{3}[0-9]{10}$`)
	asterisk   = regexp.MustCompile(`^IOE\*[0-9]{9}$`)
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Number
	}{
		{"plain", "EAC1512345678", Number{Value: "EAC1512345678", Prefix: "EAC", KnownPrefix: true,
			Office: "Vermont Service Center", FiscalYear: 2015}},
		{"leading zeros", "IOE0906929443", Number{Value: "IOE0906929443", Prefix: "IOE",
			KnownPrefix: true, Office: "USCIS ELIS"}},
		{"lower case", "lin2190061752", Number{Value: "LIN2190061752", Prefix: "LIN", KnownPrefix: true,
			Office: "Nebraska Service Center", FiscalYear: 2021}},
		{"dashes", "EAC-15-123-45678", Number{Value: "EAC1512345678", Prefix: "EAC", KnownPrefix: true,
			Office: "Vermont Service Center", FiscalYear: 2015}},
		{"spaces", "  EAC 219 012 3456\n", Number{Value: "EAC2190123456", Prefix: "EAC", KnownPrefix: true,
			Office: "Vermont Service Center", FiscalYear: 2021}},
		{"ioe grouped", "ioe 0929 646056", Number{Value: "IOE0929646056", Prefix: "IOE",
			KnownPrefix: true, Office: "USCIS ELIS"}},
		{"pasted label", "Receipt Number: WAC-20-012-34567.", Number{Value: "WAC2001234567",
			Prefix: "WAC", KnownPrefix: true, Office: "California Service Center", FiscalYear: 2020}},
		{"label with hash", "receipt #EAC1512345678", Number{Value: "EAC1512345678", Prefix: "EAC",
			KnownPrefix: true, Office: "Vermont Service Center", FiscalYear: 2015}},
		{"en dash", "SRC\u201315\u2013123\u201345678", Number{Value: "SRC1512345678", Prefix: "SRC",
			KnownPrefix: true, Office: "Texas Service Center", FiscalYear: 2015}},
		{"nineties", "EAC9812345678", Number{Value: "EAC9812345678", Prefix: "EAC", KnownPrefix: true,
			Office: "Vermont Service Center", FiscalYear: 1998}},
		{"unknown prefix", "abc0012345678", Number{Value: "ABC0012345678", Prefix: "ABC"}},
		{"centre nickname is not a prefix", "VSC1512345678", Number{Value: "VSC1512345678", Prefix: "VSC"}},
		{"asterisk form kept", "ioe*123456789", Number{Value: "IOE*123456789", Prefix: "IOE",
			KnownPrefix: true, Office: "USCIS ELIS", Flagged: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, reason, suggestion string
		pos                          int
	}{
		{"empty", "", ReasonEmpty, "", 0},
		{"only spaces and dashes", " - - ", ReasonEmpty, "", 0},
		{"label only", "Receipt Number:", ReasonEmpty, "", 0},
		{"too short", "EAC151234567", ReasonTooShort, "", 0},
		{"too long", "EAC15123456789", ReasonTooLong, "", 0},
		{"digits only", "1512345678901", ReasonBadPrefix, "", 1},
		{"digit in prefix", "E4C1512345678", ReasonBadPrefix, "", 2},
		{"letter O for zero", "EAC15123456O8", ReasonNonDigits, "EAC1512345608", 12},
		{"letter I for one", "EAC I5I2345678", ReasonNonDigits, "EAC1512345678", 4},
		{"zero for letter O", "I0E0929646056", ReasonBadPrefix, "IOE0929646056", 2},
		{"other letter", "EAC15123X5678", ReasonNonDigits, "", 9},
		{"asterisk with ten digits", "IOE*0929646056", ReasonTooLong, "", 0},
		{"asterisk elsewhere", "EAC*123456789", ReasonNonDigits, "", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.in, err)
			}
			if e.Reason != tt.reason || e.Position != tt.pos || e.Suggestion != tt.suggestion {
				t.Errorf("Parse(%q) = reason %q pos %d suggestion %q, want %q %d %q",
					tt.in, e.Reason, e.Position, e.Suggestion, tt.reason, tt.pos, tt.suggestion)
			}
			if e.Input != tt.in || !errors.Is(err, ErrInvalid) {
				t.Errorf("Input = %q, Is(ErrInvalid) = %v", e.Input, errors.Is(err, ErrInvalid))
			}
			if v := normalise(tt.in); len(v) > 3 && strings.Contains(err.Error(), v) {
				t.Errorf("message %q echoes the input", err.Error())
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse("EAC15123456O8")
	want := "receipt number must end with ten digits (character 12 is not a digit); " +
		"letters O/I and digits 0/1 may be swapped"
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
}

func TestFetchable(t *testing.T) {
	for in, want := range map[string]bool{
		"EAC1512345678": true,
		"ABC1512345678": true,
		"IOE*123456789": false,
	} {
		n, err := Parse(in)
		if err != nil || n.Fetchable() != want {
			t.Errorf("Parse(%q).Fetchable() = %v (err %v), want %v", in, n.Fetchable(), err, want)
		}
	}
	if (Number{}).Fetchable() {
		t.Error("zero Number is fetchable")
	}
}

func TestMask(t *testing.T) {
	tests := map[string]string{
		"EAC1512345402":                    "EAC*******402",
		"eac-15-123-45402":                 "EAC*******402",
		"IOE*123456789":                    "IOE*******789",
		"EAC15":                            "*************",
		"not a receipt at all, quite long": "*************",
		"":                                 "",
		"   ":                              "",
	}
	for in, want := range tests {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestString(t *testing.T) {
	n, _ := Parse("eac1512345678")
	if n.String() != "EAC1512345678" || n.LogValue().String() != "EAC*******678" {
		t.Errorf("String = %q, LogValue = %q", n.String(), n.LogValue())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"EAC1512345678", "ioe 0929 646056", "EAC-15-123-45678", "IOE*123456789", "",
		"Receipt Number: LIN2190061752", "EAC15123456O8", "\u2013\u00a0", "ÉAC1512345678",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Parse(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Reason == "" {
				t.Fatalf("Parse(%q) error %v is not a reasoned *Error", in, err)
			}
			if e.Suggestion != "" && !wellFormed.MatchString(e.Suggestion) {
				t.Fatalf("suggestion %q is not well formed", e.Suggestion)
			}
			if Mask(in) != "" && Mask(in) != strings.Repeat("*", Length) {
				t.Fatalf("Mask(%q) = %q leaks", in, Mask(in))
			}
			return
		}
		if !wellFormed.MatchString(n.Value) && !(n.Flagged && asterisk.MatchString(n.Value)) {
			t.Fatalf("Parse(%q).Value = %q breaks the format", in, n.Value)
		}
		if n.Fetchable() == n.Flagged {
			t.Fatalf("Parse(%q): Fetchable %v with Flagged %v", in, n.Fetchable(), n.Flagged)
		}
		again, err := Parse(n.Value)
		if err != nil || again != n {
			t.Fatalf("Parse(%q) = %+v, %v; want idempotent %+v", n.Value, again, err, n)
		}
		if m := Mask(in); len(m) != Length || m[:3] != n.Prefix {
			t.Fatalf("Mask(%q) = %q", in, m)
		}
	})
}
