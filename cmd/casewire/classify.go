package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/casewire/casewire/classify"
)

// classifyCmd labels USCIS status titles with the normalised status, for operators checking a
// title or an overrides file before deploying it.
type classifyCmd struct {
	Title       string `help:"Status title to classify. Without it, one title per line is read from stdin."`
	Description string `help:"Status description, read when the title is unknown; used for every title."`
	FormType    string `name:"form-type" help:"USCIS formType (I-130); wins over the description's form."`
	Overrides   string `type:"existingfile" placeholder:"FILE" help:"TSV of extra or overriding titles."`
}

// Run prints one JSON object per title.
func (c *classifyCmd) Run(a *app) error {
	cl, err := c.classifier()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	emit := func(title string) error {
		r := cl.ClassifyForm(title, c.Description, c.FormType)
		if r.Match == classify.MatchNone && strings.TrimSpace(title) != "" {
			a.log.Info("unknown status title", "title", title)
		}
		return enc.Encode(r)
	}
	if c.Title != "" {
		return emit(c.Title)
	}
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		if err := emit(sc.Text()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("classify: reading stdin: %w", err)
	}
	return nil
}

// classifier returns the default classifier, or one with the overrides file applied.
func (c *classifyCmd) classifier() (*classify.Classifier, error) {
	if c.Overrides == "" {
		return classify.Default(), nil
	}
	f, err := os.Open(c.Overrides)
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	defer f.Close()
	table, err := classify.ReadTable(f)
	if err != nil {
		return nil, fmt.Errorf("classify: %s: %w", c.Overrides, err)
	}
	return classify.New(table)
}
