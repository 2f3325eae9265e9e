package classify

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Row is one status title of the reference table and its labels.
type Row struct {
	// Title is the English title as USCIS writes it; it becomes the canonical title.
	Title string
	// TitleES is the Spanish title when known. The reference data may follow it with a
	// provenance note in parentheses, which is not part of the title.
	TitleES string
	// ExampleDescription is a description USCIS sent with the title, personal details replaced
	// by placeholders. It documents the row; classification does not read it.
	ExampleDescription string
	Category           Category
	Outcome            Outcome
	ActionRequired     bool
	// Line is the row's 1-based line in its file, or 0 for a row built in code.
	Line int
}

// Table is a list of rows, in file order.
type Table []Row

// columns are the TSV header names; title, category, outcome and action_required are required.
var columns = []string{
	"title", "title_es", "example_description", "category", "outcome", "action_required",
}

// ReadTable reads a tab-separated table with a header line naming its columns, in any order:
// title, category, outcome, action_required and optionally title_es and example_description.
// Blank lines and lines starting with '#' are skipped. Every problem is reported with its line
// number; the returned error joins all of them.
func ReadTable(r io.Reader) (Table, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var (
		t    Table
		idx  map[string]int
		errs []error
		line int
	)
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if idx == nil {
			var err error
			if idx, err = header(fields); err != nil {
				return nil, fmt.Errorf("classify: line %d: %w", line, err)
			}
			continue
		}
		row, err := parseRow(fields, idx, line)
		if err != nil {
			errs = append(errs, fmt.Errorf("classify: line %d: %w", line, err))
			continue
		}
		t = append(t, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("classify: reading table: %w", err)
	}
	if idx == nil {
		return nil, errors.New("classify: table has no header line")
	}
	return t, errors.Join(errs...)
}

// header maps column names to their index and checks the required ones are there.
func header(fields []string) (map[string]int, error) {
	idx := make(map[string]int, len(fields))
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		if !isColumn(name) {
			return nil, fmt.Errorf("unknown column %q (want %s)", name, strings.Join(columns, ", "))
		}
		idx[name] = i
	}
	for _, name := range []string{"title", "category", "outcome", "action_required"} {
		if _, ok := idx[name]; !ok {
			return nil, fmt.Errorf("missing column %q", name)
		}
	}
	return idx, nil
}

func isColumn(name string) bool {
	for _, c := range columns {
		if c == name {
			return true
		}
	}
	return false
}

// parseRow reads one line's fields into a Row and validates it.
func parseRow(fields []string, idx map[string]int, line int) (Row, error) {
	if len(fields) != len(idx) {
		return Row{}, fmt.Errorf("%d fields, want %d", len(fields), len(idx))
	}
	get := func(name string) string {
		if i, ok := idx[name]; ok {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	act, err := strconv.ParseBool(get("action_required"))
	if err != nil {
		return Row{}, fmt.Errorf("action_required %q is not true or false", get("action_required"))
	}
	row := Row{
		Title: get("title"), TitleES: get("title_es"), ExampleDescription: get("example_description"),
		Category: Category(get("category")), Outcome: Outcome(get("outcome")),
		ActionRequired: act, Line: line,
	}
	return row, row.validate()
}

// validate checks the labels of a row.
func (r Row) validate() error {
	switch {
	case Fold(r.Title) == "":
		return errors.New("empty title")
	case !r.Category.Valid():
		return fmt.Errorf("unknown category %q", r.Category)
	case !r.Outcome.Valid():
		return fmt.Errorf("unknown outcome %q", r.Outcome)
	case r.Outcome != OutcomeNone && !r.Category.HasOutcome():
		return fmt.Errorf("outcome %q on category %q: only decision and appeal have outcomes",
			r.Outcome, r.Category)
	}
	return nil
}

// where names a row's place for error messages.
func (r Row) where() string {
	if r.Line > 0 {
		return "line " + strconv.Itoa(r.Line)
	}
	return strconv.Quote(r.Title)
}

// spanishTitle returns the Spanish title without a trailing provenance note in parentheses,
// or "" when the rest is marked incomplete with an ellipsis.
func spanishTitle(s string) string {
	if i := strings.Index(s, " ("); i >= 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "...") || strings.HasSuffix(s, "\u2026") {
		return ""
	}
	return s
}
