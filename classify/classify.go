// Package classify turns a USCIS status title and description into a normalised status:
// category, outcome, whether action is required, and how the label was found.
//
// It sits between the USCIS client and change detection, and anything may call it. It is
// pure: no clock, no database, no logging; the only input it reads besides its arguments is the
// reference table embedded from statuses.tsv and the tables a caller passes to New. A
// Classifier never changes after New, so one value serves every goroutine.
//
// Classification looks the folded title up in the table first (see Fold); then it applies
// ordered patterns to the title, then to the description; only then is the status Unknown.
// Callers should record Unknown results (metric and log) so the table can grow.
package classify

import (
	_ "embed"
	"fmt"
	"html"
	"strings"
	"sync"
)

// Result is a normalised status.
type Result struct {
	Category       Category `json:"category"`
	Outcome        Outcome  `json:"outcome"`
	ActionRequired bool     `json:"action_required"`
	Match          Match    `json:"match"`
	// CanonicalTitle is the table's title on an exact match, so every spelling of one event
	// shares it; otherwise the given title with entities decoded and whitespace collapsed.
	CanonicalTitle string `json:"canonical_title"`
	// FormType is the USCIS form, e.g. "I-130", from formType or else from the description.
	FormType string `json:"form_type,omitempty"`
	// TitleES is the table's Spanish title on an exact match, when known.
	TitleES string `json:"title_es,omitempty"`
}

// Classifier labels status titles. Build it with New or use Default.
type Classifier struct {
	exact map[string]Result
}

//go:embed statuses.tsv
var statusesTSV string

// referenceTable parses the embedded table once; add only reads it.
var referenceTable = sync.OnceValues(func() (Table, error) {
	return ReadTable(strings.NewReader(statusesTSV))
})

var defaultClassifier = sync.OnceValue(func() *Classifier {
	c, err := New()
	if err != nil {
		panic("classify: embedded statuses.tsv: " + err.Error())
	}
	return c
})

// Default returns the classifier built from the embedded reference table. It is built once
// and shared.
func Default() *Classifier { return defaultClassifier() }

// New builds a classifier from the embedded reference table followed by overrides, in order:
// a row whose title folds to the key of an earlier table's row replaces it, and a row with a
// new title adds it. Within one table, two spellings of a title must carry the same labels;
// the first spelling is the canonical title.
func New(overrides ...Table) (*Classifier, error) {
	base, err := referenceTable()
	if err != nil {
		return nil, err
	}
	c := &Classifier{exact: make(map[string]Result, len(base))}
	for _, t := range append([]Table{base}, overrides...) {
		if err := c.add(t); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// add merges one table into c, rejecting conflicts inside the table.
func (c *Classifier) add(t Table) error {
	seen := make(map[string]Row, len(t))
	for _, row := range t {
		if err := row.validate(); err != nil {
			return fmt.Errorf("classify: %s: %w", row.where(), err)
		}
		key := Fold(row.Title)
		if prev, ok := seen[key]; ok {
			if !sameLabels(prev, row) {
				return fmt.Errorf("classify: %s: %q folds like %s %q but has other labels",
					row.where(), row.Title, prev.where(), prev.Title)
			}
			continue
		}
		seen[key] = row
		c.exact[key] = Result{
			Category: row.Category, Outcome: row.Outcome, ActionRequired: row.ActionRequired,
			Match: MatchExact, CanonicalTitle: row.Title, TitleES: spanishTitle(row.TitleES),
		}
	}
	return nil
}

func sameLabels(a, b Row) bool {
	return a.Category == b.Category && a.Outcome == b.Outcome && a.ActionRequired == b.ActionRequired
}

// Classify labels a status from its title and description; the form type comes from the
// description.
func (c *Classifier) Classify(title, description string) Result {
	return c.ClassifyForm(title, description, "")
}

// ClassifyForm labels a status. formType is the form USCIS names in its formType field; it
// wins over a form found in the description, and an empty one never hides that form.
func (c *Classifier) ClassifyForm(title, description, formType string) Result {
	r := c.label(title, description)
	if r.FormType = strings.TrimSpace(formType); r.FormType == "" {
		r.FormType = FindFormType(description)
	}
	return r
}

// label finds the labels: exact, then title patterns, then description patterns.
func (c *Classifier) label(title, description string) Result {
	var raw, key [keyCap]byte
	k := foldKey(key[:0], raw[:0], title)
	if r, ok := c.exact[string(k)]; ok {
		return r
	}
	if title == "" {
		// A history entry may quote the title it recorded; label it by that title.
		if quoted := quotedTitle(description); quoted != "" {
			if q := c.label(quoted, ""); q.Match != MatchNone {
				return q
			}
		}
	}
	r := Result{Category: Unknown, Outcome: OutcomeNone, Match: MatchNone}
	r.CanonicalTitle = clean(title)
	if l, ok := titleRules.match(string(k)); ok {
		return l.apply(r)
	}
	if l, ok := descriptionRules.match(Fold(description)); ok {
		return l.apply(r)
	}
	return r
}

// clean decodes entities and collapses whitespace, keeping the title's own capitals.
func clean(title string) string {
	return strings.Join(strings.Fields(html.UnescapeString(title)), " ")
}

// KeepFormType returns next unless it is blank, in which case known stays: a form type once
// known is never replaced with an empty one.
func KeepFormType(known, next string) string {
	if next = strings.TrimSpace(next); next != "" {
		return next
	}
	return strings.TrimSpace(known)
}

// quotedTitle returns the title a history sentence quotes, as in "On May 1, 2024, the
// status of your case was: Case Was Received.", or "".
func quotedTitle(description string) string {
	const marker = "status of your case was:"
	i := strings.Index(strings.ToLower(description), marker)
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(strings.TrimRight(description[i+len(marker):], ". \t\n"))
}
