package uscis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // USCIS dates are read in US Eastern time on any host.

	"golang.org/x/net/html"
)

// ErrMalformed marks a 200 answer that is not a usable case status: not JSON, no
// case_status object, no English title, or a field of an unexpected shape.
var ErrMalformed = errors.New("uscis: malformed case status")

// Eastern is the zone USCIS dates are read in. The API sends `MM-DD-YYYY HH:mm:ss` and
// `YYYY-MM-DD` without a zone; USCIS runs on US Eastern time, so the parsed times assume it.
// The raw strings are always kept beside the parsed values.
var Eastern = mustLoad("America/New_York")

// CaseStatus is one well-formed answer of GET /case-status/{receipt}.
//
// History distinguishes three wire shapes: `"hist_case_status": null` gives HistoryNull
// true and a nil History; `[]` gives HistoryNull false and an empty, non-nil History; an
// absent field gives HistoryNull false and a nil History.
type CaseStatus struct {
	ReceiptNumber    string         `json:"receipt_number"`
	FormType         string         `json:"form_type"`
	SubmittedRaw     string         `json:"submitted_raw"`
	Submitted        time.Time      `json:"submitted"`
	ModifiedRaw      string         `json:"modified_raw"`
	Modified         time.Time      `json:"modified"`
	TitleEN          string         `json:"title_en"`
	DescriptionENRaw string         `json:"description_en_raw"`
	DescriptionEN    string         `json:"description_en"`
	TitleES          string         `json:"title_es"`
	DescriptionESRaw string         `json:"description_es_raw"`
	DescriptionES    string         `json:"description_es"`
	History          []HistoryEntry `json:"history"`
	HistoryNull      bool           `json:"history_null"`
	Message          string         `json:"message"`
}

// HistoryEntry is one element of hist_case_status, in the order USCIS gave it.
type HistoryEntry struct {
	DateRaw string    `json:"date_raw"`
	Date    time.Time `json:"date"`
	TextEN  string    `json:"text_en"`
	TextES  string    `json:"text_es"`
}

// ParseStatus reads the body of a 200 answer. It fails with an error wrapping ErrMalformed
// when the body is not JSON, has no case_status object or no English title.
func ParseStatus(body []byte) (*CaseStatus, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(body), &top); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var cs map[string]json.RawMessage
	if raw, ok := top["case_status"]; !ok || isNull(raw) {
		return nil, fmt.Errorf("%w: no case_status", ErrMalformed)
	} else if err := json.Unmarshal(raw, &cs); err != nil {
		return nil, fmt.Errorf("%w: case_status: %v", ErrMalformed, err)
	}
	s := &CaseStatus{
		ReceiptNumber:    strings.TrimSpace(text(cs["receiptNumber"])),
		FormType:         strings.TrimSpace(text(cs["formType"])),
		SubmittedRaw:     text(cs["submittedDate"]),
		ModifiedRaw:      text(cs["modifiedDate"]),
		TitleEN:          strings.TrimSpace(text(cs["current_case_status_text_en"])),
		DescriptionENRaw: text(cs["current_case_status_desc_en"]),
		TitleES:          strings.TrimSpace(text(cs["current_case_status_text_es"])),
		DescriptionESRaw: text(cs["current_case_status_desc_es"]),
		Message:          text(top["message"]),
	}
	if s.TitleEN == "" {
		return nil, fmt.Errorf("%w: no current_case_status_text_en", ErrMalformed)
	}
	s.Submitted = ParseDate(s.SubmittedRaw)
	s.Modified = ParseDate(s.ModifiedRaw)
	s.DescriptionEN = PlainText(s.DescriptionENRaw)
	s.DescriptionES = PlainText(s.DescriptionESRaw)
	hist, null, err := parseHistory(cs["hist_case_status"])
	if err != nil {
		return nil, err
	}
	s.History, s.HistoryNull = hist, null
	return s, nil
}

// parseHistory reads hist_case_status; raw is nil when the field is absent.
func parseHistory(raw json.RawMessage) ([]HistoryEntry, bool, error) {
	if raw == nil {
		return nil, false, nil
	}
	if isNull(raw) {
		return nil, true, nil
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false, fmt.Errorf("%w: hist_case_status: %v", ErrMalformed, err)
	}
	hist := make([]HistoryEntry, 0, len(items))
	for _, it := range items {
		e := HistoryEntry{
			DateRaw: text(it["date"]),
			TextEN:  PlainText(text(it["completed_text_en"])),
			TextES:  PlainText(text(it["completed_text_es"])),
		}
		e.Date = ParseDate(e.DateRaw)
		hist = append(hist, e)
	}
	return hist, false, nil
}

// ParseDate reads a USCIS date, `MM-DD-YYYY HH:mm:ss` or `YYYY-MM-DD`, in US Eastern
// time. It returns the zero time for an empty or unknown string.
func ParseDate(raw string) time.Time {
	raw = strings.TrimSpace(raw)
	for _, layout := range []string{"01-02-2006 15:04:05", "2006-01-02", "01-02-2006"} {
		if t, err := time.ParseInLocation(layout, raw, Eastern); err == nil {
			return t
		}
	}
	return time.Time{}
}

// PlainText strips HTML tags from s, decodes entities and folds runs of whitespace.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			b.WriteByte(' ')
		}
	}
}

// text returns a JSON string's value, "" for null or absent, and the literal text of any
// other JSON value (a number sent where a string was expected).
func text(raw json.RawMessage) string {
	if raw == nil || isNull(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
