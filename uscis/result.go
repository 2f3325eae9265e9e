package uscis

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Kind says what a Fetch found. Only KindStatus carries a status; every other kind is an
// outcome that must not change a case.
type Kind int

// The kinds of Result.
const (
	// KindStatus is a well-formed 200 answer; Result.Status is set.
	KindStatus Kind = iota + 1
	// KindNotFound is a 404: USCIS does not show this receipt. It is not proof of a typo:
	// the sandbox answers it for every live number and production for some protected cases.
	KindNotFound
	// KindBadFormat is a receipt that failed local validation; no request was sent.
	KindBadFormat
	// KindRateLimited is a 429 that persisted after the retries.
	KindRateLimited
	// KindQuotaExhausted means the daily budget for this priority is spent; no request was sent.
	KindQuotaExhausted
	// KindUnavailable is an outage: network errors, timeouts, 5xx (including off-hours 503).
	KindUnavailable
	// KindUnauthorized means the credentials were refused even after renewing the token.
	KindUnauthorized
	// KindMalformed is an answer outside the contract: a 200 without a usable status, a body
	// that is not JSON, or a 422 for a receipt that passed local validation.
	KindMalformed
)

var kindNames = map[Kind]string{
	KindStatus: "status", KindNotFound: "not_found", KindBadFormat: "bad_format",
	KindRateLimited: "rate_limited", KindQuotaExhausted: "quota_exhausted",
	KindUnavailable: "unavailable", KindUnauthorized: "unauthorized", KindMalformed: "malformed",
}

// String returns the kind's snake_case name, used as a metric label.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "unknown"
}

// Result is the outcome of one Fetch, after retries.
type Result struct {
	// Kind says what happened.
	Kind Kind
	// HTTPStatus is the status of the last answer, 0 when no answer arrived.
	HTTPStatus int
	// Message is the upstream's message from an error body, or the status's top-level
	// message. The latter may echo the receipt number: do not log it unmasked.
	Message string
	// Err explains a non-status outcome; nil for KindStatus and KindNotFound.
	Err error
	// Attempts counts the HTTP requests sent to case-status for this Fetch.
	Attempts int
	// Status is set only for KindStatus.
	Status *CaseStatus
}

// UpstreamError is what could be read from an error body.
type UpstreamError struct {
	// Code is the body's code, number or string, as text; "" when absent.
	Code string `json:"code"`
	// Message is the first of message, error.message, errors[0].message; for a body that is
	// not JSON, a short plain-text excerpt of it.
	Message string `json:"message"`
	// NotJSON is true when the body was not a JSON object (HTML page, truncated JSON, text).
	NotJSON bool `json:"not_json"`
	// Empty is true when the body was empty or only whitespace.
	Empty bool `json:"empty"`
}

// excerptLen bounds the excerpt kept from a body that is not JSON.
const excerptLen = 200

// ParseError reads an error body leniently: whitespace is trimmed, the message is looked
// for in message, error.message and errors[0].message, and code may be a number or a string.
func ParseError(body []byte) UpstreamError {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return UpstreamError{Empty: true}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return UpstreamError{NotJSON: true, Message: excerpt(body)}
	}
	u := UpstreamError{Code: text(top["code"]), Message: text(top["message"])}
	if nested := object(top["error"]); nested != nil {
		u.Code = firstNonEmpty(u.Code, text(nested["code"]))
		u.Message = firstNonEmpty(u.Message, text(nested["message"]))
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(top["errors"], &list) == nil && len(list) > 0 {
		u.Code = firstNonEmpty(u.Code, text(list[0]["code"]))
		u.Message = firstNonEmpty(u.Message, text(list[0]["message"]))
	}
	if s := text(top["error"]); u.Message == "" && !strings.HasPrefix(s, "{") {
		u.Message = s
	}
	return u
}

func object(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// excerpt returns the start of a non-JSON body as one line of plain text.
func excerpt(body []byte) string {
	s := PlainText(strings.ToValidUTF8(string(body), ""))
	if utf8.RuneCountInString(s) <= excerptLen {
		return s
	}
	return string([]rune(s)[:excerptLen]) + "…"
}
