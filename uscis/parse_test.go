package uscis

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// TestGolden parses every fixture copied from the shared contract and compares the result
// with its golden file: status-* through ParseStatus, error-* through ParseError.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*-*.*")
	if err != nil || len(files) < 8 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if !strings.HasPrefix(name, "status-") && !strings.HasPrefix(name, "error-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			if strings.HasPrefix(name, "status-") {
				s, err := ParseStatus(body)
				if err != nil {
					t.Fatalf("ParseStatus: %v", err)
				}
				got = s
			} else {
				got = ParseError(body)
			}
			compareGolden(t, filepath.Join("testdata", "golden", name+".golden"), got)
		})
	}
}

func compareGolden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", path, got, want)
	}
}

func TestParseStatusShapes(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		malformed bool
		histNull  bool
		histNil   bool
	}{
		{"null history", `{"case_status":{"current_case_status_text_en":"T","hist_case_status":null}}`,
			false, true, true},
		{"empty history", `{"case_status":{"current_case_status_text_en":"T","hist_case_status":[]}}`,
			false, false, false},
		{"absent history", `{"case_status":{"current_case_status_text_en":"T"}}`, false, false, true},
		{"leading whitespace", "\n  {\"case_status\":{\"current_case_status_text_en\":\"T\"}}", false, false, true},
		{"no case_status", `{"message":"Query was successful"}`, true, false, false},
		{"null case_status", `{"case_status":null}`, true, false, false},
		{"no title", `{"case_status":{"formType":"I-130"}}`, true, false, false},
		{"blank title", `{"case_status":{"current_case_status_text_en":"  "}}`, true, false, false},
		{"truncated", `{"case_status":{"current_case_status_text_en":"Case Was`, true, false, false},
		{"html", `<html><body>Service Unavailable</body></html>`, true, false, false},
		{"empty", ``, true, false, false},
		{"history not a list", `{"case_status":{"current_case_status_text_en":"T","hist_case_status":"x"}}`,
			true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseStatus([]byte(tt.body))
			if tt.malformed {
				if !errors.Is(err, ErrMalformed) || s != nil {
					t.Fatalf("want ErrMalformed, got %v %+v", err, s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.HistoryNull != tt.histNull || (s.History == nil) != tt.histNil {
				t.Errorf("history: null=%v nil=%v", s.HistoryNull, s.History == nil)
			}
		})
	}
}

func TestParseStatusKeepsOrderAndStripsHTML(t *testing.T) {
	body := `{"case_status":{"current_case_status_text_en":"Case Was Approved",
	"current_case_status_desc_en":"<p>On May 1, 2024, we <a href=\"x\">approved</a> it &amp; mailed it.</p>",
	"formType":130,
	"hist_case_status":[{"date":"2024-05-01","completed_text_en":"second"},
	{"date":"2024-05-01","completed_text_en":"first"},
	{"date":"04-30-2024 09:15:00","completed_text_en":"&quot;older&quot;"}]}}`
	s, err := ParseStatus([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if want := "On May 1, 2024, we approved it & mailed it."; s.DescriptionEN != want {
		t.Errorf("DescriptionEN = %q, want %q", s.DescriptionEN, want)
	}
	if !strings.Contains(s.DescriptionENRaw, "<a href") {
		t.Errorf("raw description lost its HTML: %q", s.DescriptionENRaw)
	}
	if s.FormType != "130" {
		t.Errorf("FormType = %q", s.FormType)
	}
	var texts []string
	for _, h := range s.History {
		texts = append(texts, h.TextEN)
	}
	if got := strings.Join(texts, ","); got != `second,first,"older"` {
		t.Errorf("history order = %s", got)
	}
	want := time.Date(2024, 4, 30, 9, 15, 0, 0, Eastern)
	if !s.History[2].Date.Equal(want) {
		t.Errorf("history date = %v, want %v", s.History[2].Date, want)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Time
	}{
		{"09-05-2023 14:28:46", time.Date(2023, 9, 5, 14, 28, 46, 0, Eastern)},
		{"2023-09-05", time.Date(2023, 9, 5, 0, 0, 0, 0, Eastern)},
		{" 01-15-2024 ", time.Date(2024, 1, 15, 0, 0, 0, 0, Eastern)},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
		{"13-45-2023 99:00:00", time.Time{}},
	}
	for _, tt := range tests {
		if got := ParseDate(tt.raw); !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
	// Eastern daylight time: 14:28:46 EDT is 18:28:46 UTC.
	if got := ParseDate("09-05-2023 14:28:46").UTC().Hour(); got != 18 {
		t.Errorf("UTC hour = %d, want 18", got)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name, body string
		want       UpstreamError
	}{
		{"flat numeric code", `{"code":429,"message":"Spike Arrest Violation"}`,
			UpstreamError{Code: "429", Message: "Spike Arrest Violation"}},
		{"nested string code", "\n\n  {\"error\":{\"code\":\"503\",\"message\":\"down\"}}",
			UpstreamError{Code: "503", Message: "down"}},
		{"errors array", `{"errors":[{"code":"E1","message":"first"},{"message":"second"}]}`,
			UpstreamError{Code: "E1", Message: "first"}},
		{"oauth style", `{"error":"invalid_client"}`, UpstreamError{Message: "invalid_client"}},
		{"empty", "  \n", UpstreamError{Empty: true}},
		{"html", "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad</h1></body></html>",
			UpstreamError{NotJSON: true, Message: "502 Bad Gateway Bad"}},
		{"truncated", `{"code":404,"mess`, UpstreamError{NotJSON: true, Message: `{"code":404,"mess`}},
		{"array body", `[{"message":"x"}]`, UpstreamError{NotJSON: true, Message: `[{"message":"x"}]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseError([]byte(tt.body)); got != tt.want {
				t.Errorf("ParseError = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrorExcerptIsBounded(t *testing.T) {
	got := ParseError([]byte(strings.Repeat("x", 5000)))
	if n := len([]rune(got.Message)); n > excerptLen+1 {
		t.Errorf("excerpt has %d runes", n)
	}
}

func FuzzParseStatus(f *testing.F) {
	addSeeds(f, "status-")
	f.Add([]byte(`{"case_status":{"current_case_status_text_en":"T","hist_case_status":[{"date":1}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseStatus(body)
		if (s == nil) == (err == nil) {
			t.Fatalf("exactly one of status and error must be set: %v %v", s, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		if s != nil && strings.TrimSpace(s.TitleEN) == "" {
			t.Fatal("status without a title")
		}
		if s != nil && s.HistoryNull && s.History != nil {
			t.Fatal("null history with entries")
		}
	})
}

func FuzzParseError(f *testing.F) {
	addSeeds(f, "error-")
	f.Add([]byte(`{"errors":[{"message":"m","code":7}]}`))
	f.Add([]byte("<html>oops"))
	f.Fuzz(func(t *testing.T, body []byte) {
		u := ParseError(body)
		if u.Empty && (u.NotJSON || u.Message != "" || u.Code != "") {
			t.Fatalf("empty body with content: %+v", u)
		}
		if u.NotJSON && len([]rune(u.Message)) > excerptLen+1 {
			t.Fatalf("excerpt too long: %d", len(u.Message))
		}
	})
}

func addSeeds(f *testing.F, prefix string) {
	files, _ := filepath.Glob("testdata/" + prefix + "*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
